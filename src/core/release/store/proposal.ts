/**
 * A proposal checked and named, before any store records it (shared by every back end): the
 * payload and metadata validated, evidence refused from metadata, every report checked to be on
 * this payload, the manifest hash computed, the manifest a new candidate gets.
 */
import type { SavedReport } from '../../evidence/reports/store';
import { InputError } from '../../shared/errors';
import { canonicalHash, strategyHash } from '../../shared/hashing';
import { validate } from '../../shared/json';
import { type CandidateManifest, type Lineage, type Metadata, MetadataSchema, type Payload, PayloadSchema, VOLATILE_METADATA_KEYS } from '../pool/schemas';
import type { Proposal } from './types';

/** The hash that names a proposal: canonical JSON of payload and metadata, volatile keys left out. */
export function manifestHash(payload: Payload, metadata: Metadata): string {
  const stableMetadata: Record<string, unknown> = { ...metadata };
  for (const key of VOLATILE_METADATA_KEYS) delete stableMetadata[key];
  return canonicalHash({ payload, metadata: stableMetadata });
}

/** Metadata keys that would smuggle evidence in: propose refuses them. */
const EVIDENCE_KEYS = ['precheck', 'canary', 'evidence'] as const;

export function makeProposal(
  payloadInput: unknown,
  metadataInput: unknown,
  evidence: readonly SavedReport[],
  signatures: ReadonlyMap<string, string>,
  lineage: Lineage | undefined,
  now: Date,
): Proposal {
  const payload = validate(PayloadSchema, payloadInput, 'payload');
  const carried = EVIDENCE_KEYS.find((key) => typeof metadataInput === 'object' && metadataInput !== null && key in metadataInput);
  if (carried) throw new InputError(`metadata carries "${carried}": evidence is never taken from metadata; propose attaches the reports saved for the payload itself.`);
  const metadata = validate(MetadataSchema, metadataInput, 'metadata');
  const hash = manifestHash(payload, metadata);
  const own = strategyHash(payload);
  const foreign = evidence.find((saved) => saved.report.strategy_hash !== own);
  if (foreign) throw new InputError(`The report ${foreign.path} is for another strategy than the payload.`);
  const manifest: CandidateManifest = {
    kind: 'qraft.candidate',
    manifest_hash: hash,
    strategy: { name: payload.name, version: payload.version },
    strategy_hash: own,
    proposed_by: metadata.proposed_by,
    proposed_at: now.toISOString(),
  };
  return { manifest_hash: hash, payload, metadata, manifest, evidence, signatures, ...(lineage ? { lineage } : {}) };
}

/** What propose reports of the evidence it attached. */
export function attachedEvidence(evidence: readonly SavedReport[]): { kind: string; report_hash: string; passed: boolean | string }[] {
  return evidence.map((saved) => ({ kind: saved.report.kind, report_hash: saved.report_hash, passed: saved.report.kind === 'qraft.precheck' ? saved.report.passed : saved.report.verdict }));
}
