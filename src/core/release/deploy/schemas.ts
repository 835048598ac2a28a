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
  prev: Sha256.nullable(),
  hash: Sha256,
});
export type HistoryEntry = z.output<typeof HistoryEntrySchema>;
export type UnsignedHistoryEntry = Omit<HistoryEntry, 'hash'>;

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

/** Written before HISTORY and removed after CURRENT: tells a crashed write from a hand edit. */
export const PendingSchema = z.strictObject({ entry_hash: Sha256, seq: z.number().int().min(1) });
export type PendingWrite = z.output<typeof PendingSchema>;
