// Makes sure a PostgreSQL server (initdb, pg_ctl, postgres) is there: the PostgreSQL store's tests
// (test/unit/*postgres*.test.ts), its benchmark and `npm run pg:tryout` run a real throwaway cluster
// made with initdb in a temp dir (test/support/postgres.ts). On a machine without it, Debian's
// `postgresql` package is installed with apt-get (through sudo when not root), as
// scripts/setup-ssh.mjs installs openssh-client. Run by scripts/setup-python.mjs (npm test, npm
// start) and by the test harness itself when the binaries are missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const DEBIAN_ROOT = '/usr/lib/postgresql';

/** The folder holding initdb and pg_ctl: $QRAFT_PG_BIN, Debian's newest /usr/lib/postgresql/N/bin, or the PATH's; undefined when none. */
export function postgresBinDir() {
  const wanted = process.env.QRAFT_PG_BIN;
  if (wanted) return existsSync(join(wanted, 'initdb')) ? wanted : undefined;
  if (existsSync(DEBIAN_ROOT)) {
    const versions = readdirSync(DEBIAN_ROOT)
      .filter((name) => /^\d+(\.\d+)?$/.test(name) && existsSync(join(DEBIAN_ROOT, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(DEBIAN_ROOT, versions[0], 'bin');
  }
  const found = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  return path ? path.replace(/\/initdb$/, '') : undefined;
}

/** Installs Debian's postgresql when no server binaries are found; returns their folder (undefined when it could not). */
export function ensurePostgres() {
  const found = postgresBinDir();
  if (found) return found;
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error) {
    console.error('setup-postgres: PostgreSQL (initdb, pg_ctl) is missing and apt-get is not available: install the PostgreSQL server to run the PostgreSQL store tests.');
    return undefined;
  }
  console.log('setup-postgres: installing Debian postgresql (the PostgreSQL store tests run a throwaway server)…');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  // Debian's package may make a cluster of its own (port 5432); the tests never use it: theirs
  // listen on a Unix socket in a temp dir only.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => execFileSync(sudo[0] ?? 'apt-get', sudo.length ? ['apt-get', ...args] : args, { stdio: 'inherit', env });
  apt('update', '-qq');
  apt('install', '-y', '-qq', '--no-install-recommends', 'postgresql');
  return postgresBinDir();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = ensurePostgres();
  if (!dir) process.exit(1);
  console.log(`setup-postgres: PostgreSQL server binaries in ${dir}`);
}
