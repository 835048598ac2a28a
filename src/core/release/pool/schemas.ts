import { z } from 'zod';
import { Sha256 } from '../../shared/hashing';

const Name = z.string().trim().min(1, 'must not be empty').max(200);

/**
 * The payload is a strategy document. Only what the pool itself relies on is required here; the
 * backtesting core validates the full strategy schema before a precheck runs.
 */
export const PayloadSchema = z.looseObject({
  name: Name,
  version: Name,
});
export type Payload = z.output<typeof PayloadSchema>;

export const MetadataSchema = z.looseObject({
  proposed_by: Name,
  description: z.string().max(10000).optional(),
  tags: z.array(z.string().min(1).max(100)).max(50).optional(),
});
export type Metadata = z.output<typeof MetadataSchema>;

/** Metadata keys that change between otherwise identical proposals and so stay out of the hash. */
export const VOLATILE_METADATA_KEYS = ['proposed_at'] as const;

export const StrategyRefSchema = z.object({ name: z.string(), version: z.string() });
export type StrategyRef = z.output<typeof StrategyRefSchema>;

export const CandidateManifestSchema = z.object({
  kind: z.literal('qraft.candidate'),
  manifest_hash: Sha256,
  strategy: StrategyRefSchema,
  strategy_hash: Sha256,
  proposed_by: z.string(),
  proposed_at: z.string(),
});
export type CandidateManifest = z.output<typeof CandidateManifestSchema>;

export const StableManifestSchema = CandidateManifestSchema.extend({
  kind: z.literal('qraft.stable'),
  approved_by: z.string(),
  note: z.string(),
  ts: z.string(),
  forced: z.boolean().optional(),
});
export type StableManifest = z.output<typeof StableManifestSchema>;

/**
 * Where a proposal's strategy file came from, when it was in a git work tree: the commit checked
 * out (HEAD), the file's path in the repository, and whether the file differed from that commit
 * (changed, or not tracked at all). Kept in its own file, `candidates/<hash>/lineage.json`, out of
 * the manifest hash: the same strategy proposed from two commits is the same candidate.
 */
export const LineageSchema = z.object({
  commit: z.string().regex(/^[0-9a-f]{40,64}$/, 'expected a git commit id'),
  path: z.string().min(1),
  dirty: z.boolean(),
});
export type Lineage = z.output<typeof LineageSchema>;

/** A candidate turned down: `candidates/<hash>/rejection.json`. Approval refuses it from then on. */
export const RejectionSchema = z.object({
  kind: z.literal('qraft.rejection'),
  manifest_hash: Sha256,
  rejected_by: z.string(),
  note: z.string(),
  ts: z.string(),
});
export type Rejection = z.output<typeof RejectionSchema>;
