import { randomBytes, randomInt } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
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

// ---------------------------------------------------------------------------------------------
// Store files: never through a symbolic link.
// ---------------------------------------------------------------------------------------------

/** The sentence for a store path that is a symbolic link: the store never follows one. */
export function symlinkRefusal(path: string): RefusedError {
  return new RefusedError('integrity', `${path} is a symbolic link, and the store never follows one out of its directory`);
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Refuses when `path` or any folder between `root` and it is a symbolic link (the root itself, the
 * configured store location, is taken as given). Nothing is followed out of the store.
 */
export function assertNoSymlinkBelow(root: string, path: string): void {
  const rel = relative(root, path);
  if (rel === '' || rel.startsWith('..')) return;
  let current = root;
  for (const part of rel.split(sep)) {
    current = join(current, part);
    if (isSymlink(current)) throw symlinkRefusal(current);
  }
}

/**
 * Reads a store file without following a symbolic link (O_NOFOLLOW): undefined when absent, a
 * refusal when it is a link. `root` also checks the folders between the store's root and the file.
 */
export function readStoreBytesIfExists(path: string, root?: string): Buffer | undefined {
  if (root !== undefined) assertNoSymlinkBelow(root, dirname(path));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw symlinkRefusal(path);
    throw fsInputError(err, 'read', path);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new InputError(`${path} is not a regular file.`);
    return readFileSync(fd);
  } catch (err) {
    throw fsInputError(err, 'read', path);
  } finally {
    closeSync(fd);
  }
}

export function readStoreTextIfExists(path: string, root?: string): string | undefined {
  return readStoreBytesIfExists(path, root)?.toString('utf8');
}

/** `<name>.<digits>`: the temp file of an atomic write of `<name>` (write-file-atomic names them the same way). */
export function isTempOf(name: string, target: string): boolean {
  return name.startsWith(`${target}.`) && /^\d+$/.test(name.slice(target.length + 1));
}

/**
 * Atomic replace that never follows a symbolic link: refuses when `path` is one, writes a fresh
 * temp file beside it (O_CREAT|O_EXCL|O_NOFOLLOW, so a planted link is not followed either),
 * fsyncs it and renames it over `path`. `prepareStoreFile` and `commitTemp` are the two halves,
 * so a writer can prepare several files and then rename them back to back.
 */
export function writeStoreFileSync(path: string, text: string | Buffer): void {
  commitTemp(prepareStoreFile(path, text));
}

export interface PreparedFile {
  path: string;
  temp: string;
}

export function prepareStoreFile(path: string, text: string | Buffer): PreparedFile {
  if (isSymlink(path)) throw symlinkRefusal(path);
  const temp = `${path}.${randomInt(1e9, 1e10 - 1)}`;
  let fd: number | undefined;
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    const data = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let offset = 0;
    while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
    fsyncSync(fd);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    rmSync(temp, { force: true });
    throw fsInputError(err, 'write', path);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return { path, temp };
}

export function commitTemp(prepared: PreparedFile): void {
  try {
    if (isSymlink(prepared.path)) throw symlinkRefusal(prepared.path);
    renameSync(prepared.temp, prepared.path);
  } catch (err) {
    rmSync(prepared.temp, { force: true });
    throw fsInputError(err, 'write', prepared.path);
  }
  syncDir(dirname(prepared.path));
}

export function discardTemp(prepared: PreparedFile): void {
  rmSync(prepared.temp, { force: true });
}

/** Makes renames in `dir` durable; best effort (some file systems refuse to fsync a directory). */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // not every file system lets a directory be fsynced
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Removes a store file (not following a link: a link itself is removed, never its target). */
export function removeStoreFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsInputError(err, 'remove', path);
  }
}

// ---------------------------------------------------------------------------------------------
// The inter-process lock: an atomic mkdir, owned by a process (pid + host), never judged by mtime.
// ---------------------------------------------------------------------------------------------

export interface LockOptions {
  /** How long a lock directory with no owner recorded in it is honoured before it is taken over. */
  ownerlessMs?: number;
  /** How long to wait for a live holder before giving up. */
  waitMs?: number;
}

const LOCK_NAME = '.lock';
const OWNER_FILE = 'owner.json';

interface LockOwner {
  pid: number;
  host: string;
  /** The process's start time (Linux: /proc/<pid>/stat), so a reused pid is not mistaken for the holder. */
  start?: string;
  token: string;
  since: string;
}

/** Start time of a process in clock ticks since boot (Linux), or undefined where it cannot be read. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** False only when the owner is certainly gone: same host, and no such process (or a reused pid). */
function ownerAlive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStart(owner.pid);
  return !(owner.start && start && start !== owner.start);
}

