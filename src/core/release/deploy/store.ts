import { accessSync, constants, existsSync, rmdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RefusedError, fsInputError } from '../../shared/errors';
import { failpoint } from '../../shared/failpoint';
import {
  type LockOptions,
  type PreparedFile,
  commitTemp,
  deadTemps,
  discardTemp,
  prepareStoreFile,
  readStoreBytesIfExists,
  readStoreTextIfExists,
  removeIfExists,
  removeStoreFile,
  syncDir,
  withDirLock,
  writeStoreFileSync,
} from '../../shared/files';
import { parseJsonText, prettyJson, validate } from '../../shared/json';
import { shortHash } from '../../shared/labels';
import type { StrategyRef } from '../pool/schemas';
import { CHECKPOINT_FILE, Chain, appendedHistory, chainFromCheckpoint, historyPrefix } from './checkpoint';
import { type StackItem, deriveCurrent, replay, rollbackTarget, sameRecord } from './history';
import { draftEntry, publishFields, rollbackFields, stateOfHistory } from '../store/chain';
import type { EntryFields } from '../store/types';
import {
  type Commitments,
  type CurrentRecord,
  CurrentSchema,
  type HistoryEntry,
  HistorySchema,
  type PendingWrite,
  PendingSchema,
} from './schemas';

const CURRENT_FILE = 'CURRENT.json';
const HISTORY_FILE = 'HISTORY.json';
const PENDING_FILE = '.pending.json';
const STORE_FILES = [CURRENT_FILE, HISTORY_FILE, PENDING_FILE] as const;

/** The deploy dir as read and checked: every command starts from this. */
export interface DeployState {
  /** Every entry (parsed when first asked for: a write needs only the chain's head and stack). */
  readonly history: HistoryEntry[];
  stack: StackItem[];
  current: CurrentRecord | null;
  /** The number of entries. */
  length: number;
  /** The last entry. */
  head: HistoryEntry | undefined;
  /** The entry with this seq, when a write may need it (the last, each version's latest publish, each stack item's publish). */
  entry(seq: number): HistoryEntry | undefined;
  /** The latest publish of a version. */
  lastPublish(hash: string): HistoryEntry | undefined;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  /** The last entry's hash (null when HISTORY is empty): a consumer pins it to detect truncation. */
  head: string | null;
  current: CurrentRecord | null;
  problems: string[];
  /** What verify saw that is not a failure: an unfinished write's journal, entries that commit to no pool files. */
  notes: string[];
}

/** What a write does in the pool besides the deploy files: written after the journal, before HISTORY. */
export interface PoolWrite {
  /** sha256 of the stable manifest the write creates (recorded in the journal, so a dead writer's is removed). */
  stable_hash: string;
  write(): void;
  /** Removes what `write` made; called when the write does not reach HISTORY. */
  undo(): void;
}

/** The pool's answer for one write, given under the lock once the deploy state is checked. */
export interface PreparedWrite {
  commitments?: Commitments;
  files?: PoolWrite;
}

/**
 * Checks, under the lock, the pool files a write points at against what HISTORY recorded for them
 * (`committed`: the latest publish of that version, if any), and says what the new entry commits
 * to. Throws a refusal to stop the write.
 */
export type PrepareWrite = (state: DeployState, committed: HistoryEntry | undefined) => PreparedWrite | Promise<PreparedWrite>;

/** Signs a sealed entry's hash under the lock; the signature goes into the entry. Throws to refuse. */
export type SignEntry = (entryHash: string) => string | undefined;

export interface PublishRequest {
  manifest_hash: string;
  actor: string;
  note: string;
  strategy?: StrategyRef;
  /** The refusal codes a forced approval overrode; a forced entry when not empty. */
  overridden?: readonly string[];
  prepare?: PrepareWrite;
  sign?: SignEntry;
  /** Check everything, write nothing: the result is the entry the write would append. */
  dryRun?: boolean;
}

export interface RollbackRequest {
  /** Full hash of the version to return to; the previous version when absent. */
  to?: string;
  actor: string;
  note: string;
  prepare?: PrepareWrite;
  sign?: SignEntry;
  dryRun?: boolean;
}

export interface DeployWrite {
  entry: HistoryEntry;
  current: CurrentRecord;
  /** The new head of HISTORY (the entry's hash): what a consumer pins. */
  head: string;
}

/** What one write appends: the entry's fields, the pool's answer, the signer. */
type WritePlan = (state: DeployState) => Promise<{
  fields: EntryFields;
  prepared: PreparedWrite;
  sign?: SignEntry;
}>;

