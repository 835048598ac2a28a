// A real, throwaway PostgreSQL server for the PostgreSQL store's tests, its benchmark and the
// local try-out (no stand-in): a cluster made with initdb in a temp dir, listening only on a Unix
// socket in that dir (no TCP port, so no clash with anything), started and stopped here, and always
// stopped (`pg_ctl stop -m immediate`) and removed again, when a test fails, and on exit or Ctrl-C.
//
// initdb and the server refuse to run as root: as root (CI, this machine) they run as the
// `postgres` user Debian's package makes (`runuser -u postgres --`), in a temp dir chowned to it.
// The server binaries come from scripts/setup-postgres.mjs, which installs Debian's postgresql
// when they are missing.
//
// Roles: `postgres` (superuser, the harness's own), `qraft` (owns each test database: the writer),
// `qraft_reader` (SELECT only, through default privileges: the read-only role of the README) and
// `qraft_pw` (password `qraft-secret`, the one role that must authenticate: bad-credential tests;
// it may read, like `qraft_reader`).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

export const WRITER = 'qraft';
export const READER = 'qraft_reader';
export const PASSWORD_ROLE = 'qraft_pw';
export const PASSWORD = 'qraft-secret';
const SUPERUSER = 'postgres';
const PORT = 5432;

const REPO_ROOT = join(__dirname, '..', '..');

/** The server binaries' folder; scripts/setup-postgres.mjs finds it (and installs Debian's postgresql first when missing). */
function ensurePostgres(): string | undefined {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', 'setup-postgres.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const found = /PostgreSQL server binaries in (.+)$/m.exec(result.stdout ?? '');
  if (result.status !== 0 || !found) {
    process.stderr.write(result.stdout ?? '');
    return undefined;
  }
  return found[1].trim();
}

export interface TestDatabase {
  name: string;
  /** The writer's URL (`qraft`, the database's owner). */
  url: string;
  /** The read-only role's URL. */
  readerUrl: string;
}

export interface PgClusterOptions {
  /** Extra postgresql.conf lines. */
  settings?: Record<string, string | number>;
}

const live = new Set<PgCluster>();
let exitHooked = false;

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  // Whatever ends the run, no server is left behind: on exit (sync), and on Ctrl-C or a kill.
  process.on('exit', () => {
    for (const cluster of [...live]) cluster.dispose();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const cluster of [...live]) cluster.dispose();
      process.kill(process.pid, signal);
    });
  }
}

const asRoot = () => process.getuid?.() === 0;

function pgUserIds(): { uid: number; gid: number } {
  const out = execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim();
  const gid = execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim();
  return { uid: Number(out), gid: Number(gid) };
}

/** One throwaway cluster. Created and started by `PgCluster.start()`; `dispose()` stops and removes it. */
export class PgCluster {
  readonly socketDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  private databases = 0;
  private disposed = false;

  private constructor(
    readonly dir: string,
    private readonly bin: string,
  ) {
    this.socketDir = dir;
    this.dataDir = join(dir, 'data');
    this.logFile = join(dir, 'server.log');
  }