function readOwner(lockDir: string): LockOwner | undefined {
  try {
    const fd = openSync(join(lockDir, OWNER_FILE), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const value = JSON.parse(readFileSync(fd, 'utf8')) as Partial<LockOwner>;
      if (typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.token === 'string') return value as LockOwner;
    } finally {
      closeSync(fd);
    }
  } catch {
    // absent or unreadable: an owner not (yet) recorded
  }
  return undefined;
}

function inode(path: string): { ino: number; symlink: boolean } | undefined {
  try {
    const stat = lstatSync(path);
    return { ino: stat.ino, symlink: stat.isSymbolicLink() };
  } catch {
    return undefined;
  }
}

/**
 * Moves a lock judged stale out of the way, checking it is still the directory that was judged
 * (the same inode): two processes taking over the same dead lock never remove each other's new one.
 */
function takeOver(lockDir: string, judged: number): void {
  if (inode(lockDir)?.ino !== judged) return;
  const moved = `${lockDir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockDir, moved);
  } catch {
    return;
  }
  if (inode(moved)?.ino !== judged) {
    // Another process replaced the stale lock in between: give its lock back.
    try {
      renameSync(moved, lockDir);
      return;
    } catch {
      // it took yet another lock meanwhile; the displaced holder sees its lock lost before writing
    }
  }
  rmSync(moved, { recursive: true, force: true });
}

/** Removes what dead lock takers left (`.lock.stale-*`); called under the lock. */
function removeStaleLockLeftovers(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(`${LOCK_NAME}.stale-`)) rmSync(join(dir, name), { recursive: true, force: true });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return 'another Qraft process';
  return `process ${owner.pid} on ${owner.host === hostname() ? 'this host' : owner.host}`;
}

/**
 * Runs `work` while holding an inter-process lock on `dir`: `dir/.lock`, created by an atomic
 * mkdir with `owner.json` (pid, host, process start time) inside. A lock whose owner is gone (no
 * such process on this host, or the pid was reused) is taken over at once, whatever its mtime; a
 * lock with no owner recorded is taken over after `ownerlessMs`; a live owner is waited for up to
 * `waitMs`. Writers call `assertHeld` before each write, so a lock lost to a takeover never lets
 * two writers interleave. Readers take no lock.
 */
export async function withDirLock<T>(
  dir: string,
  work: (assertHeld: () => void) => T | Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  ensureDir(dir);
  const lockDir = join(dir, LOCK_NAME);
  const ownerlessMs = options.ownerlessMs ?? 1000;
  const deadline = Date.now() + (options.waitMs ?? 60000);
  const owner: LockOwner = { pid: process.pid, host: hostname(), start: processStart(process.pid), token: randomBytes(16).toString('hex'), since: new Date().toISOString() };
  let ownerless: { ino: number; at: number } | undefined;
  let holder: LockOwner | undefined;
  for (;;) {
    try {
      mkdirSync(lockDir);
      try {
        const fd = openSync(join(lockDir, OWNER_FILE), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
        try {
          writeSync(fd, JSON.stringify(owner));
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        rmSync(lockDir, { recursive: true, force: true });
        throw err;
      }
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        const sentence = fsInputError(err, 'lock', dir);
        if (sentence instanceof InputError) throw sentence;
        throw err;
      }
    }
    const seen = inode(lockDir);
    if (seen?.symlink) throw symlinkRefusal(lockDir);
    if (seen) {
      holder = readOwner(lockDir);
      if (holder) {
        ownerless = undefined;
        if (!ownerAlive(holder)) {
          takeOver(lockDir, seen.ino);
          continue;
        }
      } else if (ownerless?.ino !== seen.ino) {
        ownerless = { ino: seen.ino, at: Date.now() };
      } else if (Date.now() - ownerless.at >= ownerlessMs) {
        takeOver(lockDir, seen.ino);
        continue;
      }
    }
    if (Date.now() > deadline) {
      throw new RefusedError('busy', `${dir} is locked by ${describeOwner(holder)}; try again when it has finished.`);
    }
    await sleep(20 + Math.random() * 60);
  }
  const assertHeld = (): void => {
    if (readOwner(lockDir)?.token !== owner.token) {
      throw new RefusedError('busy', `The lock on ${dir} was taken over by another process; nothing more was written.`);
    }
  };
  try {
    removeStaleLockLeftovers(dir);
    return await work(assertHeld);
  } finally {
    if (readOwner(lockDir)?.token === owner.token) {
      try {
        unlinkSync(join(lockDir, OWNER_FILE));
        rmdirSync(lockDir);
      } catch {
        // a lock left behind has no live owner and is taken over by the next process
      }
    }
  }
}

/** Names in `dir` that are temp files of atomic writes of `targets` (left by writers killed mid-write). */
export function deadTemps(dir: string, targets: readonly string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((name) => targets.some((target) => isTempOf(name, target)));
}
