import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_PYTHON } from './select';

/**
 * The interpreter the CLI runs NautilusTrader with when --python is not given: $QRAFT_PYTHON, else
 * the nearest project virtualenv (`.venv/bin/python` in the folder or a parent, where the README's
 * set-up installs nautilus_trader), else python3 on PATH.
 */
export function defaultPython(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.QRAFT_PYTHON?.trim()) return env.QRAFT_PYTHON.trim();
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, '.venv', process.platform === 'win32' ? 'Scripts\\python.exe' : 'bin/python');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return DEFAULT_PYTHON;
  }
}
