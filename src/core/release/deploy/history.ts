import { RefusedError } from '../../shared/errors';
import { canonicalHash } from '../../shared/hashing';
import { canonicalJson } from '../../shared/json';
import { shortHash } from '../../shared/labels';
import type { StrategyRef } from '../pool/schemas';
import { type Commitments, type CurrentRecord, type HistoryEntry, type UnsignedHistoryEntry, commitmentsOf } from './schemas';

/** The hash that seals an entry: sha256 of the canonical JSON of everything but `hash` and `signature`. */
export function entryHash(entry: UnsignedHistoryEntry): string {
  const { hash: _hash, signature: _signature, ...unsigned } = entry as HistoryEntry;
  return canonicalHash(unsigned);
}

export function sealEntry(entry: UnsignedHistoryEntry): HistoryEntry {
  return { ...entry, hash: entryHash(entry) };
}

/** A version on the release stack, with the publish that put it there. */
export interface StackItem {
  manifest_hash: string;
  approved_by: string;
  note: string;
  strategy?: StrategyRef;
  published_seq: number;
  /** What the publish committed to in the pool (absent for entries written before entries recorded it). */
  commitments?: Commitments;
}

export interface Replay {
  stack: StackItem[];
  /** Each problem names the entry (by seq) and what is wrong; empty when the history is sound. */
  problems: string[];
}

/** Checks the seal and links of every entry: numbering, `prev` and `hash`. */
export function chainProblems(entries: readonly HistoryEntry[]): string[] {
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const label = `entry ${index + 1}`;
    if (entry.seq !== index + 1) problems.push(`${label} has seq ${entry.seq}, expected ${index + 1}`);
    const expectedPrev = index === 0 ? null : entries[index - 1].hash;
    if (entry.prev !== expectedPrev) problems.push(`${label} does not link to the entry before it (prev mismatch)`);
    if (entryHash(entry) !== entry.hash) problems.push(`${label} was altered after it was written (its hash does not match its content)`);
  });
  return problems;
}

/** Replays publish (push) and rollback (pop back to the target) into the release stack. */
/** What a publish puts on the release stack. */
export function stackItemOf(entry: HistoryEntry): StackItem {
  return {
    manifest_hash: entry.manifest_hash,
    approved_by: entry.actor,
    note: entry.note,
    strategy: entry.strategy,
    published_seq: entry.seq,
    commitments: commitmentsOf(entry),
  };
}

export function replay(entries: readonly HistoryEntry[]): Replay {
  const stack: StackItem[] = [];
  const problems = chainProblems(entries);
  for (const entry of entries) {
    const top = stack.at(-1);
    const label = `entry ${entry.seq}`;
    if ((top?.manifest_hash ?? null) !== entry.from_hash) {
      problems.push(`${label} says it moved from ${entry.from_hash ?? 'nothing'}, but ${top?.manifest_hash ?? 'nothing'} was live`);
    }
    if (entry.action === 'publish') {
      stack.push(stackItemOf(entry));
      continue;
    }
    const targetIndex = findRollbackTarget(stack, entry.manifest_hash);
    if (targetIndex < 0) {
      problems.push(`${label} rolls back to ${entry.manifest_hash}, which is not an earlier version on the release stack`);
      continue;
    }
    stack.length = targetIndex + 1;
  }
  return { stack, problems };
}

/** Index of the highest occurrence of `hash` below the top of the stack, or -1. */
export function findRollbackTarget(stack: readonly StackItem[], hash: string): number {
  for (let index = stack.length - 2; index >= 0; index -= 1) {
    if (stack[index].manifest_hash === hash) return index;
  }
  return -1;
}

/**
 * The version a rollback returns to: `to` (a full hash) or, without it, the one below the top.
 * Refuses, naming why, when there is no such earlier version.
 */
export function rollbackTarget(stack: readonly StackItem[], to?: string): StackItem {
  if (stack.length < 2) {
    throw new RefusedError('rollback',
      stack.length === 0
        ? 'Nothing has been published yet, so there is nothing to roll back.'
        : 'Only one version is on the release stack; there is no earlier version to roll back to.',
    );
  }
  const targetIndex = to === undefined ? stack.length - 2 : findRollbackTarget(stack, to);
  if (targetIndex < 0) {
    const reason = stack.at(-1)?.manifest_hash === to ? 'it is CURRENT already' : 'it is not an earlier version on the release stack';
    throw new RefusedError('rollback', `Cannot roll back to ${shortHash(to ?? '')}: ${reason}.`);
  }
  return stack[targetIndex];
}

/** CURRENT as the history implies it: the top of the stack, live since the last entry. */
export function deriveCurrent(entries: readonly HistoryEntry[], stack: readonly StackItem[]): CurrentRecord | null {
  const top = stack.at(-1);
  const last = entries.at(-1);
  if (!top || !last) return null;
  const current: CurrentRecord = {
    manifest_hash: top.manifest_hash,
    approved_by: top.approved_by,
    note: top.note,
    ts: last.ts,
    seq: last.seq,
  };
  if (top.strategy) current.strategy = top.strategy;
  return current;
}

export function sameRecord(a: unknown, b: unknown): boolean {
  return canonicalJson(a ?? null) === canonicalJson(b ?? null);
}
