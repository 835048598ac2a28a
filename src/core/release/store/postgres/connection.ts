/**
 * Where a PostgreSQL store is, and what went wrong reaching it, in one sentence that never quotes a
 * password. The URL is libpq's (`postgresql://[user[:password]@][host][:port][/database][?param=…]`,
 * `host=/socket/dir` for a Unix socket); whatever it leaves out comes from libpq's environment
 * (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) and the password file (~/.pgpass, PGPASSFILE),
 * which node-postgres reads the way libpq does.
 */
import { InputError } from '../../../shared/errors';

export interface Target {
  /** The URL as given (passed to the client untouched: it may carry a password). */
  url: string;
  host: string;
  port: string;
  user: string;
  database: string;
  /** The URL without its password, for every message. */
  location: string;
}

const SCHEMES = ['postgresql:', 'postgres:'];

/** Whether a store argument names a PostgreSQL store (rather than a folder). */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(text.trim());
}

/** Parses (and checks) a store URL; InputError, naming only the redacted URL, when it is not one. */
export function parseTarget(url: string, env: NodeJS.ProcessEnv = process.env): Target {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new InputError(`The store URL ${redactUrl(url)} is not a valid PostgreSQL URL (expected postgresql://[user@]host[:port]/database).`);
  }
  if (!SCHEMES.includes(parsed.protocol.toLowerCase())) {
    throw new InputError(`The store URL ${redactUrl(url)} is not a PostgreSQL URL (expected postgresql://[user@]host[:port]/database).`);
  }
  const param = (name: string) => parsed.searchParams.get(name) ?? undefined;
  const host = param('host') || decodeURIComponent(parsed.hostname) || env.PGHOST || 'localhost';
  const port = param('port') || parsed.port || env.PGPORT || '5432';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new InputError(`The store URL ${redactUrl(url)} has an invalid port "${port.slice(0, 20)}".`);
  }
  const user = param('user') || decodeURIComponent(parsed.username) || env.PGUSER || env.USER || 'postgres';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || param('dbname') || env.PGDATABASE || user;
  if (database.includes('/')) throw new InputError(`The store URL ${redactUrl(url)} names the database "${database.slice(0, 80)}", which is not a database name.`);
  return { url: url.trim(), host, port, user, database, location: redactUrl(url) };
}

/** The URL with any password (in the user part or a `password=` parameter) replaced by `***`. */
export function redactUrl(url: string): string {
  const text = url.trim();
  const withoutUserPassword = text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
  return withoutUserPassword.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** Where the server is, for a sentence: host:port, or the socket dir. */
export function serverLabel(target: Target): string {
  return target.host.startsWith('/') ? `the Unix socket in ${target.host}` : `${target.host}:${target.port}`;
}

const UNREACHABLE_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'no server is listening there',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'the host name could not be resolved',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ECONNRESET: 'the connection was reset',
  EACCES: 'permission denied',
};

/** An error from node-postgres or the server, as the sentence a user reads (an InputError), or undefined when it is none of the known kinds. */
export function connectionError(err: unknown, target: Target): InputError | undefined {
  const error = err as { code?: string; message?: string } | undefined;
  const code = error?.code ?? '';
  const message = error?.message ?? '';
  const server = serverLabel(target);
  if (UNREACHABLE_CODES[code]) return new InputError(`Cannot reach the PostgreSQL server at ${server}: ${UNREACHABLE_CODES[code]}.`);
  if (code === '28P01' || /password authentication failed/i.test(message)) {
    return new InputError(`The PostgreSQL server at ${server} refused the password of role "${target.user}" (check PGPASSWORD, ~/.pgpass or the stored password).`);
  }
  if (code === '28000') return new InputError(`The PostgreSQL server at ${server} does not let role "${target.user}" connect to database "${target.database}" (no such role, or pg_hba.conf refuses it).`);
  if (/client password must be a string|SASL|password must be/i.test(message)) {
    return new InputError(`The PostgreSQL server at ${server} wants a password for role "${target.user}" and none was given (set PGPASSWORD, add it to ~/.pgpass, or store it in the editor).`);
  }
  if (code === '3D000') return new InputError(`The PostgreSQL server at ${server} has no database "${target.database}".`);
  if (code === '57P03') return new InputError(`The PostgreSQL server at ${server} is starting up or shutting down; try again in a moment.`);
  if (code === '53300') return new InputError(`The PostgreSQL server at ${server} has no free connection slots (too many clients); try again later.`);
  if (/Connection terminated|terminating connection|server closed the connection|Client has encountered a connection error|Connection terminated unexpectedly/i.test(message) || code === '57P01' || code === '57P02') {
    return new InputError(`The connection to the PostgreSQL server at ${server} was lost (the server stopped or restarted); the write in progress, if any, was not committed unless the history shows it.`);
  }
  if (/timeout exceeded when trying to connect|Connection timeout/i.test(message)) return new InputError(`Cannot reach the PostgreSQL server at ${server}: the connection timed out.`);
  return undefined;
}
