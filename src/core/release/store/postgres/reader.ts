/**
 * The pool as the PostgreSQL store reads it: every row's blobs re-hashed against their names, every
 * document validated as the file store validates its files, the same sentences with the database's
 * locators in place of paths. One class serves the store's own reads (any pooled connection) and
 * the reads a write's `prepare` makes inside the write's transaction (its connection).
 */
import type { QueryResultRow } from 'pg';
import { AnyReportSchema } from '../../../evidence/reports/schema';
import { type ReportFolder, type SavedReport, reportHash } from '../../../evidence/reports/store';
import { InputError, RefusedError } from '../../../shared/errors';
import { canonicalHash, isFullHash, resolveHashPrefix, sha256Hex, strategyHash } from '../../../shared/hashing';
import { parseJsonText, validate } from '../../../shared/json';
import { shortHash } from '../../../shared/labels';
import type { Commitments } from '../../deploy/schemas';
import { type Candidate, type CommitmentProblem, type EvidenceSummary, manifestHash } from '../../pool/pool';
import {
  CandidateManifestSchema,
  type Lineage,
  LineageSchema,
  MetadataSchema,
  PayloadSchema,
  type Rejection,
  RejectionSchema,
  type StableManifest,
  StableManifestSchema,
} from '../../pool/schemas';
import { commitmentProblemsOf } from '../commitments';
import type { PoolReader } from '../types';

/** Runs one statement; the rows (none when the store has no schema yet). */
export type Select = <R extends QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

const FILE_PREFIX: Record<string, string> = { 'qraft.precheck': 'precheck', 'qraft.canary': 'canary' };

/** A candidate's row with its blobs (any may be null when the row is incomplete). */
export interface CandidateRow extends QueryResultRow {
  manifest_hash: string;
  manifest_sha: string;
  manifest: Buffer | null;
  payload_sha: string;
  payload: Buffer | null;
  metadata_sha: string;
  metadata: Buffer | null;
  stable_sha: string | null;
  stable: Buffer | null;
  lineage_sha: string | null;
  lineage: Buffer | null;
  rejection_sha: string | null;
  rejection: Buffer | null;
}

export interface EvidenceRow extends QueryResultRow {
  manifest_hash: string;
  report_hash: string;
  kind: string;
  report: Buffer | null;
  signature: Buffer | null;
}

/** The SELECT of candidates with every blob they point at (filter appended by the caller). */
export const CANDIDATE_SELECT = `SELECT c.manifest_hash, c.manifest_sha, m.bytes AS manifest, c.payload_sha, p.bytes AS payload, c.metadata_sha, d.bytes AS metadata,
    s.stable_sha, sb.bytes AS stable, l.lineage_sha, lb.bytes AS lineage, r.rejection_sha, rb.bytes AS rejection
  FROM qraft_candidates c
  LEFT JOIN qraft_blobs m ON m.sha256 = c.manifest_sha
  LEFT JOIN qraft_blobs p ON p.sha256 = c.payload_sha
  LEFT JOIN qraft_blobs d ON d.sha256 = c.metadata_sha
  LEFT JOIN qraft_stable s ON s.manifest_hash = c.manifest_hash
  LEFT JOIN qraft_blobs sb ON sb.sha256 = s.stable_sha
  LEFT JOIN qraft_lineage l ON l.manifest_hash = c.manifest_hash
  LEFT JOIN qraft_blobs lb ON lb.sha256 = l.lineage_sha
  LEFT JOIN qraft_rejections r ON r.manifest_hash = c.manifest_hash
  LEFT JOIN qraft_blobs rb ON rb.sha256 = r.rejection_sha`;

export const EVIDENCE_SELECT = `SELECT e.manifest_hash, e.report_hash, e.kind, b.bytes AS report, sg.bytes AS signature
  FROM qraft_evidence e
  LEFT JOIN qraft_blobs b ON b.sha256 = e.report_sha
  LEFT JOIN qraft_blobs sg ON sg.sha256 = e.signature_sha`;

export class PgPoolReader implements PoolReader {
  constructor(
    protected readonly select: Select,
    readonly location: string,
  ) {}

