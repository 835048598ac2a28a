import type { PriceFrame } from '../../src/core/backtest/data/frame';
import type { TargetWeights } from '../../src/core/backtest/signals/types';
import { seededRandom } from '../../src/core/evidence/stats';

const DAY = 86_400_000;

/** A frame from per-symbol closes (and optional opens); high/low bracket open and close. */
export function frameFrom(closes: Record<string, number[]>, opens?: Record<string, number[]>): PriceFrame {
  const symbols = Object.keys(closes);
  const bars = closes[symbols[0]].length;
  const close = symbols.map((s) => Float64Array.from(closes[s]));
  const open = symbols.map((s, i) => Float64Array.from(opens?.[s] ?? close[i]));
  return {
    symbols,
    times: Float64Array.from({ length: bars }, (_, bar) => Date.UTC(2024, 0, 1) + bar * DAY),
    open,
    close,
    high: symbols.map((_, i) => close[i].map((c, bar) => Math.max(c, open[i][bar]))),
    low: symbols.map((_, i) => close[i].map((c, bar) => Math.min(c, open[i][bar]))),
    volume: symbols.map(() => new Float64Array(bars).fill(1e6)),
    source: { paths: ['(test)'], fingerprint: '0'.repeat(64), rows: {}, dropped: {} },
  };
}

/** Targets from per-symbol weight rows; rebalance where the vector changes (as signals do). */
export function targetsFrom(weights: number[][]): TargetWeights {
  const columns = weights.map((row) => Float64Array.from(row));
  const bars = columns[0].length;
  const rebalance = new Uint8Array(bars);
  for (let bar = 0; bar < bars; bar += 1) {
    rebalance[bar] = columns.some((column) => column[bar] !== (bar === 0 ? 0 : column[bar - 1])) ? 1 : 0;
  }
  return { weights: columns, rebalance };
}

/** Deterministic pseudo-random numbers (mulberry32), so "random" tests are reproducible: the core's own. */
export { seededRandom };

/** Random-walk closes for `symbols` × `bars`, with opens a small gap from the previous close. */
export function randomFrame(symbols: number, bars: number, seed = 7): PriceFrame {
  const random = seededRandom(seed);
  const closes: Record<string, number[]> = {};
  const opens: Record<string, number[]> = {};
  for (let s = 0; s < symbols; s += 1) {
    let price = 50 + 100 * random();
    closes[`S${s}`] = [];
    opens[`S${s}`] = [];
    for (let bar = 0; bar < bars; bar += 1) {
      opens[`S${s}`].push(price * (1 + (random() - 0.5) * 0.004));
      price *= 1 + (random() - 0.5) * 0.04;
      closes[`S${s}`].push(price);
    }
  }
  return frameFrom(closes, opens);
}
