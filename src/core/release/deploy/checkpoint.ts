import { z } from 'zod';
import { Sha256, sha256Hex } from '../../shared/hashing';
import { StrategyRefSchema } from '../pool/schemas';
import { type StackItem, entryHash, findRollbackTarget, stackItemOf } from './history';
import { type Commitments, type CurrentRecord, CurrentSchema, type HistoryEntry, HistorySchema, commitmentsOf } from './schemas';

/**
 * `HISTORY.checkpoint.json`: what a full verification of HISTORY found, for the prefix of the
 * file it verified — its byte length and sha256, entry count, head, release stack, and the few
 * entries a write needs (the last, each version's latest publish, the publish of each stack item).
 * It is derived data: a write re-derives it, and a reader uses it only when the first `bytes`
 * bytes of HISTORY.json still hash to `prefix_sha256` and the rest of the file is whole entries
 * that extend the chain from `head`. Anything else (absent, unparsable, another length, another
 * hash, a tail that does not link) and the full chain is read and verified as without it.
 */
export const CHECKPOINT_FILE = 'HISTORY.checkpoint.json';

const StackItemSchema = z.strictObject({
  manifest_hash: Sha256,
  approved_by: z.string(),
  note: z.string(),
  strategy: StrategyRefSchema.optional(),
  published_seq: z.number().int().min(1),
  commitments: z.strictObject({ stable_hash: Sha256, payload_hash: Sha256, evidence: z.array(Sha256) }).optional(),
});

const VersionCommitmentsSchema = z.strictObject({ manifest_hash: Sha256, stable_hash: Sha256, payload_hash: Sha256, evidence: z.array(Sha256), first_seq: z.number().int().min(1) });

export const CheckpointSchema = z.strictObject({
  kind: z.literal('qraft.history-checkpoint'),
  version: z.literal(1),
  bytes: z.number().int().min(1),
  prefix_sha256: Sha256,
  entries: z.number().int().min(1),
  head: Sha256,
  stack: z.array(StackItemSchema),
  /** CURRENT as the history without its last entry replays to (null: nothing was live). */
  before_last: CurrentSchema.nullable(),
  kept: HistorySchema,
  /** For verify: every distinct set of pool files an entry commits to (with the first entry that did). */
  commitments: z.array(VersionCommitmentsSchema),
  uncommitted: z.number().int().min(0),
  /** Signed entries in the prefix: verify checks each signature, so it reads the whole history when there are any. */
  signed: z.number().int().min(0),
});
export type Checkpoint = z.output<typeof CheckpointSchema>;

export type VersionCommitments = Commitments & { manifest_hash: string; first_seq: number };

/** The verified state of a history, entry by entry; `advance` adds one entry or says it does not fit. */
export class Chain {
  count = 0;
  last: HistoryEntry | undefined;
  stack: StackItem[] = [];
  beforeLast: CurrentRecord | null = null;
  /** seq → entry, for the entries a write may need. */
  readonly kept = new Map<number, HistoryEntry>();
  /** manifest hash → seq of its latest publish. */
  readonly latestPublish = new Map<string, number>();
  readonly commitments = new Map<string, VersionCommitments>();
  uncommitted = 0;
  signed = 0;