export interface DeployStoreOptions {
  lock?: LockOptions;
  /**
   * Called under the lock when a dead writer's journal names an entry that never reached HISTORY,
   * before the journal is removed: the pool removes the stable manifest that writer made.
   */
  onAbandoned?: (pending: PendingWrite, history: readonly HistoryEntry[]) => void;
}

/** Raw files, each parsed and validated, or the sentence saying why it could not be. */
interface LoadedFiles {
  /** Parsed on first use when `chain` came from the checkpoint. */
  readonly history: HistoryEntry[];
  current: CurrentRecord | null;
  pending: PendingWrite | null;
  problems: string[];
  /** HISTORY's bytes as read. */
  historyBytes?: Buffer;
  /** The verified chain, when the checkpoint matched HISTORY (the prefix it vouches for, and a tail that extends it). */
  chain?: Chain;
}

/** How CURRENT.json relates to the replay: equal, or exactly one committed entry behind. */
type Agreement = 'agrees' | 'lags' | 'disagrees';

type RawFiles = Record<(typeof STORE_FILES)[number], Buffer | undefined | { error: string }>;

function sameRaw(a: RawFiles[keyof RawFiles], b: RawFiles[keyof RawFiles]): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  return a.error === b.error;
}

/** `dir` and its ancestors that do not exist yet, deepest first. */
function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  return missing;
}

/** Removes the folders a failed first write created, deepest first, stopping at one that is not empty (another writer's). */
function removeEmptyDirs(dirs: readonly string[]): void {
  for (const dir of dirs) {
    try {
      rmdirSync(dir);
    } catch {
      return;
    }
  }
}

/** Refuses, as creating it would, a directory whose nearest existing ancestor is not a writable directory; creates nothing. */
function assertCreatable(dir: string): void {
  let at = resolve(dir);
  while (!existsSync(at)) {
    const up = dirname(at);
    if (up === at) return;
    at = up;
  }
  const code = !statSync(at).isDirectory() ? 'ENOTDIR' : canWrite(at) ? undefined : 'EACCES';
  if (code) throw fsInputError(Object.assign(new Error(code), { code }), 'create directory', dir);
}

