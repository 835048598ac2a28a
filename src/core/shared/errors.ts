/**
 * The three kinds of failure the core reports, one class each, so the CLI maps them to exit codes
 * (2 bad input, 1 refused, 3 internal) and the extension to dialogs without parsing text. Messages
 * are one sentence naming a file, field or line; they never name a CLI flag or a command: the CLI
 * and the extension word what the user can do about it.
 */
export abstract class QraftError extends Error {
  abstract readonly exitCode: 1 | 2 | 3;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * What an input error is about, when a front end has something specific to say about it (the
 * CLI points at the option, the extension offers a fix). `invalid` is everything else.
 */
export type InputKind = 'invalid' | 'engine_unavailable' | 'interpreter_missing';

/** Bad input: an invalid argument, a missing or malformed file, an unwritable directory (exit 2). */
export class InputError extends QraftError {
  readonly exitCode = 2;
  constructor(
    message: string,
    readonly kind: InputKind = 'invalid',
  ) {
    super(message);
  }
}

/** Why an action was refused: the family of the refusal, and whether a person may override it. */
export type RefusalKind =
  /** The approval gate found reasons not to approve (evidence, policy). */
  | 'approval'
  /** The candidate is CURRENT already. */
  | 'already_current'
  /** No earlier version to return to, or the one asked for is not below the top of the stack. */
  | 'rollback'
  /** Stored state failed an integrity check, or disagrees with itself. */
  | 'integrity'
  /** Another process holds the store's lock, or the lock was lost. */
  | 'busy'
  /** A signature is required and missing, or its key is not allowed for the actor (never overridable). */
  | 'signature'
  /** The version cannot be rejected: it is stable or CURRENT. */
  | 'rejection';

/** One reason of a refusal. `code` is stable for scripts and tests; `message` is one sentence. */
export interface RefusalReason {
  code: string;
  message: string;
  /** A person may override this reason with a recorded note (the evidence and policy checks). */
  overridable: boolean;
}

export interface Refusal {
  kind: RefusalKind;
  reasons: RefusalReason[];
  /** Every reason may be overridden, so the whole refusal may be. */
  overridable: boolean;
}

/** A rule refused the action, or stored state failed an integrity check (exit 1). */
export class RefusedError extends QraftError {
  readonly exitCode = 1;
  readonly refusal: Refusal;
  constructor(kind: RefusalKind, reasons: string | readonly RefusalReason[]) {
    const list = typeof reasons === 'string' ? [{ code: kind, message: reasons, overridable: false }] : [...reasons];
    super(list.map((reason) => reason.message.replace(/\.$/, '')).join('; ') + '.');
    this.refusal = { kind, reasons: list, overridable: list.length > 0 && list.every((reason) => reason.overridable) };
  }
}

/** A fault of the program or its environment, not of the user's input (exit 3). */
export class InternalError extends QraftError {
  readonly exitCode = 3;
}

/** The user cancelled a long run (exit 1: nothing was decided). */
export class CancelledError extends QraftError {
  readonly exitCode = 1;
  constructor(what = 'The run') {
    super(`${what} was cancelled.`);
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

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new CancelledError(what);
}
