import type { PriceFrame } from '../data/frame';
import { REBALANCE_ALL, type TargetWeights } from '../signals/types';
import type { Timing } from '../strategy/schema';
import type { FillLog } from './fills';

export const ENGINE_NAMES = ['quick', 'builtin', 'nautilus'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Why NautilusTrader did not run a strategy: the interpreter, the library, or what the strategy asks for. */
export const FALLBACK_CODES = [
  /** The interpreter does not exist or cannot be executed. */
  'interpreter_missing',
  /** nautilus_trader is not importable by the interpreter. */
  'nautilus_missing',
  /** The interpreter or the runner did not answer the probe as expected. */
  'nautilus_broken',
  /** execution.timing next_open: NautilusTrader has no next-bar-open execution. */
  'next_open_unsupported',
  /** execution.lot_size 0 (fractional) or not whole: NautilusTrader equities trade whole shares. */
  'lot_size_unsupported',
  /** No longer given (the runner's margin account sells short); kept so that reports which recorded it still read. */
  'short_unsupported',
  /** Starting cash above what the runner's account holds. */
  'cash_unsupported',
] as const;
export type FallbackCode = (typeof FALLBACK_CODES)[number];

/** Why `auto` ran the built-in engine: a stable code and one sentence. */
export interface EngineFallback {
  code: FallbackCode;
  message: string;
  /** The probe's own words, when it said more (e.g. the import error). */
  detail?: string;
}

export interface Costs {
  commission_bps: number;
  slippage_bps: number;
  min_commission: number;
}

/** Everything an engine needs: prices, targets, costs, timing, lots and starting cash. */
export interface EngineInput {
  frame: PriceFrame;
  targets: TargetWeights;
  costs: Costs;
  timing: Timing;
  /** Precise engines round quantities toward zero to multiples of this; 0 = fractional. */
  lotSize: number;
  cash: number;
}

export interface EngineRun {
  engine: EngineName;
  version: string;
  fills: FillLog;
}

export interface RunOptions {
  signal?: AbortSignal;
}

export interface Engine {
  readonly name: EngineName;
  /** The NautilusTrader runner's interpreter, for executors that run its jobs elsewhere (Ray). */
  readonly runner?: { python: string; timeoutMs: number };
  run(input: EngineInput, options?: RunOptions): Promise<EngineRun>;
}

/** The bar whose signal is filled at bar `fillBar`, or -1 when none is. */
export function signalBarFor(timing: Timing, fillBar: number): number {
  return timing === 'close' ? fillBar : fillBar - 1;
}

/** Unslipped fill prices at bar `fillBar`: the open for next_open, else the close. */
export function fillPrices(input: EngineInput, fillBar: number, out: Float64Array): void {
  const column = input.timing === 'next_open' ? input.frame.open : input.frame.close;
  for (let symbol = 0; symbol < column.length; symbol += 1) out[symbol] = column[symbol][fillBar];
}

/**
 * Whether `symbol` trades on a bar whose signal is `signalBar`: every symbol on a full
 * rebalance, else only those whose target changed from the bar before.
 */
export function targetChanged(targets: TargetWeights, symbol: number, signalBar: number): boolean {
  if (targets.rebalance[signalBar] === REBALANCE_ALL) return true;
  const column = targets.weights[symbol];
  return column[signalBar] !== (signalBar > 0 ? column[signalBar - 1] : 0);
}
