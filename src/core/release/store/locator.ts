/**
 * Which store a workspace uses: the file store (no locator: today's folders) or PostgreSQL (a
 * `postgresql://` or `postgres://` URL). Parsing and naming only; opening is workspace.ts's.
 */
import { InputError } from '../../shared/errors';

export type StoreChoice = { kind: 'file' } | { kind: 'postgres'; url: string; location: string; hasPassword: boolean };

const POSTGRES_SCHEMES = ['postgresql:', 'postgres:'];

/**
 * The store a locator names; `origin` says where it came from in an error, as the caller words
 * it (the CLI its option or variable, the editor its setting). Empty or absent: the file store.
 */
export function parseStoreLocator(value: string | undefined, origin: string): StoreChoice {
  const text = value?.trim();
  if (!text) return { kind: 'file' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // Not quoted: a malformed URL may still carry a password (postgresql://bob:s3cret@host:54x2/db).
    throw new InputError(`the store URL given by ${origin} is not a valid postgresql:// URL: give postgresql://HOST/DATABASE, or leave it unset for the file store.`);
  }
  if (!POSTGRES_SCHEMES.includes(url.protocol)) {
    throw new InputError(`${origin} names a ${url.protocol.replace(/:$/, '')} URL; the stores are PostgreSQL (postgresql://HOST/DATABASE) or, unset, the file store.`);
  }
  return { kind: 'postgres', url: text, location: redactedUrl(url), hasPassword: url.password !== '' || url.searchParams.has('password') };
}

/** The URL as messages show it: its password (in the user part or a `password=` parameter) as `***`. */
export function redactedUrl(url: URL | string): string {
  const parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  if (parsed.password) parsed.password = '***';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
  return parsed.href.replace(/password=\*\*\*|password=%2A%2A%2A/gi, 'password=***');
}
