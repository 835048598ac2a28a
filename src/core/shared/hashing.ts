import { createHash, hash } from 'node:crypto';
import { z } from 'zod';
import { InputError } from './errors';
import { canonicalJson } from './json';

/**
 * The one home for hashing: sha256 digests, the hash of canonical JSON that names manifests,
 * history entries, reports and strategies, the schema of a stored hash, and hash arguments typed
 * by users. (Showing a hash to people is shortHash in labels.ts, which the webview bundles.)
 */

const HEX = /^[0-9a-f]+$/;
const FULL_HASH = /^[0-9a-f]{64}$/;
export const FULL_HASH_LENGTH = 64;
export const MIN_PREFIX_LENGTH = 8;

/** A sha256 hex digest as files store it: 64 lower-case hex characters. */
export const Sha256 = z.string().regex(FULL_HASH, 'expected a sha256 hex digest');

export function sha256Hex(data: string | Buffer): string {
  // crypto.hash (Node ≥ 20.12) skips the Hash object: about twice as fast on the small documents
  // verify hashes by the hundred thousand.
  return typeof hash === 'function' ? hash('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex');
}

/** sha256 of the value's canonical JSON: equal documents hash equally whatever their key order. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** A strategy's `strategy_hash`: the canonical hash of its document, in manifests, metadata and reports alike. */
export function strategyHash(document: unknown): string {
  return canonicalHash(document);
}

export function isFullHash(value: string): boolean {
  return FULL_HASH.test(value);
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
