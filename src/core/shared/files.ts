import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { InputError, RefusedError, fsInputError } from './errors';

/** Atomic replace: temp file in the same directory, fsync, rename. Readers see old or new, never half. */
export function writeFileAtomicSync(path: string, text: string): void {
  try {
    writeFileAtomic.sync(path, text, { fsync: true, encoding: 'utf8' });
  } catch (err) {
    throw fsInputError(err, 'write', path);
  }
}

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fsInputError(err, 'create directory', dir);
  }
}

/** Reads a text file, or undefined when it does not exist. */
export function readTextIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsInputError(err, 'read', path);
  }
}

export function removeIfExists(path: string): void {
  rmSync(path, { force: true, recursive: true });
}

export interface LockOptions {
  /** How long a lock whose holder stopped refreshing it is honoured (a killed process leaves one). */
  staleMs?: number;
  /** How long to wait for another holder before giving up. */
  waitMs?: number;
}

const LOCK_NAME = '.lock';

/**
 * Runs `work` while holding an inter-process lock on `dir` (proper-lockfile: an atomic mkdir,
 * refreshed while held, taken over when stale). Every writer and reader of a deploy dir goes
 * through here, so concurrent CLI processes and the extension serialise.
 */
export async function withDirLock<T>(
  dir: string,
  work: (assertHeld: () => void) => T | Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  ensureDir(dir);
  const staleMs = options.staleMs ?? 5000;
  const waitMs = options.waitMs ?? 60000;
  let compromised: Error | undefined;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dir, {
      lockfilePath: join(dir, LOCK_NAME),
      realpath: false,
      stale: staleMs,
      update: Math.max(1000, Math.floor(staleMs / 2)),
      retries: { retries: Math.ceil(waitMs / 100), factor: 1, minTimeout: 20, maxTimeout: 100, randomize: true },
      onCompromised: (err) => {
        compromised = err;
      },
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') {
      throw new RefusedError('busy', `${dir} is locked by another Qraft process; try again when it has finished.`);
    }
    const sentence = fsInputError(err, 'lock', dir);
    if (sentence instanceof InputError) throw sentence;
    throw err;
  }
  // Writers call this before each write, so a lock lost to a stall never lets two writers interleave.
  const assertHeld = (): void => {
    if (compromised) throw new RefusedError('busy', `The lock on ${dir} was lost (${compromised.message}); nothing more was written.`);
  };
  try {
    return await work(assertHeld);
  } finally {
    await release().catch(() => undefined);
  }
}