  candidateLocation(hash: string): string {
    return `${this.location} candidate ${hash}`;
  }

  /** Where one evidence report is, in messages and SavedReport.path. */
  reportLocation(hash: string, kind: string, report: string): string {
    return `${this.candidateLocation(hash)} evidence ${FILE_PREFIX[kind] ?? kind}-${report}.json`;
  }

  async resolve(hashOrPrefix: string): Promise<string> {
    if (isFullHash(hashOrPrefix) && (await this.hasCandidate(hashOrPrefix))) return hashOrPrefix;
    // The prefix is hex (parseHashArgument checked it), so it holds no LIKE wildcard.
    if (!/^[0-9a-f]+$/.test(hashOrPrefix)) throw new InputError(`"${hashOrPrefix}" is not a manifest hash or prefix.`);
    const rows = await this.select<{ manifest_hash: string }>(`SELECT manifest_hash FROM qraft_candidates WHERE manifest_hash::text LIKE $1 ORDER BY manifest_hash`, [`${hashOrPrefix}%`]);
    return resolveHashPrefix(hashOrPrefix, rows.map((row) => row.manifest_hash.trim()), `the strategy pool ${this.location}`);
  }

  async hasCandidate(hash: string): Promise<boolean> {
    if (!isFullHash(hash)) return false;
    return (await this.select(`SELECT 1 FROM qraft_candidates WHERE manifest_hash = $1`, [hash])).length > 0;
  }

  async candidateRow(hash: string): Promise<CandidateRow | undefined> {
    if (!isFullHash(hash)) throw new InputError(`"${hash}" is not a full manifest hash.`);
    return (await this.select<CandidateRow>(`${CANDIDATE_SELECT} WHERE c.manifest_hash = $1`, [hash]))[0];
  }

  async candidate(hash: string): Promise<Candidate> {
    const row = await this.candidateRow(hash);
    if (!row) throw new InputError(`No candidate ${hash} in the strategy pool ${this.location}.`);
    return this.candidateFrom(row);
  }

  /** The candidate a row holds, checked: every blob hashes to its name, the documents are valid, and they hash to the candidate's name. */
  candidateFrom(row: CandidateRow): Candidate {
    const hash = row.manifest_hash.trim();
    const where = this.candidateLocation(hash);
    const manifest = this.document(row.manifest, row.manifest_sha, `${where} manifest`, CandidateManifestSchema);
    const payload = this.document(row.payload, row.payload_sha, `${where} payload`, PayloadSchema);
    const metadata = this.document(row.metadata, row.metadata_sha, `${where} metadata`, MetadataSchema);
    const actual = manifestHash(payload, metadata);
    if (actual !== hash || manifest.manifest_hash !== hash) {
      throw new RefusedError('integrity', `Candidate ${where} was altered after it was proposed: its documents hash to ${actual}, not ${hash}.`);
    }
    const stable = this.stableFrom(hash, row.stable, row.stable_sha);
    return { manifest, payload, metadata, ...(stable ? { stable } : {}) };
  }

  stableFrom(hash: string, bytes: Buffer | null, sha: string | null): StableManifest | undefined {
    if (sha === null) return undefined;
    const where = `${this.candidateLocation(hash)} stable manifest`;
    const manifest = this.document(bytes, sha, where, StableManifestSchema);
    if (manifest.manifest_hash !== hash) throw new RefusedError('integrity', `${where} names ${manifest.manifest_hash}, not ${hash}.`);
    return manifest;
  }

  rejectionFrom(hash: string, bytes: Buffer | null, sha: string | null): Rejection | undefined {
    if (sha === null) return undefined;
    const where = `${this.candidateLocation(hash)} rejection`;
    const rejection = this.document(bytes, sha, where, RejectionSchema);
    if (rejection.manifest_hash !== hash) throw new RefusedError('integrity', `${where} names ${rejection.manifest_hash}, not ${hash}.`);
    return rejection;
  }