  /** Adds an entry when it extends the chain soundly (seq, prev, hash, from_hash, rollback target); false otherwise, nothing changed. */
  advance(entry: HistoryEntry): boolean {
    if (entry.seq !== this.count + 1) return false;
    if (entry.prev !== (this.last?.hash ?? null)) return false;
    if (entryHash(entry) !== entry.hash) return false;
    const top = this.stack.at(-1);
    if ((top?.manifest_hash ?? null) !== entry.from_hash) return false;
    let targetIndex = -1;
    if (entry.action === 'rollback') {
      targetIndex = findRollbackTarget(this.stack, entry.manifest_hash);
      if (targetIndex < 0) return false;
    }
    this.beforeLast = this.currentRecord();
    if (entry.action === 'publish') {
      this.stack.push(stackItemOf(entry));
      this.latestPublish.set(entry.manifest_hash, entry.seq);
    } else {
      this.stack.length = targetIndex + 1;
    }
    this.kept.set(entry.seq, entry);
    const commitments = commitmentsOf(entry);
    if (commitments) {
      const key = `${entry.manifest_hash}:${commitments.stable_hash}:${commitments.payload_hash}:${commitments.evidence.join(',')}`;
      if (!this.commitments.has(key)) this.commitments.set(key, { manifest_hash: entry.manifest_hash, ...commitments, first_seq: entry.seq });
    } else {
      this.uncommitted += 1;
    }
    if (entry.signature) this.signed += 1;
    this.count = entry.seq;
    this.last = entry;
    if (this.kept.size > 4 * (this.stack.length + this.latestPublish.size) + 64) this.prune();
    return true;
  }

  /** CURRENT as this chain replays to (deriveCurrent's rule). */
  currentRecord(): CurrentRecord | null {
    const top = this.stack.at(-1);
    const last = this.last;
    if (!top || !last) return null;
    const current: CurrentRecord = { manifest_hash: top.manifest_hash, approved_by: top.approved_by, note: top.note, ts: last.ts, seq: last.seq };
    if (top.strategy) current.strategy = top.strategy;
    return current;
  }

  entry(seq: number): HistoryEntry | undefined {
    return this.kept.get(seq);
  }

  lastPublish(hash: string): HistoryEntry | undefined {
    const seq = this.latestPublish.get(hash);
    return seq === undefined ? undefined : this.kept.get(seq);
  }

  /** Drops kept entries no write can need any more. */
  private prune(): void {
    const needed = new Set<number>(this.latestPublish.values());
    for (const item of this.stack) needed.add(item.published_seq);
    if (this.last) needed.add(this.last.seq);
    for (const seq of [...this.kept.keys()]) if (!needed.has(seq)) this.kept.delete(seq);
  }

  static of(entries: readonly HistoryEntry[]): Chain | undefined {
    const chain = new Chain();
    for (const entry of entries) if (!chain.advance(entry)) return undefined;
    return chain;
  }

  static fromCheckpoint(checkpoint: Checkpoint): Chain | undefined {
    const chain = new Chain();
    chain.count = checkpoint.entries;
    // As replay makes them (an absent strategy or commitments is a key holding undefined).
    chain.stack = checkpoint.stack.map((item) => ({ manifest_hash: item.manifest_hash, approved_by: item.approved_by, note: item.note, strategy: item.strategy, published_seq: item.published_seq, commitments: item.commitments }));
    chain.beforeLast = checkpoint.before_last;
    for (const entry of checkpoint.kept) chain.kept.set(entry.seq, entry);
    chain.last = chain.kept.get(checkpoint.entries);
    if (!chain.last || chain.last.hash !== checkpoint.head || entryHash(chain.last) !== chain.last.hash) return undefined;
    for (const entry of checkpoint.kept) {
      if (entryHash(entry) !== entry.hash) return undefined;
      if (entry.action === 'publish' && (chain.latestPublish.get(entry.manifest_hash) ?? 0) < entry.seq) chain.latestPublish.set(entry.manifest_hash, entry.seq);
    }
    // The top of the stack is what the head entry made live.
    const top = chain.stack.at(-1);
    if (!top || top.manifest_hash !== chain.last.manifest_hash || (chain.last.action === 'publish' && top.published_seq !== chain.last.seq)) return undefined;
    // Every stack item's publish must be kept, and be that publish.
    for (const item of chain.stack) {
      const entry = chain.kept.get(item.published_seq);
      if (!entry || entry.action !== 'publish' || entry.manifest_hash !== item.manifest_hash || entry.actor !== item.approved_by || entry.note !== item.note) return undefined;
    }
    for (const item of checkpoint.commitments) {
      const { first_seq: _first, manifest_hash, ...commitments } = item;
      chain.commitments.set(`${manifest_hash}:${commitments.stable_hash}:${commitments.payload_hash}:${commitments.evidence.join(',')}`, item);
    }
    chain.uncommitted = checkpoint.uncommitted;
    chain.signed = checkpoint.signed;
    return chain;
  }

