import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../shared/errors';

/**
 * Signatures of HISTORY entries with the user's SSH key, as git signs commits with
 * `gpg.format = ssh`: `ssh-keygen -Y sign` over the entry hash in the `qraft-release` namespace,
 * checked with `ssh-keygen -Y verify` against a git-style allowed-signers file, the principal
 * being the entry's actor. OpenSSH does the cryptography; this module runs it.
 */
export const SIGNATURE_NAMESPACE = 'qraft-release';

const TIMEOUT_MS = 120000;

export type SignatureCheck =
  | { ok: true; principal: string }
  /** `code`: `altered` (not a signature of this hash), `unknown_key` (no allowed signer has the key), `wrong_principal`, `unchecked`. */
  | { ok: false; code: 'altered' | 'unknown_key' | 'wrong_principal' | 'unchecked'; reason: string };

function sshKeygen(args: string[], input?: string): { status: number | null; stdout: string; stderr: string; missing: boolean } {
  const result = spawnSync(process.env.QRAFT_SSH_KEYGEN || 'ssh-keygen', args, { input: input ?? '', encoding: 'utf8', timeout: TIMEOUT_MS, stdio: ['pipe', 'pipe', 'pipe'] });
  const missing = (result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '', missing };
}

const MISSING = 'ssh-keygen (OpenSSH, Debian package openssh-client) is not installed, so signatures cannot be made or checked';

/** Whether ssh-keygen can be run here. */
export function sshKeygenAvailable(): boolean {
  return !sshKeygen(['-?']).missing;
}

/** A temp folder for one operation's files (a signature, an inline public key), removed after. */
function withTemp<T>(work: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'qraft-sig-'));
  try {
    return work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `~/…` and relative paths (against `base`) of a key or allowed-signers file. */
export function expandPath(path: string, base: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(base, path);
}

/**
 * Signs `message` (an entry hash) with the key at `keyPath` (a private key, or a public key whose
 * private half is in ssh-agent, as git accepts), or with an inline `key::ssh-…`/`ssh-…` public key
 * held by the agent. Returns the armored signature. Bad input (no such key, the agent has not got
 * it) is an InputError naming the key.
 */
export function signMessage(key: string, message: string): string {
  return withTemp((dir) => {
    let path = key;
    const inline = key.startsWith('key::') ? key.slice(5) : /^(ssh-|ecdsa-|sk-)/.test(key) ? key : undefined;
    if (inline) {
      path = join(dir, 'key.pub');
      writeFileSync(path, `${inline.trim()}\n`);
    } else if (!existsSync(path)) {
      throw new InputError(`Cannot sign with ${key}: no such key file.`);
    }
    const result = sshKeygen(['-Y', 'sign', '-n', SIGNATURE_NAMESPACE, '-f', path], message);
    if (result.missing) throw new InputError(`${MISSING}.`);
    if (result.status !== 0 || !result.stdout.includes('BEGIN SSH SIGNATURE')) {
      const why = lastLine(result.stderr) || 'ssh-keygen failed';
      throw new InputError(`Cannot sign with ${inline ? 'the configured SSH key' : key}: ${why.replace(/\.$/, '')}.`);
    }
    return result.stdout.trim();
  });
}

function lastLine(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^Signing (data|file)/.test(line))
    .at(-1) ?? '';
}

/**
 * Checks `signature` over `message`: that it is a signature of exactly this message in the
 * qraft-release namespace, and (with `allowedSigners`) that its key is listed there for
 * `principal` (named in a reason as `role principal`, "its actor" by default). Without an allowed-signers file only the first can be checked (`unchecked`).
 */
export function checkSignature(options: { message: string; signature: string; principal: string; allowedSigners?: string; role?: string }): SignatureCheck {
  return withTemp((dir) => {
    const sigPath = join(dir, 'entry.sig');
    writeFileSync(sigPath, `${options.signature.trim()}\n`);
    const intact = sshKeygen(['-Y', 'check-novalidate', '-n', SIGNATURE_NAMESPACE, '-s', sigPath], options.message);
    if (intact.missing) return { ok: false, code: 'unchecked', reason: MISSING };
    if (intact.status !== 0) return { ok: false, code: 'altered', reason: 'its signature is not a signature of this entry (it was altered after it was signed)' };
    if (!options.allowedSigners) return { ok: false, code: 'unchecked', reason: 'no allowed-signers file is configured, so the signer cannot be checked' };
    if (!existsSync(options.allowedSigners)) return { ok: false, code: 'unchecked', reason: `the allowed-signers file ${options.allowedSigners} does not exist` };
    const verified = sshKeygen(['-Y', 'verify', '-f', options.allowedSigners, '-I', options.principal, '-n', SIGNATURE_NAMESPACE, '-s', sigPath], options.message);
    if (verified.status === 0) return { ok: true, principal: options.principal };
    const found = sshKeygen(['-Y', 'find-principals', '-f', options.allowedSigners, '-s', sigPath]);
    const principals = found.status === 0 ? found.stdout.split('\n').map((line) => line.trim()).filter(Boolean) : [];
    if (principals.length === 0) return { ok: false, code: 'unknown_key', reason: `it is signed by a key that is not in ${options.allowedSigners}` };
    return { ok: false, code: 'wrong_principal', reason: `it is signed by ${principals.join(', ')}, not by ${options.role ?? 'its actor'} ${options.principal}` };
  });
}

/** git's SSH signing key for `cwd` (`user.signingkey` when `gpg.format` is `ssh`), or undefined. */
export function gitSigningKey(cwd: string): string | undefined {
  const git = (key: string) => {
    const result = spawnSync('git', ['config', '--get', key], { cwd, encoding: 'utf8', timeout: 5000 });
    return result.status === 0 ? result.stdout.trim() : '';
  };
  if (git('gpg.format') !== 'ssh') return undefined;
  const key = git('user.signingkey');
  if (!key) return undefined;
  return key.startsWith('key::') || /^(ssh-|ecdsa-|sk-)/.test(key) ? key : expandPath(key, cwd);
}