  /** initdb in a fresh temp dir, configure (socket only), start, and make the test roles. */
  static async start(options: PgClusterOptions = {}): Promise<PgCluster> {
    const bin = ensurePostgres();
    if (!bin) throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are not installed and could not be installed');
    hookExit();
    // /tmp, not $TMPDIR: the socket's path must stay under ~100 bytes, and the postgres user must reach it.
    const dir = mkdtempSync(join('/tmp', 'qraft-pg-'));
    const cluster = new PgCluster(dir, bin);
    live.add(cluster);
    try {
      if (asRoot()) {
        const { uid, gid } = pgUserIds();
        chownSync(dir, uid, gid);
      }
      cluster.run('initdb', ['-D', cluster.dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
      const settings: Record<string, string | number> = {
        listen_addresses: "''",
        unix_socket_directories: `'${dir}'`,
        port: PORT,
        max_connections: 120,
        shared_buffers: "'32MB'",
        // The tests' server is thrown away: no need to wait for the disk (a kill -9 of the server
        // still loses nothing committed: the OS keeps what was written).
        fsync: 'off',
        full_page_writes: 'off',
        log_min_messages: 'warning',
        ...options.settings,
      };
      writeFileSync(join(cluster.dataDir, 'postgresql.auto.conf'), Object.entries(settings).map(([key, value]) => `${key} = ${value}`).join('\n') + '\n');
      writeFileSync(
        join(cluster.dataDir, 'pg_hba.conf'),
        [`local all ${PASSWORD_ROLE} scram-sha-256`, 'local all all trust', ''].join('\n'),
      );
      cluster.startServer();
      await cluster.admin(async (client) => {
        await client.query(`CREATE ROLE ${WRITER} LOGIN`);
        await client.query(`CREATE ROLE ${READER} LOGIN`);
        await client.query(`CREATE ROLE ${PASSWORD_ROLE} LOGIN PASSWORD '${PASSWORD}'`);
      });
      return cluster;
    } catch (err) {
      cluster.dispose();
      throw err;
    }
  }

  /** A URL for `database` as `user` (libpq's form: the socket dir as the host). */
  url(database: string, user: string = WRITER, extra: Record<string, string> = {}): string {
    const query = new URLSearchParams({ host: this.socketDir, ...(PORT !== 5432 ? { port: String(PORT) } : {}), user, ...extra });
    return `postgresql:///${encodeURIComponent(database)}?${query.toString().replace(/%2F/g, '/')}`;
  }

  /**
   * A fresh, empty database owned by the writer, whose tables (made later by the writer) the
   * read-only role may SELECT.
   */
  async createDatabase(prefix = 'qraft'): Promise<TestDatabase> {
    this.databases += 1;
    const name = `${prefix}_${process.pid}_${this.databases}`;
    await this.admin(async (client) => {
      await client.query(`CREATE DATABASE ${name} OWNER ${WRITER}`);
    });
    await this.admin(async (client) => {
      await client.query(`GRANT CONNECT ON DATABASE ${name} TO ${READER}, ${PASSWORD_ROLE}`);
      await client.query(`GRANT USAGE ON SCHEMA public TO ${READER}, ${PASSWORD_ROLE}`);
      await client.query(`ALTER DEFAULT PRIVILEGES FOR ROLE ${WRITER} IN SCHEMA public GRANT SELECT ON TABLES TO ${READER}, ${PASSWORD_ROLE}`);
    }, name);
    return { name, url: this.url(name, WRITER), readerUrl: this.url(name, READER) };
  }

  /** Runs `work` with a superuser connection to `database`. */
  async admin<T>(work: (client: Client) => Promise<T>, database = 'postgres'): Promise<T> {
    const client = new Client({ host: this.socketDir, port: PORT, user: SUPERUSER, database });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  /** Runs one SQL statement as the superuser and returns its rows. */
  async sql<R extends Record<string, unknown> = Record<string, unknown>>(database: string, text: string, values: unknown[] = []): Promise<R[]> {
    return this.admin(async (client) => (await client.query(text, values)).rows as R[], database);
  }

  /** The postmaster's pid, from postmaster.pid; undefined when it is not running. */
  get pid(): number | undefined {
    const file = join(this.dataDir, 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** Starts the server (after stop() or kill9()); waits until it accepts connections. */
  startServer(): void {
    this.run('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '120', 'start']);
  }

  /** Stops the server at once (`-m immediate`: no checkpoint, crash recovery on the next start). */
  stopServer(mode: 'immediate' | 'fast' = 'immediate'): void {
    if (!this.running) return;
    this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /**
   * kill -9 of the server: the postmaster and every backend it started (by pid, each a child of
   * this cluster's postmaster), as a crash would; waits until they are all gone.
   */
  async kill9(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    const children = childrenOf(pid);
    process.kill(pid, 'SIGKILL');
    for (const child of children) {
      try {
        process.kill(child, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 30_000;
    while ([pid, ...children].some(alive)) {
      if (Date.now() > deadline) throw new Error(`the killed server's processes did not end: ${[pid, ...children].filter(alive).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The dead postmaster stays a zombie until its parent (init, here) reaps it, and the next
    // server takes a lock file naming a pid that still answers kill(0) for another postmaster. It
    // is dead: wait a moment for the reaping, then take its lock file away.
    for (let waited = 0; existsSync(`/proc/${pid}`) && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    if (existsSync(`/proc/${pid}`)) rmSync(join(this.dataDir, 'postmaster.pid'), { force: true });
  }

  /** The server's log (for a failing test's message). */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Stops the server (immediate) and removes its temp dir; safe to call twice, and from an exit hook. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    live.delete(this);
    try {
      if (this.running) this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', '-t', '60', 'stop']);
    } catch {
      const pid = this.pid;
      if (pid !== undefined) {
        for (const child of childrenOf(pid)) {
          try {
            process.kill(child, 'SIGKILL');
          } catch {
            // gone
          }
        }
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs a server binary, as the postgres user when we are root. */
  private run(tool: string, args: string[]): void {
    const command = join(this.bin, tool);
    const [file, argv] = asRoot() ? ['runuser', ['-u', SUPERUSER, '--', command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: 'utf8', cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    if (result.status !== 0) {
      throw new Error(`${tool} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}\n${this.log()}`);
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Pids whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

/**
 * A cluster for one mocha suite: started in `before`, stopped and removed in `after` (which mocha
 * runs when a test fails too). Call inside `describe`; read `.cluster` inside tests.
 */
export function usePostgres(options: PgClusterOptions = {}): { readonly cluster: PgCluster } {
  let cluster: PgCluster | undefined;
  before(async function () {
    this.timeout(300_000);
    cluster = await PgCluster.start(options);
  });
  after(() => {
    cluster?.dispose();
    cluster = undefined;
  });
  return {
    get cluster(): PgCluster {
      if (!cluster) throw new Error('the PostgreSQL cluster is not started (usePostgres must be called inside describe)');
      return cluster;
    },
  };
}
