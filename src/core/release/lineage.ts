import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import type { Lineage } from './pool/schemas';

/** Each git call may take this long (a huge or network-mounted work tree); then there is no lineage. */
const GIT_TIMEOUT_MS = 5000;

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', timeout: GIT_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'], windowsHide: true }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Where a strategy file comes from, asked of git itself: the commit checked out in its work tree,
 * the file's path in the repository (with `/`), and whether the file differs from that commit
 * (modified, staged, or not tracked at all). Undefined, never an error, when the file is not in a
 * work tree, the work tree has no commit yet, or git is missing or too slow.
 */
export function gitLineage(file: string): Lineage | undefined {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return undefined;
  }
  const cwd = dirname(real);
  const top = git(cwd, ['rev-parse', '--show-toplevel']);
  if (!top) return undefined;
  const commit = git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD']);
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  let root: string;
  try {
    root = realpathSync(top);
  } catch {
    return undefined;
  }
  const path = relative(root, real).split(sep).join('/');
  if (path.startsWith('../') || path === '') return undefined;
  // Not tracked, or changed against HEAD (in the index or the work tree): dirty.
  const tracked = git(root, ['ls-files', '--error-unmatch', '--', path]) !== undefined;
  const status = tracked ? git(root, ['status', '--porcelain', '--', path]) : '';
  if (status === undefined) return undefined;
  return { commit, path, dirty: !tracked || status !== '' };
}