function canWrite(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * CURRENT.json and HISTORY.json in one directory. HISTORY is the append-only, hash-chained
 * source of truth; CURRENT is derived from it and must agree. Reads take no lock (they read a
 * snapshot that did not change while it was read); every write holds the directory's lock, is
 * atomic, never follows a symbolic link, and nothing is written while any file is corrupt or
 * inconsistent.
 */
export class DeployStore {
  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
    private readonly options: DeployStoreOptions = {},
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

  /** The checked state, read without a lock; refuses (exit 1) when the history is broken or CURRENT disagrees with it. */
  async read(): Promise<DeployState> {
    return this.checkedState(await this.snapshot());
  }

  /** Checks the chain, the replay and CURRENT against it; reads only (no lock, nothing written). */
  async verify(): Promise<VerifyReport> {
    return (await this.inspect()).report;
  }

  /** verify's report and the entries it read (as parsed, even when they fail verification). */
  async inspect(): Promise<{ report: VerifyReport; history: HistoryEntry[]; chain?: Chain }> {
    // verify is the audit: it replays the whole chain, never taking the checkpoint's word for it.
    const snapshot = await this.snapshot();
    const files: LoadedFiles = snapshot.chain ? { history: snapshot.history, current: snapshot.current, pending: snapshot.pending, problems: snapshot.problems } : snapshot;
    const { stack, problems } = files.chain ? { stack: files.chain.stack, problems: [] as string[] } : replay(files.history);
    problems.unshift(...files.problems);
    const notes: string[] = [];
    const derived = files.chain ? files.chain.currentRecord() : deriveCurrent(files.history, stack);
    const last = files.chain ? files.chain.last : files.history.at(-1);
    if (files.problems.length === 0) {
      const agreement = this.agreement(files, derived);
      if (agreement === 'disagrees') problems.push(this.disagreement(files.current, derived));
      if (agreement === 'lags') {
        notes.push(`a write of entry ${last?.seq} was interrupted after HISTORY and before ${CURRENT_FILE}, which still shows the state before it; the next write completes it`);
      } else if (files.pending) {
        const named = files.pending.entry_hash === last?.hash ? `entry ${last.seq}, which is in HISTORY` : 'an entry that is not in HISTORY (a write in progress, or one that was killed)';
        notes.push(`${PENDING_FILE} names ${named}; it is not taken as proof of anything, and the next write removes it`);
      }
    }
    const entries = files.chain ? files.chain.count : files.history.length;
    const report = { ok: problems.length === 0, entries, head: last?.hash ?? null, current: derived, problems, notes };
    return { report, get history() { return files.history; }, ...(files.chain ? { chain: files.chain } : {}) };
  }

  async publish(request: PublishRequest): Promise<DeployWrite> {
    return this.append(async (state) => {
      const fields = publishFields(state, request);
      const committed = state.lastPublish(request.manifest_hash);
      return { fields, prepared: (await request.prepare?.(state, committed)) ?? {}, sign: request.sign };
    }, { dryRun: request.dryRun });
  }

  async rollback(request: RollbackRequest): Promise<DeployWrite> {
    // Without HISTORY there is nothing to return to: refused before the lock, so nothing is created
    // (not even the deploy dir); a deploy dir that could not be created at all is bad input, as a write would find.
    if (!existsSync(this.historyPath)) {
      assertCreatable(this.dir);
      rollbackTarget([], request.to);
    }
    return this.append(async (state) => {
      const { fields, target } = rollbackFields(state, request);
      const committed = state.entry(target.published_seq);
      return { fields, prepared: (await request.prepare?.(state, committed)) ?? {}, sign: request.sign };
    }, { dryRun: request.dryRun });
  }

  /**
   * Appends one entry under the lock: clean up after dead writers, check, let the pool check its
   * files, journal, the pool's own file (the stable manifest), HISTORY (the commit point), CURRENT.
   * Anything that fails before the commit point undoes what was written; after it, the journal
   * lets the next writer complete CURRENT.
   */
  private async append(plan: WritePlan, options: { dryRun?: boolean } = {}): Promise<DeployWrite> {
    if (options.dryRun) {
      // Every check a write makes, on a snapshot read without the lock; nothing is written (not
      // even the lock, nor the deploy dir when it does not exist yet).
      const files = await this.snapshot();
      const { entry, current } = await this.draft(files, plan);
      return { entry, current, head: entry.hash };
    }
    // The folders the lock creates for a first write: removed again (when still empty) if the write fails.
    const created = missingDirs(this.dir);
    return withDirLock(
      this.dir,
      async (assertHeld) => {
        this.removeDeadTemps();
        const files = this.parse(this.rawFiles());
        this.finishInterruptedWrite(files, assertHeld);
        const { entry, current, chain, historyBytes, prepared } = await this.draft(files, plan);

        const pool = prepared.files;
        const temps: PreparedFile[] = [];
        let committed = false;
        try {
          assertHeld();
          writeStoreFileSync(
            this.pendingPath,
            prettyJson({ entry_hash: entry.hash, seq: entry.seq, manifest_hash: entry.manifest_hash, ...(pool ? { stable_hash: pool.stable_hash } : {}) }),
          );
          failpoint('deploy:after-pending');
          pool?.write();
          temps.push(prepareStoreFile(this.historyPath, historyBytes), prepareStoreFile(this.currentPath, prettyJson(current)));
          failpoint('deploy:after-temps');
          assertHeld();
          commitTemp(temps[0]);
          committed = true;
          failpoint('deploy:after-history');
          commitTemp(temps[1]);
          failpoint('deploy:after-current');
        } catch (err) {
          for (const temp of temps) discardTemp(temp);
          if (!committed) {
            pool?.undo();
            removeStoreFile(this.pendingPath);
          }
          throw err;
        }
        removeStoreFile(this.pendingPath);
        syncDir(this.dir);
        this.writeCheckpoint(chain, historyBytes);
        return { entry, current, head: entry.hash };
      },
      this.options.lock,
    ).catch((err: unknown) => {
      removeEmptyDirs(created);
      throw err;
    });
  }

  /** The entry a write appends to `files` (checked, planned, sealed and signed), and the files it makes. */
  private async draft(files: LoadedFiles, plan: WritePlan) {
    const state = this.checkedState(files);
    const { fields, prepared, sign } = await plan(state);
    const entry = draftEntry(state, fields, prepared, sign, this.now());
    // The new HISTORY: appended to the checkpointed bytes, or (after a full verification) the
    // whole array written again, as before checkpoints.
    const prefix = files.chain && files.historyBytes ? historyPrefix(files.historyBytes) : undefined;
    const chain = files.chain ?? Chain.of(files.history);
    // Written in the schema's key order, as every later write (a full one included) writes it.
    const ordered = entry;
    const historyBytes = prefix ? appendedHistory(prefix, ordered) : Buffer.from(prettyJson([...files.history, ordered]), 'utf8');
    if (!chain || !chain.advance(entry)) throw new Error('a verified history always takes the entry sealed for it');
    const current = chain.currentRecord();
    if (!current) throw new Error('a history with entries always has a CURRENT');
    return { entry, current, chain, historyBytes, prepared };
  }

  get checkpointPath(): string {
    return join(this.dir, CHECKPOINT_FILE);
  }

  /**
   * Records the verified chain beside HISTORY (derived data: a reader checks it against HISTORY's
   * bytes and ignores it when they differ). Best effort: a checkpoint that cannot be written only
   * means the next command verifies the whole chain.
   */
  private writeCheckpoint(chain: Chain, historyBytes: Buffer): void {
    try {
      const prefix = historyPrefix(historyBytes);
      const checkpoint = prefix && chain.toCheckpoint(prefix);
      if (checkpoint) writeStoreFileSync(this.checkpointPath, JSON.stringify(checkpoint));
    } catch {
      // the checkpoint is an optimisation; HISTORY and CURRENT are committed
    }
  }

  private readCheckpoint(): string | undefined {
    try {
      return readStoreTextIfExists(this.checkpointPath);
    } catch {
      return undefined;
    }
  }

  /** Temp files of writers killed mid-write (`HISTORY.json.<n>` …): under the lock no live writer owns one. */
  private removeDeadTemps(): void {
    for (const name of deadTemps(this.dir, [...STORE_FILES, CHECKPOINT_FILE])) removeIfExists(join(this.dir, name));
  }

  /**
   * A writer killed between its HISTORY and CURRENT renames leaves the journal behind, and
   * CURRENT exactly as it was before that entry. Only then is CURRENT brought up to date; a
   * CURRENT that disagrees in any other way is left alone and refused. A journal whose entry never
   * reached HISTORY is an abandoned write: the pool removes what it made, and the journal goes.
   */
  private finishInterruptedWrite(files: LoadedFiles, assertHeld: () => void): void {
    if (!files.pending || files.problems.length > 0) return;
    const committed = (files.chain ? files.chain.last : files.history.at(-1))?.hash === files.pending.entry_hash;
    if (committed) {
      const { stack, problems } = files.chain ? { stack: files.chain.stack, problems: [] } : replay(files.history);
      if (problems.length > 0) return;
      const derived = files.chain ? files.chain.currentRecord() : deriveCurrent(files.history, stack);
      const agreement = this.agreement(files, derived);
      if (agreement === 'disagrees') return;
      if (agreement === 'lags' && derived) {
        assertHeld();
        writeStoreFileSync(this.currentPath, prettyJson(derived));
        files.current = derived;
      }
    } else {
      this.options.onAbandoned?.(files.pending, files.history);
    }
    assertHeld();
    removeStoreFile(this.pendingPath);
    files.pending = null;
  }

  /**
   * The three files as they were at one moment, without a lock: read twice until both reads
   * agree (HISTORY only grows and CURRENT follows it, so two equal reads are one state).
   */
  private async snapshot(): Promise<LoadedFiles> {
    if (!existsSync(this.dir)) return { history: [], current: null, pending: null, problems: [] };
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const first = this.rawFiles();
      const second = this.rawFiles();
      if (STORE_FILES.every((name) => sameRaw(first[name], second[name]))) return this.parse(second);
      await sleep(5 + Math.random() * 20);
    }
    throw new RefusedError('busy', `${this.dir} kept changing while it was read; try again.`);
  }

  private rawFiles(): RawFiles {
    const raw = {} as RawFiles;
    // The journal first and CURRENT last: the order writers change them in.
    for (const name of [PENDING_FILE, HISTORY_FILE, CURRENT_FILE] as const) {
      try {
        raw[name] = readStoreBytesIfExists(join(this.dir, name));
      } catch (err) {
        // A symbolic link is a fault of the store (refused, exit 1); an unreadable path is bad input (exit 2).
        if (!(err instanceof RefusedError)) throw err;
        raw[name] = { error: err.message.replace(/\.$/, '') };
      }
    }
    return raw;
  }

  private parse(raw: RawFiles): LoadedFiles {
    const problems: string[] = [];
    const bytes = raw[HISTORY_FILE];
    const historyBytes = Buffer.isBuffer(bytes) ? bytes : undefined;
    const chain = historyBytes ? chainFromCheckpoint(this.readCheckpoint(), historyBytes) : undefined;
    if (!chain) {
      const history = this.parseFile(bytes, this.historyPath, HistorySchema, problems) ?? [];
      const current = this.parseFile(raw[CURRENT_FILE], this.currentPath, CurrentSchema, problems) ?? null;
      const pending = this.parseFile(raw[PENDING_FILE], this.pendingPath, PendingSchema, problems) ?? null;
      return { history, current, pending, problems, ...(historyBytes ? { historyBytes } : {}) };
    }
    // The checkpoint vouched for HISTORY: its entries are parsed only when someone asks for them.
    const current = this.parseFile(raw[CURRENT_FILE], this.currentPath, CurrentSchema, problems) ?? null;
    const pending = this.parseFile(raw[PENDING_FILE], this.pendingPath, PendingSchema, problems) ?? null;
    let history: HistoryEntry[] | undefined;
    const parseHistory = () => (history ??= this.parseFile(bytes, this.historyPath, HistorySchema, []) ?? []);
    return {
      get history() {
        return parseHistory();
      },
      current,
      pending,
      problems,
      historyBytes,
      chain,
    };
  }

  private parseFile<T>(raw: Buffer | undefined | { error: string }, path: string, schema: import('zod').ZodType<T>, problems: string[]): T | undefined {
    if (raw === undefined) return undefined;
    if (!Buffer.isBuffer(raw)) {
      problems.push(raw.error);
      return undefined;
    }
    const text = raw.toString('utf8');
    try {
      return validate(schema, parseJsonText(text, path), path);
    } catch (err) {
      problems.push((err as Error).message.replace(/\.$/, ''));
      return undefined;
    }
  }

  private checkedState(loaded: LoadedFiles): DeployState {
    let files = loaded;
    // The checkpoint's chain must agree with CURRENT; otherwise the full chain decides.
    if (files.chain && files.problems.length === 0 && this.agreement(files, files.chain.currentRecord()) === 'disagrees') {
      files = { history: loaded.history, current: loaded.current, pending: loaded.pending, problems: loaded.problems };
    }
    if (files.problems.length > 0) {
      throw new RefusedError('integrity', `${files.problems[0]}; refusing to read or write ${this.dir} until it is repaired.`);
    }
    const { stack, problems } = files.chain ? { stack: files.chain.stack, problems: [] } : replay(files.history);
    if (problems.length > 0) {
      throw new RefusedError('integrity', `${this.historyPath} failed verification (${problems[0]}); refusing to continue. Run \`qraft deploy verify\` for every problem.`);
    }
    const derived = files.chain ? files.chain.currentRecord() : deriveCurrent(files.history, stack);
    if (this.agreement(files, derived) === 'disagrees') throw new RefusedError('integrity', this.disagreement(files.current, derived) + '; refusing to guess.');
    const chain = files.chain;
    if (chain) {
      return {
        get history() {
          return files.history;
        },
        stack,
        current: derived,
        length: chain.count,
        head: chain.last,
        entry: (seq) => chain.entry(seq),
        lastPublish: (hash) => chain.lastPublish(hash),
      };
    }
    return stateOfHistory(files.history, stack, derived);
  }

  /**
   * CURRENT agrees with the replay, or lags exactly one committed entry behind: the journal names
   * the last entry AND CURRENT is exactly what the history before that entry replays to (what a
   * writer killed between its two renames leaves). A journal alone explains nothing.
   */
  private agreement(files: LoadedFiles, derived: CurrentRecord | null): Agreement {
    if (sameRecord(files.current, derived)) return 'agrees';
    const last = files.chain ? files.chain.last : files.history.at(-1);
    if (!files.pending || !last || files.pending.entry_hash !== last.hash) return 'disagrees';
    if (files.chain) return sameRecord(files.current, files.chain.beforeLast) ? 'lags' : 'disagrees';
    const before = files.history.slice(0, -1);
    return sameRecord(files.current, deriveCurrent(before, replay(before).stack)) ? 'lags' : 'disagrees';
  }

  private disagreement(current: CurrentRecord | null, derived: CurrentRecord | null): string {
    const said = current ? `${shortHash(current.manifest_hash)} (seq ${current.seq})` : 'nothing';
    const implied = derived ? `${shortHash(derived.manifest_hash)} (seq ${derived.seq})` : 'nothing';
    return `${this.currentPath} says ${said} is live but ${HISTORY_FILE} replays to ${implied}`;
  }
}
