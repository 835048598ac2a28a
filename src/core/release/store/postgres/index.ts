/**
 * The PostgreSQL back end's factory. node-postgres (`pg`) is loaded here, on first use, and only
 * here: the build bundles it apart (dist/pg.js), so the extension's bundle does not carry it and a
 * workspace on the file store never loads it.
 */
import type { ClientConfig, PoolConfig } from 'pg';
import type { OpenPostgresStore, ReleaseStore } from '../types';
import { parseTarget } from './connection';
import { type PgModule, PostgresReleaseStore, type PostgresStoreOptions } from './store';

export { isPostgresUrl, redactUrl } from './connection';
export { SCHEMA_VERSION } from './schema';
export { PostgresReleaseStore } from './store';

let loaded: PgModule | undefined;

/**
 * The URL with the editor's password as a `password` parameter: node-postgres lets the URL's own
 * (absent, so empty) password win over a `password` option. Kept in memory only; every message
 * shows the URL without it.
 */
function withPassword(url: string, password: string | undefined): string {
  if (!password) return url;
  const separator = url.includes('?') ? '&' : '?';
  return `${url}${separator}password=${encodeURIComponent(password)}`;
}

/** node-postgres, loaded once. */
export async function loadPg(): Promise<PgModule> {
  if (!loaded) {
    const module = (await import('pg')) as PgModule & { default?: PgModule };
    // The bundle's chunk is CommonJS: its exports may arrive as `default`.
    loaded = module.Pool ? module : (module.default as PgModule);
  }
  return loaded;
}

/**
 * node-postgres's Client, except that a connection that fails while connecting is closed: a server
 * asking for a password none was given for would otherwise hold the socket (and the CLI) until its
 * authentication timeout (a minute).
 */
function closingClient(pg: PgModule): PgModule['Client'] {
  type Connecting = { connect(callback?: (err?: Error) => void): unknown; connection?: { stream?: { destroy(): void } } };
  const Base = pg.Client as unknown as new (config?: unknown) => Connecting;
  class ClosingClient extends Base {
    override connect(callback?: (err?: Error) => void): unknown {
      const close = () => this.connection?.stream?.destroy();
      if (!callback) {
        return (super.connect() as Promise<unknown>).catch((err: unknown) => {
          close();
          throw err;
        });
      }
      return super.connect((err?: Error) => {
        if (err) close();
        callback(err);
      });
    }
  }
  return ClosingClient as unknown as PgModule['Client'];
}

/**
 * Connects to the store at `url` (libpq's URL; PGHOST, PGUSER, PGPASSWORD, PGDATABASE and
 * ~/.pgpass supply what it leaves out; `password` is the editor's stored one), checks the schema
 * version, and resolves to a ready store. Rejects with one sentence (an InputError, exit 2) for a
 * bad URL, an unreachable server, bad credentials, or a missing or other schema version.
 */
export const openPostgresStore: OpenPostgresStore = async (url, options = {}) => openPostgres(url, options);

async function openPostgres(url: string, options: PostgresStoreOptions): Promise<ReleaseStore> {
  const target = parseTarget(url);
  const pg = await loadPg();
  const clientConfig: ClientConfig = {
    connectionString: withPassword(target.url, options.password),
    application_name: 'qraft',
    connectionTimeoutMillis: 15_000,
    // TCP keep-alive: a listener whose server vanished without closing the connection notices, and reconnects.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
  const Client = closingClient(pg);
  const poolConfig: PoolConfig = { ...clientConfig, max: 4, idleTimeoutMillis: 10_000, allowExitOnIdle: true, Client };
  const pool = new pg.Pool(poolConfig);
  // An idle connection dropped by the server (a restart) is not an error of anything in progress.
  pool.on('error', () => undefined);
  const store = new PostgresReleaseStore({ Client }, pool, target, clientConfig, options);
  try {
    await store.open();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw store.mapped(err);
  }
  return store;
}
