import type { Signal } from '../strategy/schema';
import { type Sides, integerParam } from './sizing';

export type CrossSignal = Extract<Signal, { type: 'sma_cross' | 'ema_cross' }>;

/**
 * Simple moving average: out[t] = mean of values[t−period+1 .. t], from t = period−1 (NaN before).
 * A rolling sum, re-summed exactly at every period-th bar so rounding cannot drift over 100k bars
 * (still O(bars), and a function of the prefix only: truncation gives the same values).
 */
export function sma(values: Float64Array, period: number, bars = values.length, out = new Float64Array(bars)): Float64Array {
  out.fill(NaN, 0, Math.min(period - 1, bars));
  let sum = 0;
  let t = 0;
  for (const warm = Math.min(period, bars); t < warm; t += 1) sum += values[t];
  if (t === period) out[t - 1] = sum / period;
  // The re-sums fall on bars t with (t + 1) % period === 0; a countdown finds them without a division per bar.
  let untilResum = period - 1;
  for (; t < bars; t += 1) {
    if (untilResum === 0) {
      sum = 0;
      for (let j = t - period + 1; j <= t; j += 1) sum += values[j];
      untilResum = period - 1;
    } else {
      sum += values[t] - values[t - period];
      untilResum -= 1;
    }
    out[t] = sum / period;
  }
  return out;
}

/**
 * Exponential moving average seeded with the SMA of the first `period` values (at bar period−1,
 * NaN before), then e = α·x + (1 − α)·e with α = 2/(period + 1).
 */
export function ema(values: Float64Array, period: number, bars = values.length, out = new Float64Array(bars)): Float64Array {
  out.fill(NaN, 0, Math.min(period - 1, bars));
  if (bars < period) return out;
  let sum = 0;
  for (let t = 0; t < period; t += 1) sum += values[t];
  let average = sum / period;
  out[period - 1] = average;
  const alpha = 2 / (period + 1);
  for (let t = period; t < bars; t += 1) {
    average = alpha * values[t] + (1 - alpha) * average;
    out[t] = average;
  }
  return out;
}

/**
 * Sides of a fast/slow average cross for one symbol. Both averages exist from bar slow−1.
 * cross: long when fast − slow goes from ≤ 0 (bar t−1) to > 0 (bar t), short side when it goes
 * from ≥ 0 to < 0, held until the opposite cross; flat before the first cross.
 * state: long while fast > slow, short side while fast < slow, unchanged when equal.
 * Returns a filler reusing two scratch columns across symbols.
 */
export function crossSides(signal: CrossSignal, bars: number): (close: Float64Array, sides: Sides) => void {
  const fastPeriod = integerParam(signal.fast, 'fast', 1);
  const slowPeriod = integerParam(signal.slow, 'slow', 2);
  const average = signal.type === 'sma_cross' ? sma : ema;
  const fast = new Float64Array(bars);
  const slow = new Float64Array(bars);
  const state = signal.mode === 'state';
  const start = slowPeriod - 1;
  return (close, sides) => {
    average(close, fastPeriod, bars, fast);
    average(close, slowPeriod, bars, slow);
    // Flat until both averages exist; then one loop per mode (the same decisions bar by bar).
    const warm = Math.min(start, bars);
    sides.fill(0, 0, warm);
    let side = 0;
    if (state) {
      for (let t = warm; t < bars; t += 1) {
        const diff = fast[t] - slow[t];
        if (diff > 0) side = 1;
        else if (diff < 0) side = -1;
        sides[t] = side;
      }
    } else if (warm < bars) {
      let previous = fast[warm] - slow[warm];
      sides[warm] = 0;
      for (let t = warm + 1; t < bars; t += 1) {
        const diff = fast[t] - slow[t];
        if (previous <= 0 && diff > 0) side = 1;
        else if (previous >= 0 && diff < 0) side = -1;
        previous = diff;
        sides[t] = side;
      }
    }
  };
}
