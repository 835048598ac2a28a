import type { PriceFrame } from '../data/frame';
import type { Signal, Strategy } from '../strategy/schema';
import { changeFlags } from './rebalance';
import { REBALANCE_ALL } from './types';
import { equalWeightLeg, integerParam } from './sizing';
import type { TargetWeights } from './types';

export type MomentumSignal = Extract<Signal, { type: 'momentum' }>;

/**
 * The `count` symbols ranked first by `before` among candidates[0..n), best first, into `out`
 * (an insertion into a list of at most `count`: O(n·count), no sort and no allocation per bar).
 */
function pick(candidates: Int32Array, n: number, count: number, before: (a: number, b: number) => boolean, out: Int32Array): number {
  if (count <= 0) return 0;
  let size = 0;
  for (let i = 0; i < n; i += 1) {
    const symbol = candidates[i];
    if (size === count && !before(symbol, out[size - 1])) continue;
    let slot = size < count ? size++ : size - 1;
    while (slot > 0 && before(symbol, out[slot - 1])) {
      out[slot] = out[slot - 1];
      slot -= 1;
    }
    out[slot] = symbol;
  }
  return size;
}

/**
 * Cross-sectional momentum. At bars t = lookback + k·rebalance_every, rank symbols by
 * close[t]/close[t − lookback] − 1 (highest first, ties by universe order; symbols whose return is
 * not a finite number are left out and held flat), hold the top_n long at gross/top_n each and,
 * with allow_short and 2·top_n ≤ N, the bottom top_n short at −gross/top_n. Targets are held
 * between scheduled bars; every scheduled bar is a rebalance even if nothing changed.
 */
export function momentumTargets(frame: PriceFrame, signal: MomentumSignal, sizing: Strategy['sizing']): TargetWeights {
  const lookback = integerParam(signal.lookback, 'lookback', 1);
  const every = integerParam(signal.rebalance_every, 'rebalance_every', 1);
  const topN = integerParam(signal.top_n, 'top_n', 1);
  const bars = frame.times.length;
  const symbols = frame.symbols.length;
  const leg = equalWeightLeg(sizing, topN);
  const shortLeg = sizing.allow_short && 2 * topN <= symbols;
  const weights = frame.symbols.map(() => new Float64Array(bars));
  const score = new Float64Array(symbols);
  // A strict total order: higher return first, then earlier in the universe.
  const above = (a: number, b: number) => score[a] > score[b] || (score[a] === score[b] && a < b);
  const below = (a: number, b: number) => score[a] < score[b] || (score[a] === score[b] && a > b);
  const valid = new Int32Array(symbols);
  const picked = new Int32Array(symbols);
  const target = new Float64Array(symbols);
  const schedule: number[] = [];
  for (let t = lookback; t < bars; t += every) {
    schedule.push(t);
    let n = 0;
    for (let s = 0; s < symbols; s += 1) {
      const value = frame.close[s][t] / frame.close[s][t - lookback] - 1;
      score[s] = value;
      if (Number.isFinite(value)) valid[n++] = s;
    }
    target.fill(0);
    const longs = pick(valid, n, Math.min(topN, n), above, picked);
    for (let i = 0; i < longs; i += 1) target[picked[i]] = leg.long;
    if (shortLeg) {
      // The bottom of the same order; never a symbol already held long.
      const shorts = pick(valid, n, Math.min(topN, n - longs), below, picked);
      for (let i = 0; i < shorts; i += 1) target[picked[i]] = leg.short;
    }
    const end = Math.min(t + every, bars);
    for (let s = 0; s < symbols; s += 1) {
      const value = target[s];
      if (value === 0) continue; // columns start at 0: only held symbols are written
      const column = weights[s];
      for (let bar = t; bar < end; bar += 1) column[bar] = value;
    }
  }
  const rebalance = changeFlags(weights, bars);
  for (const t of schedule) rebalance[t] = REBALANCE_ALL;
  return { weights, rebalance };
}
