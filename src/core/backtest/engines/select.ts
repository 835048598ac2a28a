import { InputError } from '../../shared/errors';
import type { Timing } from '../strategy/schema';
import { builtinEngine } from './builtin';
import { installHint, nautilusEngine, probeNautilus } from './nautilus';
import type { Engine } from './types';

export const ENGINE_CHOICES = ['auto', 'builtin', 'nautilus'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
export const DEFAULT_PYTHON = 'python3';

export interface SelectedEngine {
  engine: Engine;
  /** Which engine ran and why, when the user asked for `auto`. */
  note?: string;
}

export interface EngineSelectionOptions {
  /** Python interpreter for NautilusTrader (default python3 on PATH). */
  python?: string;
  /** The strategy's execution timing: NautilusTrader cannot fill at the next open. */
  timing?: Timing;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStderr?: (text: string) => void;
}

/**
 * Resolves --engine to a precise engine: `builtin`; `nautilus` (fails with one sentence when it
 * cannot run); `auto` = NautilusTrader when importable by the interpreter, else builtin, with a
 * note saying which ran and why.
 */
export async function selectPreciseEngine(choice: EngineChoice, options: EngineSelectionOptions = {}): Promise<SelectedEngine> {
  if (choice === 'builtin') return { engine: builtinEngine };
  const python = options.python?.trim() || DEFAULT_PYTHON;
  if (options.timing === 'next_open') {
    if (choice === 'nautilus') throw new InputError('NautilusTrader has no next-bar-open execution; use execution.timing "next_close" or "close", or --engine builtin.');
    return { engine: builtinEngine, note: 'auto: NautilusTrader has no next-bar-open execution, so the built-in engine ran' };
  }
  const probe = await probeNautilus(python, { signal: options.signal });
  if (probe.ok) {
    const engine = nautilusEngine({ python, timeoutMs: options.timeoutMs, onStderr: options.onStderr });
    return choice === 'auto' ? { engine, note: `auto: NautilusTrader ${probe.version} is importable by ${python}` } : { engine };
  }
  if (choice === 'nautilus') {
    if (probe.code === 'nautilus_missing') throw new InputError(`NautilusTrader is not installed for ${python}; install it with ${installHint(python)}, or use --engine builtin.`);
    throw new InputError(`NautilusTrader cannot run: ${probe.message}.`);
  }
  return { engine: builtinEngine, note: `auto: ${probe.code === 'nautilus_missing' ? `nautilus_trader is not importable by ${python}` : probe.message}, so the built-in engine ran` };
}
