/**
 * Errors a user can act on. Each carries the CLI exit code it maps to, so the CLI and the
 * extension report them as one sentence instead of a stack trace.
 */
export class QraftError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input: an invalid argument, a missing or malformed file, an unwritable directory (exit 2). */
export class InputError extends QraftError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A rule refused the action, or stored state failed an integrity check (exit 1). */
export class RefusedError extends QraftError {
  constructor(message: string) {
    super(message, 1);
  }
}

export function isQraftError(err: unknown): err is QraftError {
  return err instanceof QraftError;
}

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such file or directory',
  EISDIR: 'it is a directory',
  ENOSPC: 'no space left on device',
  EEXIST: 'it already exists',
};

/** Turns a Node file-system error into one sentence naming the path; other errors pass through. */
export function fsInputError(err: unknown, action: string, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code && FS_REASONS[code]) return new InputError(`Cannot ${action} ${path}: ${FS_REASONS[code]}.`);
  return err;
}

/** The user cancelled a long run (exit 1: nothing was decided). */
export class CancelledError extends QraftError {
  constructor(what = 'The run') {
    super(`${what} was cancelled.`, 1);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}
