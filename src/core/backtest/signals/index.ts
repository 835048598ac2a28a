import type { PriceFrame } from '../data/frame';
import type { Strategy } from '../strategy/schema';
import { crossSides } from './averages';
import { buyAndHoldTargets } from './buyAndHold';
import { meanReversionSides } from './meanReversion';
import { momentumTargets } from './momentum';
import { changeFlags } from './rebalance';
import { rsiSides } from './rsi';
import { type Sides, equalWeightLeg, weightsFromSides } from './sizing';
import type { SignalContext, TargetScratch, TargetWeights } from './types';
import { weightsFileTargets } from './weightsFile';

export type { SignalContext, TargetScratch, TargetWeights } from './types';

/**
 * Per-symbol signals: each symbol is its own sleeve of gross/N, long at +gross/N, the short side
 * at −gross/N (0 without allow_short), flat at 0.
 */
function perSymbolTargets(frame: PriceFrame, sizing: Strategy['sizing'], fillSides: (close: Float64Array, sides: Sides) => void, scratch?: TargetScratch): TargetWeights {
  const bars = frame.times.length;
  const leg = equalWeightLeg(sizing, frame.symbols.length);
  const sides = new Int8Array(bars);
  let into: Float64Array[] | undefined;
  if (scratch) {
    const fits = scratch.columns !== undefined && scratch.columns.length === frame.symbols.length && scratch.columns.every((column) => column.length >= bars);
    if (!fits) scratch.columns = frame.close.map(() => new Float64Array(bars));
    into = scratch.columns;
  }
  const weights = frame.close.map((close, symbol) => {
    fillSides(close, sides);
    const out = into ? (into[symbol].length === bars ? into[symbol] : into[symbol].subarray(0, bars)) : undefined;
    return weightsFromSides(sides, leg, bars, out);
  });
  return { weights, rebalance: changeFlags(weights, bars) };
}

/**
 * Bars a signal needs before it can first say anything: its longest window (and one more bar
 * where it compares with the previous one). A run must have `min_bars` more than this to be
 * evidence of anything.
 */
export function signalWarmup(signal: Strategy['signal']): number {
  switch (signal.type) {
    case 'sma_cross':
    case 'ema_cross':
      return signal.slow;
    case 'momentum':
    case 'mean_reversion':
      return signal.lookback;
    case 'rsi':
      return signal.period + 1;
    case 'buy_and_hold':
    case 'weights':
      return 0;
    default: {
      const unknown: never = signal;
      throw new Error(`unknown signal type ${(unknown as { type: string }).type}`);
    }
  }
}

/**
 * Target weights per symbol and bar for the strategy's signal. weights[i][t] depends on closes up
 * to and including bar t only, so the targets of a frame truncated at k equal the first k bars of
 * the full run (the leakage gate checks exactly this).
 */
export function computeTargets(strategy: Strategy, ctx: SignalContext): TargetWeights {
  const { frame } = ctx;
  const { signal, sizing } = strategy;
  const bars = frame.times.length;
  switch (signal.type) {
    case 'buy_and_hold':
      return buyAndHoldTargets(frame, sizing);
    case 'sma_cross':
    case 'ema_cross':
      return perSymbolTargets(frame, sizing, crossSides(signal, bars), ctx.scratch);
    case 'mean_reversion':
      return perSymbolTargets(frame, sizing, meanReversionSides(signal, bars), ctx.scratch);
    case 'rsi':
      return perSymbolTargets(frame, sizing, rsiSides(signal, bars), ctx.scratch);
    case 'momentum':
      return momentumTargets(frame, signal, sizing);
    case 'weights':
      return weightsFileTargets(signal.file, sizing, ctx);
    default: {
      const unknown: never = signal;
      throw new Error(`unknown signal type ${(unknown as { type: string }).type}`);
    }
  }
}
