import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RefusedError } from '../../shared/errors';
import { failpoint } from '../../shared/failpoint';
import { type LockOptions, readTextIfExists, removeIfExists, withDirLock, writeFileAtomicSync } from '../../shared/files';
import { parseJsonText, prettyJson, validate } from '../../shared/json';
import { shortHash } from '../../shared/labels';
import type { StrategyRef } from '../pool/schemas';
import { type StackItem, deriveCurrent, replay, rollbackTarget, sameRecord, sealEntry } from './history';
import {
  type CurrentRecord,
  CurrentSchema,
  type HistoryAction,
  type HistoryEntry,
  HistorySchema,
  type PendingWrite,
  PendingSchema,
} from './schemas';

const CURRENT_FILE = 'CURRENT.json';
const HISTORY_FILE = 'HISTORY.json';
const PENDING_FILE = '.pending.json';

/** The deploy dir as read and checked: every command starts from this. */
export interface DeployState {
  history: HistoryEntry[];
  stack: StackItem[];
  current: CurrentRecord | null;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  current: CurrentRecord | null;
  problems: string[];
}

export interface PublishRequest {
  manifest_hash: string;
  actor: string;
  note: string;
  strategy?: StrategyRef;
  /** The refusal codes a forced approval overrode; a forced entry when not empty. */
  overridden?: readonly string[];
}

export interface RollbackRequest {
  /** Full hash of the version to return to; the previous version when absent. */
  to?: string;
  actor: string;
  note: string;
}

export interface DeployWrite {
  entry: HistoryEntry;
  current: CurrentRecord;
}

/** Raw files, each parsed and validated, or the sentence saying why it could not be. */
interface LoadedFiles {
  history: HistoryEntry[];
  current: CurrentRecord | null;
  pending: PendingWrite | null;
  problems: string[];
}

/**
 * CURRENT.json and HISTORY.json in one directory. HISTORY is the append-only, hash-chained
 * source of truth; CURRENT is derived from it and must agree. Every access holds the directory's
 * lock; every write is atomic; nothing is written while any file is corrupt or inconsistent.
 */
