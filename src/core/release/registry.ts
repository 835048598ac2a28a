import { z } from 'zod';
import type { HistoryEntry } from './deploy/schemas';
import type { ReleaseStore } from './store/types';
import type { CandidateManifest, Lineage, Metadata, Payload, Rejection, StableManifest } from './pool/schemas';
import { InputError, RefusedError } from '../shared/errors';
import { parseHashArgument } from '../shared/hashing';
import { validate } from '../shared/json';
import { shortHash } from '../shared/labels';

/** Where a version stands: waiting, approved, live, or turned down. */
export type VersionStatus = 'candidate' | 'stable' | 'current' | 'rejected';

/** One evidence report of a version, as recorded (approval recomputes every verdict). */
export interface EvidenceVerdict {
  kind: 'qraft.precheck' | 'qraft.canary';
  report_hash: string;
  /** A precheck's result. */
  passed?: boolean;
  /** A canary's verdict. */
  verdict?: string;
  /** The engine that ran it (a precheck's precise channel, a canary's candidate). */
  engine: string;
  /** When the report was made. */
  ts: string;
  /** The report file in the candidate's evidence folder. */
  path: string;
  /** It came with a signature (checked only by an approval that asks for one). */
  signed: boolean;
}

/** `show`: everything the registry knows about one version. */
export interface VersionDetails {
  manifest_hash: string;
  status: VersionStatus;
  manifest: CandidateManifest;
  payload: Payload;
  metadata: Metadata;
  /** The candidate's folder (or its location in a database store). */
  dir: string;
  lineage: Lineage | null;
  /** Newest first. */
  evidence: EvidenceVerdict[];
  /** Evidence files that are not intact reports of this payload. */
  evidence_problems: string[];
  approval: Pick<StableManifest, 'approved_by' | 'note' | 'ts' | 'forced'> | null;
  rejection: Rejection | null;
  /** HISTORY entries that publish, roll back to or leave this version, oldest first. */
  history: HistoryEntry[];
}

export interface RejectRequest {
  /** A full hash or a unique prefix. */
  hash: string;
  actor: string;
  /** Why: required. */
  note: string;
}

export interface RejectResult {
  manifest_hash: string;
  rejection: Rejection;
  /** False when it was rejected before (that first rejection stands, and is returned). */
  created: boolean;
}

const RejectNoteSchema = z.string().trim().min(1, 'must say why the candidate is rejected').max(2000, 'must be at most 2000 characters');

/** The reason approval gives for a rejected candidate; a forced approval cannot override it. */
export function rejectedReason(rejection: Rejection) {
  return {
    code: 'rejected',
    message: `${shortHash(rejection.manifest_hash)} was rejected by ${rejection.rejected_by} at ${rejection.ts} ("${rejection.note}"); a rejected candidate is never approved, propose a changed strategy instead`,
    overridable: false,
  };
}

/**
 * Rejects a candidate: records who, why and when in the pool, after which it leaves the pool's
 * candidate lists and approval refuses it. A stable (approved) or CURRENT version is refused; a
 * second rejection returns the first.
 */
export async function rejectCandidate(pool: ReleaseStore, currentHash: string | undefined, request: { actor: string; hash: string; note: string }, now: Date): Promise<RejectResult> {
  if (!request.note?.trim()) throw new InputError('A rejection needs a note saying why the candidate is rejected.');
  const note = validate(RejectNoteSchema, request.note, 'note');
  const hash = await pool.resolve(parseHashArgument(request.hash));
  await pool.candidate(hash);
  const earlier = await pool.rejection(hash);
  if (earlier) return { manifest_hash: hash, rejection: earlier, created: false };
  if (currentHash === hash) throw new RefusedError('rejection', `${shortHash(hash)} is CURRENT; roll back to another version instead of rejecting it.`);
  const stable = await pool.stable(hash);
  if (stable) throw new RefusedError('rejection', `${shortHash(hash)} was approved by ${stable.approved_by} at ${stable.ts} and is a stable version; only a candidate waiting for approval can be rejected.`);
  const rejection: Rejection = { kind: 'qraft.rejection', manifest_hash: hash, rejected_by: request.actor, note, ts: now.toISOString() };
  const written = await pool.reject(rejection);
  return { manifest_hash: hash, ...written };
}

/** The details `show` prints of a version in the pool. */
export async function versionDetails(pool: ReleaseStore, hashOrPrefix: string, currentHash: string | undefined, history: readonly HistoryEntry[]): Promise<VersionDetails> {
  const hash = await pool.resolve(parseHashArgument(hashOrPrefix));
  const candidate = await pool.candidate(hash);
  const rejection = (await pool.rejection(hash)) ?? null;
  const folder = await pool.evidence(hash);
  const signed = new Set<string>();
  for (const { report_hash } of folder.reports) if ((await pool.evidenceSignature(hash, report_hash)) !== undefined) signed.add(report_hash);
  const evidence = folder.reports
    .map<EvidenceVerdict>(({ report, report_hash, path }) => ({
      kind: report.kind,
      report_hash,
      ...(report.kind === 'qraft.precheck' ? { passed: report.passed } : { verdict: report.verdict }),
      engine: report.kind === 'qraft.precheck' ? report.precise.engine : report.candidate.engine,
      ts: report.created_at,
      path,
      signed: signed.has(report_hash),
    }))
    .sort((a, b) => (a.ts < b.ts ? 1 : a.ts > b.ts ? -1 : 0));
  const stable = candidate.stable;
  const status: VersionStatus = currentHash === hash ? 'current' : stable ? 'stable' : rejection ? 'rejected' : 'candidate';
  return {
    manifest_hash: hash,
    status,
    manifest: candidate.manifest,
    payload: candidate.payload,
    metadata: candidate.metadata,
    dir: pool.candidateLocation(hash),
    lineage: (await pool.lineage(hash)) ?? null,
    evidence,
    evidence_problems: folder.problems,
    approval: stable ? { approved_by: stable.approved_by, note: stable.note, ts: stable.ts, ...(stable.forced ? { forced: true } : {}) } : null,
    rejection,
    history: history.filter((entry) => entry.manifest_hash === hash || entry.from_hash === hash),
  };
}
