// Creates .venv with the NautilusTrader runner's pinned requirements (and Ray for --ray), once (and, first, makes sure
// ssh-keygen is installed: scripts/setup-ssh.mjs). `npm test` and
// `npm start` call it, so a fresh machine gets the real nautilus_trader from PyPI; nothing is cached
// beyond the venv itself. Set QRAFT_SKIP_PYTHON=1 to skip (the nautilus tests then fail loudly).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePostgres } from './setup-postgres.mjs';
import { ensureSshKeygen } from './setup-ssh.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const python = join(venv, 'bin', 'python');
const requirements = join(root, 'python', 'requirements-dev.txt');
const stamp = join(venv, '.qraft-requirements');

// Not Python, but the same moment: the set-up also provides ssh-keygen for signed releases.
ensureSshKeygen();
// And the PostgreSQL server the PostgreSQL store's tests run (scripts/setup-postgres.mjs).
ensurePostgres();
if (process.env.QRAFT_SKIP_PYTHON) process.exit(0);
const base = process.env.QRAFT_BASE_PYTHON || 'python3';
const wanted = readFileSync(requirements, 'utf8') + readFileSync(join(root, 'python', 'requirements.txt'), 'utf8');
if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) process.exit(0);

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit', cwd: root });
const version = execFileSync(base, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).trim();
const [major, minor] = version.split('.').map(Number);
if (major !== 3 || minor < 11) {
  console.error(`setup-python: ${base} is Python ${version}; the NautilusTrader runner needs Python 3.11 or newer.`);
  process.exit(1);
}
console.log(`setup-python: creating .venv with Python ${version} and the pinned NautilusTrader…`);
if (!existsSync(python)) run(base, ['-m', 'venv', venv]);
run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', 'pip']);
// nautilus_trader 1.221.0 is the last release for Python 3.11; 3.12+ get 1.230.0 (same v1 API).
const pin = minor >= 12 ? ['nautilus_trader==1.230.0', 'ray[default]==2.60.0', 'pytest'] : ['-r', requirements];
run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...pin]);
writeFileSync(stamp, wanted);
