import type { Signal } from '../strategy/schema';
import { type Sides, integerParam } from './sizing';

export type MeanReversionSignal = Extract<Signal, { type: 'mean_reversion' }>;

/** A window whose standard deviation is at most this fraction of its mean counts as constant. */
export const CONSTANT_WINDOW = 1e-9;

/**
 * Rolling z-score of close over the last `lookback` closes including bar t (sample standard
 * deviation, n − 1), from bar lookback−1 (NaN before, and NaN where the window is constant).
 * Mean and sum of squared deviations slide in O(1) per bar (Welford's update for a fixed window)
 * and are recomputed exactly (two passes) at every lookback-th bar, so rounding cannot drift.
 */
export function rollingZ(close: Float64Array, lookback: number, bars = close.length, out = new Float64Array(bars)): Float64Array {
  out.fill(NaN);
  let mean = 0;
  let m2 = 0;
  for (let t = lookback - 1; t < bars; t += 1) {
    if ((t + 1) % lookback === 0) {
      let sum = 0;
      for (let j = t - lookback + 1; j <= t; j += 1) sum += close[j];
      mean = sum / lookback;
      m2 = 0;
      for (let j = t - lookback + 1; j <= t; j += 1) m2 += (close[j] - mean) * (close[j] - mean);
    } else {
      const entering = close[t];
      const leaving = close[t - lookback];
      const next = mean + (entering - leaving) / lookback;
      m2 += (entering - leaving) * (entering - next + leaving - mean);
      mean = next;
    }
    const std = Math.sqrt(m2 > 0 ? m2 / (lookback - 1) : 0);
    if (std > CONSTANT_WINDOW * Math.abs(mean)) out[t] = (close[t] - mean) / std;
  }
  return out;
}

/**
 * Mean reversion on the rolling z-score: a long exits when z ≥ −exit_z, a short when z ≤ exit_z;
 * then, if flat, enter long when z ≤ −entry_z or the short side when z ≥ entry_z (so a long whose
 * z jumps to ≥ entry_z flips in one bar). Otherwise, and where z is undefined, hold.
 */
export function meanReversionSides(signal: MeanReversionSignal, bars: number): (close: Float64Array, sides: Sides) => void {
  const lookback = integerParam(signal.lookback, 'lookback', 2);
  const { entry_z: entry, exit_z: exit } = signal;
  const z = new Float64Array(bars);
  return (close, sides) => {
    rollingZ(close, lookback, bars, z);
    let side = 0;
    for (let t = 0; t < bars; t += 1) {
      const value = z[t];
      if (value === value) {
        if (side > 0 && value >= -exit) side = 0;
        else if (side < 0 && value <= exit) side = 0;
        if (side === 0) {
          if (value <= -entry) side = 1;
          else if (value >= entry) side = -1;
        }
      }
      sides[t] = side;
    }
  };
}