  /** A blob parsed and validated; RefusedError('integrity') when its bytes no longer hash to its name. */
  document<S extends import('zod').ZodType>(bytes: Buffer | null, sha: string, where: string, schema: S): import('zod').output<S> {
    if (bytes === null) throw new RefusedError('integrity', `${where} is missing from the store (blob ${shortHash(sha)}).`);
    if (sha256Hex(bytes) !== sha.trim()) throw new RefusedError('integrity', `${where} was altered in the database: its bytes no longer hash to ${shortHash(sha)}.`);
    return validate(schema, parseJsonText(bytes.toString('utf8'), where), where);
  }

  async evidenceRows(hash: string): Promise<EvidenceRow[]> {
    return this.select<EvidenceRow>(`${EVIDENCE_SELECT} WHERE e.manifest_hash = $1`, [hash]);
  }

  async evidence(hash: string): Promise<ReportFolder> {
    const candidate = await this.candidate(hash);
    return this.evidenceFrom(hash, strategyHash(candidate.payload), await this.evidenceRows(hash));
  }

  /** Every report row re-hashed against its report hash; reports on another strategy are problems (readReportFolder's rules). */
  evidenceFrom(hash: string, own: string, rows: readonly EvidenceRow[]): ReportFolder {
    const reports: SavedReport[] = [];
    const problems: string[] = [];
    const named = rows.map((row) => ({ row, name: `${FILE_PREFIX[row.kind] ?? row.kind}-${row.report_hash.trim()}.json` })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { row } of named) {
      const report = row.report_hash.trim();
      const path = this.reportLocation(hash, row.kind, report);
      const saved = intactReport(row, report, path);
      if (!saved) problems.push(`${path} does not hash to its name or is not a valid report`);
      else if (saved.report.strategy_hash !== own) problems.push(`${path} is a report on another strategy`);
      else reports.push(saved);
    }
    return { reports, problems };
  }

  async evidenceSignature(hash: string, reportHash: string): Promise<string | undefined> {
    if (!isFullHash(hash) || !isFullHash(reportHash)) return undefined;
    const rows = await this.select<{ signature: Buffer | null }>(
      `SELECT sg.bytes AS signature FROM qraft_evidence e JOIN qraft_blobs sg ON sg.sha256 = e.signature_sha WHERE e.manifest_hash = $1 AND e.report_hash = $2`,
      [hash, reportHash],
    );
    return rows[0]?.signature?.toString('utf8');
  }

  async stable(hash: string): Promise<StableManifest | undefined> {
    if (!isFullHash(hash)) return undefined;
    const rows = await this.select<{ stable_sha: string; bytes: Buffer | null }>(
      `SELECT s.stable_sha, b.bytes FROM qraft_stable s LEFT JOIN qraft_blobs b ON b.sha256 = s.stable_sha WHERE s.manifest_hash = $1`,
      [hash],
    );
    return rows[0] ? this.stableFrom(hash, rows[0].bytes, rows[0].stable_sha) : undefined;
  }

  async stableHash(hash: string): Promise<string | undefined> {
    if (!isFullHash(hash)) return undefined;
    const rows = await this.select<{ bytes: Buffer | null }>(`SELECT b.bytes FROM qraft_stable s LEFT JOIN qraft_blobs b ON b.sha256 = s.stable_sha WHERE s.manifest_hash = $1`, [hash]);
    // The hash of the bytes themselves (not the name they are filed under), as the file store hashes its file.
    return rows[0] ? (rows[0].bytes ? sha256Hex(rows[0].bytes) : 'missing') : undefined;
  }

  lineageFrom(hash: string, bytes: Buffer | null, sha: string | null): Lineage | undefined {
    return sha === null ? undefined : this.document(bytes, sha, `${this.candidateLocation(hash)} lineage`, LineageSchema);
  }

  async lineage(hash: string): Promise<Lineage | undefined> {
    if (!isFullHash(hash)) return undefined;
    const rows = await this.select<{ lineage_sha: string; bytes: Buffer | null }>(
      `SELECT l.lineage_sha, b.bytes FROM qraft_lineage l LEFT JOIN qraft_blobs b ON b.sha256 = l.lineage_sha WHERE l.manifest_hash = $1`,
      [hash],
    );
    return rows[0] ? this.lineageFrom(hash, rows[0].bytes, rows[0].lineage_sha) : undefined;
  }

