// Makes sure ssh-keygen (OpenSSH) is there: Qraft signs and checks HISTORY entries with
// `ssh-keygen -Y sign` / `-Y verify`, and the signature tests make real keys with it. On a machine
// without it, Debian's openssh-client is installed with apt-get (through sudo when not root), the
// way the e2e harness installs chromium. Run by scripts/setup-python.mjs (npm test, npm start).
import { execFileSync, spawnSync } from 'node:child_process';

export function ensureSshKeygen() {
  if (!spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error) return;
  if (spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).error) {
    console.error('setup-ssh: ssh-keygen is missing and apt-get is not available: install OpenSSH (openssh-client) to sign and verify releases.');
    return;
  }
  console.log('setup-ssh: installing Debian openssh-client (ssh-keygen signs and verifies HISTORY entries)…');
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (...args) => execFileSync(sudo[0] ?? 'apt-get', sudo.length ? ['apt-get', ...args] : args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  apt('update', '-qq');
  apt('install', '-y', '-qq', '--no-install-recommends', 'openssh-client');
}

if (import.meta.url === `file://${process.argv[1]}`) ensureSshKeygen();