export class DeployStore {
  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
    private readonly lockOptions: LockOptions = {},
  ) {}

  get currentPath(): string {
    return join(this.dir, CURRENT_FILE);
  }

  get historyPath(): string {
    return join(this.dir, HISTORY_FILE);
  }

  /** The journal of a write in progress: present only while one runs, or after one was killed. */
  get pendingPath(): string {
    return join(this.dir, PENDING_FILE);
  }

  /** The checked state; refuses (exit 1) when the history is broken or CURRENT disagrees with it. */
  async read(): Promise<DeployState> {
    if (!existsSync(this.dir)) return { history: [], stack: [], current: null };
    return withDirLock(this.dir, () => this.checkedState(this.load()), this.lockOptions);
  }

  async verify(): Promise<VerifyReport> {
    if (!existsSync(this.dir)) return { ok: true, entries: 0, current: null, problems: [] };
    return withDirLock(
      this.dir,
      () => {
        const files = this.load();
        const { stack, problems } = replay(files.history);
        problems.unshift(...files.problems);
        const derived = deriveCurrent(files.history, stack);
        if (files.problems.length === 0 && !this.currentExplained(files, derived)) {
          problems.push(this.disagreement(files.current, derived));
        }
        return { ok: problems.length === 0, entries: files.history.length, current: derived, problems };
      },
      this.lockOptions,
    );
  }

  async publish(request: PublishRequest): Promise<DeployWrite> {
    return this.append((state) => {
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
    });
  }

  async rollback(request: RollbackRequest): Promise<DeployWrite> {
    return this.append((state) => {
      const target = rollbackTarget(state.stack, request.to);
      return {
        action: 'rollback',
        manifest_hash: target.manifest_hash,
        actor: request.actor,
        note: request.note,
        ...(target.strategy ? { strategy: target.strategy } : {}),
      };
    });
  }

  /** Appends one entry under the lock: check, journal, HISTORY (the commit point), CURRENT. */
  private async append(
    plan: (state: DeployState) => { action: HistoryAction; manifest_hash: string; actor: string; note: string; strategy?: StrategyRef; forced?: true; overridden?: string[] },
  ): Promise<DeployWrite> {
    return withDirLock(
      this.dir,
      (assertHeld) => {
        const files = this.load();
        this.finishInterruptedWrite(files, assertHeld);
        const state = this.checkedState(files);
        const planned = plan(state);
        const last = state.history.at(-1);
        const entry = sealEntry({
          seq: state.history.length + 1,
          ...planned,
          from_hash: state.current?.manifest_hash ?? null,
          ts: this.now().toISOString(),
          prev: last?.hash ?? null,
        });
        const history = [...state.history, entry];
        const current = deriveCurrent(history, replay(history).stack);
        if (!current) throw new Error('a history with entries always has a CURRENT');

        assertHeld();
        writeFileAtomicSync(this.pendingPath, prettyJson({ entry_hash: entry.hash, seq: entry.seq }));
        failpoint('deploy:after-pending');
        assertHeld();
        writeFileAtomicSync(this.historyPath, prettyJson(history));
        failpoint('deploy:after-history');
        writeFileAtomicSync(this.currentPath, prettyJson(current));
        failpoint('deploy:after-current');
        removeIfExists(this.pendingPath);
        return { entry, current };
      },
      this.lockOptions,
    );
  }

  /**
   * A writer killed between its HISTORY and CURRENT renames leaves the journal behind. If its
   * entry made it into HISTORY the write committed and CURRENT is brought up to date; if not, it
   * never happened. Either way the journal goes. A CURRENT that disagrees for any other reason is
   * left alone and refused later.
   */
  private finishInterruptedWrite(files: LoadedFiles, assertHeld: () => void): void {
    if (!files.pending || files.problems.length > 0) return;
    const committed = files.history.at(-1)?.hash === files.pending.entry_hash;
    if (committed) {
      const { stack, problems } = replay(files.history);
      if (problems.length > 0) return;
      const derived = deriveCurrent(files.history, stack);
      if (derived && !sameRecord(files.current, derived)) {
        assertHeld();
        writeFileAtomicSync(this.currentPath, prettyJson(derived));
        files.current = derived;
      }
    }
    removeIfExists(this.pendingPath);
    files.pending = null;
  }

  private load(): LoadedFiles {
    const problems: string[] = [];
    const history = this.loadFile(this.historyPath, HistorySchema, problems) ?? [];
    const current = this.loadFile(this.currentPath, CurrentSchema, problems) ?? null;
    const pending = this.loadFile(this.pendingPath, PendingSchema, problems) ?? null;
    return { history, current, pending, problems };
  }

  private loadFile<T>(path: string, schema: import('zod').ZodType<T>, problems: string[]): T | undefined {
    const text = readTextIfExists(path);
    if (text === undefined) return undefined;
    try {
      return validate(schema, parseJsonText(text, path), path);
    } catch (err) {
      problems.push((err as Error).message.replace(/\.$/, ''));
      return undefined;
    }
  }

  private checkedState(files: LoadedFiles): DeployState {
    if (files.problems.length > 0) {
      throw new RefusedError('integrity', `${files.problems[0]}; refusing to read or write ${this.dir} until it is repaired.`);
    }
    const { stack, problems } = replay(files.history);
    if (problems.length > 0) {
      throw new RefusedError('integrity',
        `${this.historyPath} failed verification (${problems[0]}); refusing to continue. Run \`qraft deploy verify\` for every problem.`,
      );
    }
    const derived = deriveCurrent(files.history, stack);
    if (!this.currentExplained(files, derived)) throw new RefusedError('integrity', this.disagreement(files.current, derived) + '; refusing to guess.');
    return { history: files.history, stack, current: derived };
  }

  /** CURRENT agrees with the replay, or differs only because a committed write was interrupted. */
  private currentExplained(files: LoadedFiles, derived: CurrentRecord | null): boolean {
    if (sameRecord(files.current, derived)) return true;
    return files.pending !== null && files.history.at(-1)?.hash === files.pending.entry_hash;
  }

  private disagreement(current: CurrentRecord | null, derived: CurrentRecord | null): string {
    const said = current ? `${shortHash(current.manifest_hash)} (seq ${current.seq})` : 'nothing';
    const implied = derived ? `${shortHash(derived.manifest_hash)} (seq ${derived.seq})` : 'nothing';
    return `${this.currentPath} says ${said} is live but ${HISTORY_FILE} replays to ${implied}`;
  }
}