  toCheckpoint(prefix: Buffer): Checkpoint | undefined {
    if (!this.last) return undefined;
    this.prune();
    return {
      kind: 'qraft.history-checkpoint',
      version: 1,
      bytes: prefix.length,
      prefix_sha256: sha256Hex(prefix),
      entries: this.count,
      head: this.last.hash,
      stack: this.stack,
      before_last: this.beforeLast,
      kept: [...this.kept.values()].sort((a, b) => a.seq - b.seq),
      commitments: [...this.commitments.values()],
      uncommitted: this.uncommitted,
      signed: this.signed,
    };
  }
}

/** One entry as `prettyJson` writes it inside the HISTORY array (indented one level). */
export function entryText(entry: HistoryEntry): string {
  return JSON.stringify(entry, null, 2).replace(/^/gm, '  ');
}

const CLOSING = '\n]\n';

/**
 * The checkpointed prefix of HISTORY's bytes: everything up to the last entry's closing brace,
 * when the file ends as `prettyJson` ends an array. Undefined for any other shape.
 */
export function historyPrefix(bytes: Buffer): Buffer | undefined {
  if (bytes.length < 4 || bytes.subarray(bytes.length - CLOSING.length).toString('latin1') !== CLOSING) return undefined;
  if (bytes[bytes.length - CLOSING.length - 1] !== 0x7d /* } */) return undefined;
  return bytes.subarray(0, bytes.length - CLOSING.length);
}

/** HISTORY's bytes with `entry` appended, exactly as `prettyJson` writes the longer array. */
export function appendedHistory(prefix: Buffer | undefined, entry: HistoryEntry): Buffer {
  if (!prefix) return Buffer.from(`[\n${entryText(entry)}${CLOSING}`, 'utf8');
  return Buffer.concat([prefix, Buffer.from(`,\n${entryText(entry)}${CLOSING}`, 'utf8')]);
}

/**
 * The chain a checkpoint vouches for, extended by the entries after its prefix; undefined (take
 * the full path) unless the prefix hashes to what the checkpoint recorded and the rest of the
 * file is exactly whole entries, written as the store writes them, that extend the chain.
 */
export function chainFromCheckpoint(checkpointText: string | undefined, history: Buffer): Chain | undefined {
  if (checkpointText === undefined) return undefined;
  let checkpoint: Checkpoint;
  try {
    const parsed = CheckpointSchema.safeParse(JSON.parse(checkpointText));
    if (!parsed.success) return undefined;
    checkpoint = parsed.data;
  } catch {
    return undefined;
  }
  if (history.length < checkpoint.bytes + CLOSING.length) return undefined;
  if (history[checkpoint.bytes - 1] !== 0x7d) return undefined;
  if (sha256Hex(history.subarray(0, checkpoint.bytes)) !== checkpoint.prefix_sha256) return undefined;
  const chain = Chain.fromCheckpoint(checkpoint);
  if (!chain) return undefined;
  const tail = history.subarray(checkpoint.bytes).toString('utf8');
  if (tail === CLOSING) return chain;
  if (!tail.startsWith(',\n')) return undefined;
  let entries: HistoryEntry[];
  try {
    const raw = JSON.parse(`[${tail.slice(1)}`) as unknown;
    if (!Array.isArray(raw) || raw.map((entry) => `,\n${JSON.stringify(entry, null, 2).replace(/^/gm, '  ')}`).join('') + CLOSING !== tail) return undefined;
    const parsed = HistorySchema.safeParse(raw);
    if (!parsed.success) return undefined;
    entries = parsed.data;
  } catch {
    return undefined;
  }
  for (const entry of entries) if (!chain.advance(entry)) return undefined;
  return chain;
}
