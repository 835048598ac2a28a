import { InputError } from '../../shared/errors';
import type { Strategy } from '../strategy/schema';
import { builtinEngine } from './builtin';
import { type NautilusProbe, installHint, nautilusEngine, probeNautilus } from './nautilus';
import { MAX_NAUTILUS_CASH } from './runnerNames';
import type { Engine, EngineFallback, FallbackCode } from './types';

export const ENGINE_CHOICES = ['auto', 'builtin', 'nautilus'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
export const DEFAULT_PYTHON = 'python3';

export interface SelectedEngine {
  engine: Engine;
  /** When `auto` ran the built-in engine: why NautilusTrader did not. */
  fallback?: EngineFallback;
  /** Which engine ran and why, when the user asked for `auto` (shown next to the engine in reports). */
  note?: string;
}

/**
 * What a strategy asks of the precise engine that NautilusTrader's runner may refuse. Shorts are
 * not among them: the runner's margin account sells short (sizing.allow_short runs on both engines).
 */
export interface PreciseNeeds {
  timing?: Strategy['execution']['timing'];
  lotSize?: number;
  cash?: number;
}

export interface EngineSelectionOptions extends PreciseNeeds {
  /** Python interpreter for NautilusTrader (default python3 on PATH). */
  python?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStderr?: (text: string) => void;
  /** The probe of the interpreter (tests count or fake it); probeNautilus by default. */
  probe?: (python: string, options: { signal?: AbortSignal }) => Promise<NautilusProbe>;
}

/** What the precise engine must support to run `strategy` with `cash`. */
export function preciseNeeds(strategy: Pick<Strategy, 'execution'>, cash?: number): PreciseNeeds {
  return { timing: strategy.execution.timing, lotSize: strategy.execution.lot_size, cash };
}

/**
 * Why the NautilusTrader runner would refuse a strategy with these needs, without starting it;
 * undefined when it runs them. These are the runner's own refusals (python/qraft_nautilus/job.py).
 */
export function nautilusRefusal(needs: PreciseNeeds): EngineFallback | undefined {
  if (needs.timing === 'next_open') return { code: 'next_open_unsupported', message: 'NautilusTrader has no next-bar-open execution.' };
  if (needs.lotSize !== undefined && !(Number.isInteger(needs.lotSize) && needs.lotSize >= 1)) {
    const what = needs.lotSize === 0 ? 'execution.lot_size 0 (fractional quantities)' : `execution.lot_size ${needs.lotSize}`;
    return { code: 'lot_size_unsupported', message: `NautilusTrader trades whole shares and cannot run ${what}.` };
  }
  if (needs.cash !== undefined && needs.cash > MAX_NAUTILUS_CASH) {
    return { code: 'cash_unsupported', message: `NautilusTrader's account holds at most ${MAX_NAUTILUS_CASH.toExponential()} in cash, less than the starting cash of ${needs.cash}.` };
  }
  return undefined;
}

/** What a person can change in the strategy when they asked for NautilusTrader by name. */
const REFUSAL_ADVICE: Partial<Record<FallbackCode, string>> = {
  next_open_unsupported: 'use execution.timing "next_close" or "close"',
  lot_size_unsupported: 'use a whole lot size of at least 1',
};

const withoutStop = (text: string) => text.replace(/\.$/, '');

/**
 * The one place that decides which precise engine runs, probing the interpreter at most once:
 * `builtin`; `nautilus` (an InputError of kind engine_unavailable or interpreter_missing when it
 * cannot run this strategy here); `auto` = NautilusTrader when the strategy is one it runs and the
 * interpreter imports it, else builtin with a typed fallback saying why.
 */
export async function selectPreciseEngine(choice: EngineChoice, options: EngineSelectionOptions = {}): Promise<SelectedEngine> {
  if (choice === 'builtin') return { engine: builtinEngine };
  const python = options.python?.trim() || DEFAULT_PYTHON;
  const refusal = nautilusRefusal(options);
  if (refusal) {
    if (choice === 'nautilus') {
      const advice = REFUSAL_ADVICE[refusal.code];
      throw new InputError(advice ? `${withoutStop(refusal.message)}; ${advice}.` : refusal.message, 'engine_unavailable');
    }
    return fallBack(refusal);
  }
  const probe = await (options.probe ?? probeNautilus)(python, { signal: options.signal });
  if (probe.ok) {
    const engine = nautilusEngine({ python, timeoutMs: options.timeoutMs, onStderr: options.onStderr });
    return choice === 'auto' ? { engine, note: `auto: NautilusTrader ${probe.version} is importable by ${python}` } : { engine };
  }
  if (choice === 'nautilus') {
    if (probe.code === 'nautilus_missing') throw new InputError(`NautilusTrader is not installed for ${python}; install it with ${installHint(python)}.`, 'engine_unavailable');
    throw new InputError(`NautilusTrader cannot run: ${withoutStop(probe.message)}.`, probe.code === 'interpreter_missing' ? 'interpreter_missing' : 'engine_unavailable');
  }
  if (probe.code === 'nautilus_missing') return fallBack({ code: probe.code, message: `nautilus_trader is not importable by ${python}.`, detail: probe.message });
  return fallBack({ code: probe.code, message: `${withoutStop(probe.message)}.` });
}

function fallBack(fallback: EngineFallback): SelectedEngine {
  return { engine: builtinEngine, fallback, note: `auto: ${withoutStop(fallback.message)}, so the built-in engine ran` };
}
