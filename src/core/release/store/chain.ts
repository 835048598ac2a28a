/**
 * The hash chain's shared write path, for every back end: the checked state of a history, and the
 * entry a write appends to it. The file store's DeployStore and the PostgreSQL store both use these,
 * so seq, prev, from_hash, commitments, the seal and the signature are the same everywhere.
 */
import { RefusedError } from '../../shared/errors';
import { shortHash } from '../../shared/labels';
import type { DeployState } from '../deploy/store';
import { type StackItem, deriveCurrent, findRollbackTarget, replay, rollbackTarget, sameRecord, sealEntry, stackItemOf } from '../deploy/history';
import { type CurrentRecord, type HistoryEntry, HistoryEntrySchema } from '../deploy/schemas';
import type { EntryFields, PreparedStoreWrite, SignStoreEntry } from './types';

/**
 * The state a full, parsed history replays to. Refuses (RefusedError('integrity')) when the chain
 * is broken, or when `current` (the stored CURRENT, when the back end keeps one) is given and
 * disagrees with the replay. `where` names the store in the sentence.
 */
export function stateFromHistory(history: HistoryEntry[], where: string, current?: { stored: CurrentRecord | null }): DeployState {
  const { stack, problems } = replay(history);
  if (problems.length > 0) {
    throw new RefusedError('integrity', `The history in ${where} failed verification (${problems[0]}); refusing to continue. Run \`qraft deploy verify\` for every problem.`);
  }
  const derived = deriveCurrent(history, stack);
  if (current && !sameRecord(current.stored, derived)) {
    const said = current.stored ? `${shortHash(current.stored.manifest_hash)} (seq ${current.stored.seq})` : 'nothing';
    const implied = derived ? `${shortHash(derived.manifest_hash)} (seq ${derived.seq})` : 'nothing';
    throw new RefusedError('integrity', `CURRENT in ${where} says ${said} is live but its history replays to ${implied}; refusing to guess.`);
  }
  return stateOfHistory(history, stack, derived);
}

/** The state of a whole parsed history whose replay (stack, CURRENT) is already checked. */
export function stateOfHistory(history: HistoryEntry[], stack: StackItem[], current: CurrentRecord | null): DeployState {
  return {
    history,
    stack,
    current,
    length: history.length,
    head: history.at(-1),
    entry: (seq) => history[seq - 1],
    lastPublish: (hash) => {
      for (let index = history.length - 1; index >= 0; index -= 1) {
        const entry = history[index];
        if (entry.action === 'publish' && entry.manifest_hash === hash) return entry;
      }
      return undefined;
    },
  };
}

/**
 * The entry a write appends to `state`: numbered, linked to the head, moving from CURRENT, stamped
 * `now`, committing to what `prepared` says, sealed, then signed over its hash. Returned in the
 * schema's key order (what HISTORY.json stores, and what a database should store as the entry's JSON).
 */
export function draftEntry(state: DeployState, fields: EntryFields, prepared: PreparedStoreWrite, sign: SignStoreEntry | undefined, now: Date): HistoryEntry {
  const sealed = sealEntry({
    seq: state.length + 1,
    ...fields,
    from_hash: state.current?.manifest_hash ?? null,
    ts: now.toISOString(),
    ...(prepared.commitments
      ? { stable_hash: prepared.commitments.stable_hash, payload_hash: prepared.commitments.payload_hash, evidence: [...prepared.commitments.evidence].sort() }
      : {}),
    prev: state.head?.hash ?? null,
  });
  const signature = sign?.(sealed.hash);
  return HistoryEntrySchema.parse(signature ? { ...sealed, signature } : sealed);
}

/** CURRENT after appending `entry` (drafted by draftEntry for `state`) to `state`: its stack moved by the entry, no replay. */
export function currentAfter(state: DeployState, entry: HistoryEntry): CurrentRecord {
  const stack = [...state.stack];
  if (entry.action === 'publish') stack.push(stackItemOf(entry));
  else {
    const index = findRollbackTarget(stack, entry.manifest_hash);
    if (index < 0) throw new Error('a rollback entry always names an earlier version on the stack');
    stack.length = index + 1;
  }
  const current = deriveCurrent([entry], stack);
  if (!current) throw new Error('a history with entries always has a CURRENT');
  return current;
}

/** The fields of a publish entry, refusing a version that is already CURRENT (shared by every back end). */
export function publishFields(state: DeployState, request: { manifest_hash: string; actor: string; note: string; strategy?: EntryFields['strategy']; overridden?: readonly string[] }): EntryFields {
  if (state.current?.manifest_hash === request.manifest_hash) {
    throw new RefusedError('already_current', `${shortHash(request.manifest_hash)} is already CURRENT; nothing to publish.`);
  }
  return {
    action: 'publish',
    manifest_hash: request.manifest_hash,
    actor: request.actor,
    note: request.note,
    ...(request.strategy ? { strategy: request.strategy } : {}),
    ...(request.overridden?.length ? { forced: true as const, overridden: [...request.overridden] } : {}),
  };
}

/** The fields of a rollback entry and the stack item it returns to (refused when there is none; shared by every back end). */
export function rollbackFields(state: DeployState, request: { to?: string; actor: string; note: string }): { fields: EntryFields; target: StackItem } {
  const target = rollbackTarget(state.stack, request.to);
  return {
    target,
    fields: {
      action: 'rollback',
      manifest_hash: target.manifest_hash,
      actor: request.actor,
      note: request.note,
      ...(target.strategy ? { strategy: target.strategy } : {}),
    },
  };
}
