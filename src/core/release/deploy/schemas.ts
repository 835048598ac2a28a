import { z } from 'zod';
import { Sha256 } from '../../shared/hashing';
import { StrategyRefSchema } from '../pool/schemas';

export const HistoryActionSchema = z.enum(['publish', 'rollback']);
export type HistoryAction = z.output<typeof HistoryActionSchema>;

export const HistoryEntrySchema = z.strictObject({
  seq: z.number().int().min(1),
  action: HistoryActionSchema,
  manifest_hash: Sha256,
  from_hash: Sha256.nullable(),
  actor: z.string().min(1),
  note: z.string(),
  ts: z.string().min(1),
  strategy: StrategyRefSchema.optional(),
  forced: z.literal(true).optional(),
  /** The codes of the refusals a forced approval overrode. */
  overridden: z.array(z.string()).optional(),
  /** sha256 of the bytes of `stable/<manifest_hash>/manifest.json` when the entry was written. */
  stable_hash: Sha256.optional(),
  /** sha256 of the bytes of the candidate's payload.json. */
  payload_hash: Sha256.optional(),
  /** The report hashes of the candidate's evidence folder when it was published (sorted). */
  evidence: z.array(Sha256).optional(),
  prev: Sha256.nullable(),
  hash: Sha256,
  /** An SSH signature (`ssh-keygen -Y sign`, namespace qraft-release) over `hash`, by the actor. */
  signature: z.string().min(1).optional(),
});
export type HistoryEntry = z.output<typeof HistoryEntrySchema>;
/** An entry before it is sealed: `hash` and `signature` are not part of what `hash` covers. */
export type UnsignedHistoryEntry = Omit<HistoryEntry, 'hash' | 'signature'>;

/** What an entry commits to in the pool; verify re-hashes each file against it. */
export interface Commitments {
  stable_hash: string;
  payload_hash: string;
  evidence: string[];
}

export function commitmentsOf(entry: HistoryEntry): Commitments | undefined {
  if (!entry.stable_hash || !entry.payload_hash || !entry.evidence) return undefined;
  return { stable_hash: entry.stable_hash, payload_hash: entry.payload_hash, evidence: entry.evidence };
}

export const HistorySchema = z.array(HistoryEntrySchema);

export const CurrentSchema = z.strictObject({
  manifest_hash: Sha256,
  approved_by: z.string(),
  note: z.string(),
  ts: z.string(),
  seq: z.number().int().min(1),
  strategy: StrategyRefSchema.optional(),
});
export type CurrentRecord = z.output<typeof CurrentSchema>;

/**
 * Written before HISTORY and removed after CURRENT: says which entry a write was committing, and
 * (`stable_hash`) that it wrote a stable manifest first, which the next writer removes when the
 * entry never reached HISTORY. Never proof of anything by itself.
 */
export const PendingSchema = z.strictObject({
  entry_hash: Sha256,
  seq: z.number().int().min(1),
  manifest_hash: Sha256.optional(),
  stable_hash: Sha256.optional(),
});
export type PendingWrite = z.output<typeof PendingSchema>;
