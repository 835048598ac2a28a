import { InputError } from './errors';

const HEX = /^[0-9a-f]+$/;
export const FULL_HASH_LENGTH = 64;
export const MIN_PREFIX_LENGTH = 8;

export function isFullHash(value: string): boolean {
  return value.length === FULL_HASH_LENGTH && HEX.test(value);
}

/**
 * Checks a hash given by a user before it is ever used in a path: 64 hex characters, or a prefix
 * of at least 8. Upper case is accepted and folded.
 */
export function parseHashArgument(raw: string, label = 'hash'): string {
  const value = raw.trim().toLowerCase();
  if (value.length < MIN_PREFIX_LENGTH || value.length > FULL_HASH_LENGTH || !HEX.test(value)) {
    throw new InputError(
      `The ${label} "${raw}" is not a manifest hash: expected 64 hex characters or a unique prefix of at least ${MIN_PREFIX_LENGTH}.`,
    );
  }
  return value;
}

/** Resolves a validated hash or prefix against the known full hashes. */
export function resolveHashPrefix(prefix: string, known: Iterable<string>, where: string): string {
  const matches = [...new Set([...known].filter((hash) => hash.startsWith(prefix)))];
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new InputError(`No manifest ${prefix} in ${where}.`);
  throw new InputError(`The prefix ${prefix} is ambiguous in ${where}: it matches ${matches.length} manifests; give more characters.`);
}

export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
