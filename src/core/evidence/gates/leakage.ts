import { type PriceFrame, sliceFrame } from '../../backtest/data/frame';
import { computeTargets } from '../../backtest/signals';
import type { TargetWeights } from '../../backtest/signals/types';
import type { Strategy } from '../../backtest/strategy/schema';
import type { GateConfig } from './config';
import type { GateResult } from './types';

/** Bars at which the data is cut: k points spread evenly over the run (never the first two bars). */
export function cutPoints(bars: number, k: number): number[] {
  const cuts = new Set<number>();
  for (let i = 1; i <= k; i += 1) cuts.add(Math.max(2, Math.round((bars * i) / (k + 1))));
  return [...cuts].filter((cut) => cut < bars);
}

/** Problems with the frame itself: order, uniqueness, alignment, finite positive prices. */
export function dataProblems(frame: PriceFrame): string[] {
  const problems: string[] = [];
  const bars = frame.times.length;
  for (let bar = 1; bar < bars; bar += 1) {
    if (!(frame.times[bar] > frame.times[bar - 1])) {
      problems.push(`bar ${bar} (${new Date(frame.times[bar]).toISOString()}) does not come after the bar before it`);
      break;
    }
  }
  frame.symbols.forEach((symbol, s) => {
    for (const [field, columns] of [['open', frame.open], ['high', frame.high], ['low', frame.low], ['close', frame.close]] as const) {
      const column = columns[s];
      if (column.length !== bars) {
        problems.push(`${symbol} ${field} has ${column.length} bars, the calendar ${bars}`);
        continue;
      }
      for (let bar = 0; bar < bars; bar += 1) {
        if (!(column[bar] > 0) || !Number.isFinite(column[bar])) {
          problems.push(`${symbol} ${field} at bar ${bar} is ${column[bar]}`);
          break;
        }
      }
    }
  });
  return problems;
}

/** First bar before `cut` where truncated targets differ from the full-data targets. */
function firstDifference(full: TargetWeights, truncated: TargetWeights, cut: number, symbols: readonly string[]): string | undefined {
  for (let s = 0; s < symbols.length; s += 1) {
    for (let bar = 0; bar < cut; bar += 1) {
      const a = full.weights[s][bar];
      const b = truncated.weights[s][bar];
      if (Math.abs(a - b) > 1e-12 * Math.max(1, Math.abs(a))) return `${symbols[s]} at bar ${bar}: ${b} with data to bar ${cut - 1}, ${a} with all data`;
    }
  }
  for (let bar = 0; bar < cut; bar += 1) {
    if (full.rebalance[bar] !== truncated.rebalance[bar]) return `the rebalance flag at bar ${bar}`;
  }
  return undefined;
}

/**
 * Pooled correlation of each target with the return of the bar after it, close[t+1]/close[t] − 1:
 * a return the signal cannot know at t. Honest signals sit near zero; one built from future
 * prices (a precomputed weights file, say) shows up here even though truncation cannot catch it.
 */
export function futureReturnCorrelation(frame: PriceFrame, targets: TargetWeights): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let s = 0; s < frame.symbols.length; s += 1) {
    const close = frame.close[s];
    const weights = targets.weights[s];
    for (let bar = 0; bar + 1 < close.length; bar += 1) {
      const x = weights[bar];
      const y = close[bar + 1] / close[bar] - 1;
      n += 1;
      sx += x;
      sy += y;
      sxx += x * x;
      syy += y * y;
      sxy += x * y;
    }
  }
  if (n < 3) return 0;
  const cov = sxy - (sx * sy) / n;
  const vx = sxx - (sx * sx) / n;
  const vy = syy - (sy * sy) / n;
  return vx > 1e-18 && vy > 1e-18 ? cov / Math.sqrt(vx * vy) : 0;
}

/** The rule: clean data, identical targets at every cut, and no correlation with the return to come. */
export function judgeLeakage(found: { dataProblems: number; truncationLeaks: number; correlation: number }, config: GateConfig['leakage']): boolean {
  return found.dataProblems === 0 && found.truncationLeaks === 0 && found.correlation <= config.max_future_correlation;
}

export function leakageGate(
  strategy: Strategy,
  frame: PriceFrame,
  strategyDir: string,
  full: TargetWeights,
  config: GateConfig['leakage'],
): GateResult {
  const data = dataProblems(frame);
  const cuts = cutPoints(frame.times.length, config.cut_points);
  const truncation: { cut: number; identical: boolean; difference?: string }[] = [];
  for (const cut of cuts) {
    const truncated = computeTargets(strategy, { frame: sliceFrame(frame, 0, cut), strategyDir });
    const difference = firstDifference(full, truncated, cut, frame.symbols);
    truncation.push(difference ? { cut, identical: false, difference } : { cut, identical: true });
  }
  const correlation = futureReturnCorrelation(frame, full);
  const leaks = truncation.filter((t) => !t.identical);
  const correlated = correlation > config.max_future_correlation;
  const passed = judgeLeakage({ dataProblems: data.length, truncationLeaks: leaks.length, correlation }, config);
  const reasons: string[] = [];
  if (data.length > 0) reasons.push(`the data fails alignment checks (${data[0]})`);
  if (leaks.length > 0) reasons.push(`targets change when later data is removed (${leaks[0].difference})`);
  if (correlated) reasons.push(`targets correlate ${correlation.toFixed(2)} with the next bar's return: they look computed from future prices`);
  return {
    name: 'leakage',
    passed,
    value: correlation,
    threshold: config.max_future_correlation,
    summary: passed ? `targets identical at ${cuts.length} cut points; future-return correlation ${correlation.toFixed(3)}` : reasons.join('; '),
    details: { cuts: truncation, data_problems: data, future_return_correlation: correlation },
  };
}
