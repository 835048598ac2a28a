import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_PYTHON } from './select';

/**
 * The interpreter the CLI runs NautilusTrader with when none is given explicitly: $QRAFT_PYTHON,
 * else the `.venv` of the folder itself (where the README's set-up installs nautilus_trader), else
 * python3 on PATH. Never one found by walking up parents: a `.venv` planted in a shared parent
 * (/tmp, a monorepo root) must not run.
 */
export function defaultPython(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.QRAFT_PYTHON?.trim()) return env.QRAFT_PYTHON.trim();
  const own = join(resolve(cwd), '.venv', process.platform === 'win32' ? 'Scripts\\python.exe' : 'bin/python');
  return existsSync(own) ? own : DEFAULT_PYTHON;
}