  async rejection(hash: string): Promise<Rejection | undefined> {
    if (!isFullHash(hash)) return undefined;
    const rows = await this.select<{ rejection_sha: string; bytes: Buffer | null }>(
      `SELECT r.rejection_sha, b.bytes FROM qraft_rejections r LEFT JOIN qraft_blobs b ON b.sha256 = r.rejection_sha WHERE r.manifest_hash = $1`,
      [hash],
    );
    return rows[0] ? this.rejectionFrom(hash, rows[0].bytes, rows[0].rejection_sha) : undefined;
  }

  async candidateCommitments(hash: string): Promise<{ payload_hash: string; evidence: string[] }> {
    const row = await this.candidateRow(hash);
    if (!row) throw new InputError(`No candidate ${hash} in the strategy pool ${this.location}.`);
    const candidate = this.candidateFrom(row);
    const folder = this.evidenceFrom(hash, strategyHash(candidate.payload), await this.evidenceRows(hash));
    if (!row.payload) throw new InputError(`Cannot read the payload of ${this.candidateLocation(hash)}: it is missing from the store.`);
    return { payload_hash: sha256Hex(row.payload), evidence: folder.reports.map((saved) => saved.report_hash).sort() };
  }

  async commitmentProblems(hash: string, committed: Commitments): Promise<CommitmentProblem[]> {
    const label = shortHash(hash);
    let row: CandidateRow | undefined;
    try {
      row = await this.candidateRow(hash);
    } catch (err) {
      return [{ part: 'candidate', message: (err as Error).message.replace(/\.$/, '') }];
    }
    if (!row) return [{ part: 'candidate', message: `version ${label} is not in the strategy pool ${this.location} (neither its candidate nor its stable manifest)` }];
    const found = row;
    const where = this.candidateLocation(hash);
    const rows = await this.evidenceRows(hash);
    return commitmentProblemsOf(hash, committed, {
      checkCandidate: () => void this.candidateFrom(found),
      payloadHash: () => (found.payload ? sha256Hex(found.payload) : undefined),
      stableHash: () => (found.stable_sha !== null && found.stable ? sha256Hex(found.stable) : undefined),
      intactEvidence: () => {
        const present = new Set<string>();
        for (const evidence of rows) {
          try {
            if (evidence.report && canonicalHash(JSON.parse(evidence.report.toString('utf8'))) === evidence.report_hash.trim()) present.add(evidence.report_hash.trim());
          } catch {
            // not JSON: not an intact report
          }
        }
        return present;
      },
      places: { payload: `${where} payload`, stable: `${where} stable manifest`, evidence: `${where} evidence` },
    });
  }
}

/** A report row whose bytes parse as a report of its kind and hash to its report hash; undefined otherwise. */
function intactReport(row: EvidenceRow, report: string, path: string): SavedReport | undefined {
  if (!row.report) return undefined;
  try {
    const parsed = AnyReportSchema.safeParse(parseJsonText(row.report.toString('utf8'), path));
    if (!parsed.success || parsed.data.kind !== row.kind || reportHash(parsed.data) !== report) return undefined;
    return { report: parsed.data, report_hash: report, path };
  } catch {
    return undefined;
  }
}

/** What a listing shows of a candidate's evidence (the pool's rule: newest precheck and canary of its own payload). */
export function summarizeEvidence(folder: ReportFolder): EvidenceSummary {
  const mine = [...folder.reports].sort((a, b) => b.report.created_at.localeCompare(a.report.created_at));
  const summary: EvidenceSummary = { problems: folder.problems.length };
  for (const { report } of mine) {
    if (report.kind === 'qraft.precheck' && !summary.precheck) {
      summary.precheck = { passed: report.passed, engine: report.precise.engine, ...(report.precise.fallback ? { fallback: report.precise.fallback.message } : {}) };
    }
    if (report.kind === 'qraft.canary' && !summary.canary) summary.canary = { verdict: report.verdict, ...(report.baseline ? { baseline: report.baseline.manifest_hash } : {}) };
  }
  return summary;
}
