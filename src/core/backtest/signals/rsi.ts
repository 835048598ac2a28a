import type { Signal } from '../strategy/schema';
import { type Sides, integerParam } from './sizing';

export type RsiSignal = Extract<Signal, { type: 'rsi' }>;

/**
 * Wilder's RSI of close, from bar `period` (NaN before): the first average gain/loss is the simple
 * mean of the first `period` changes, then avg = (avg·(period − 1) + current)/period.
 * RSI = 100 − 100/(1 + gain/loss); 100 when there are no losses, 50 when there is no movement.
 */
export function rsiValues(close: Float64Array, period: number, bars = close.length, out = new Float64Array(bars)): Float64Array {
  out.fill(NaN);
  let gain = 0;
  let loss = 0;
  for (let t = 1; t < bars; t += 1) {
    const change = close[t] - close[t - 1];
    const up = change > 0 ? change : 0;
    const down = change < 0 ? -change : 0;
    if (t <= period) {
      gain += up;
      loss += down;
      if (t < period) continue;
      gain /= period;
      loss /= period;
    } else {
      gain = (gain * (period - 1) + up) / period;
      loss = (loss * (period - 1) + down) / period;
    }
    out[t] = loss > 0 ? 100 - 100 / (1 + gain / loss) : gain > 0 ? 100 : 50;
  }
  return out;
}

/**
 * RSI bands: a long exits when RSI ≥ 50, a short when RSI ≤ 50; then, if flat, enter long when
 * RSI < lower or the short side when RSI > upper. Otherwise, and where RSI is undefined, hold.
 */
export function rsiSides(signal: RsiSignal, bars: number): (close: Float64Array, sides: Sides) => void {
  const period = integerParam(signal.period, 'period', 2);
  const { lower, upper } = signal;
  const rsi = new Float64Array(bars);
  return (close, sides) => {
    rsiValues(close, period, bars, rsi);
    let side = 0;
    for (let t = 0; t < bars; t += 1) {
      const value = rsi[t];
      if (value === value) {
        if (side > 0 && value >= 50) side = 0;
        else if (side < 0 && value <= 50) side = 0;
        if (side === 0) {
          if (value < lower) side = 1;
          else if (value > upper) side = -1;
        }
      }
      sides[t] = side;
    }
  };
}
