import { type PriceFrame, sliceFrame } from '../../backtest/data/frame';
import { computeTargets } from '../../backtest/signals';
import type { TargetScratch, TargetWeights } from '../../backtest/signals/types';
import type { Strategy, Timing } from '../../backtest/strategy/schema';
import { quickEngine } from '../../backtest/engines/quick';
import { type BacktestResult, backtest } from '../../backtest/run';
import { type CorrelationTest, correlationFromSums } from '../stats';
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

/** Which return a position targeted at bar t earns, per timing (fills → next fill). */
export const EARNED_RETURN: Record<Timing, string> = {
  close: 'close t → close t+1',
  next_close: 'close t+1 → close t+2',
  next_open: 'open t+1 → open t+2',
};

/**
 * Pairs (target at t, the return that position earns under the timing) pooled over symbols: a
 * look-ahead signal is one that knows this return. Bars whose earned return is not in the data yet
 * (the last one or two) are left out.
 */
export function earnedReturnPairs(frame: PriceFrame, targets: TargetWeights, timing: Timing): { weights: Float64Array; returns: Float64Array } {
  const bars = frame.times.length;
  const lag = timing === 'close' ? 0 : 1;
  const usable = Math.max(0, bars - 1 - lag);
  const weights = new Float64Array(usable * frame.symbols.length);
  const returns = new Float64Array(usable * frame.symbols.length);
  let k = 0;
  for (let s = 0; s < frame.symbols.length; s += 1) {
    const price = timing === 'next_open' ? frame.open[s] : frame.close[s];
    const w = targets.weights[s];
    for (let bar = 0; bar < usable; bar += 1) {
      weights[k] = w[bar];
      returns[k] = price[bar + lag + 1] / price[bar + lag] - 1;
      k += 1;
    }
  }
  return { weights, returns };
}

/**
 * correlationTest(earnedReturnPairs(frame, targets, timing)) without the pairs (2 × symbols × bars
 * doubles): the same two passes over the same pairs in the same order, so the same result bit for
 * bit. `delay` 1 reads the targets one bar later, as delayTargets makes them (0 at the first bar).
 */
export function earnedReturnCorrelation(frame: PriceFrame, targets: TargetWeights, timing: Timing, delay: 0 | 1 = 0): CorrelationTest {
  const bars = frame.times.length;
  const lag = timing === 'close' ? 0 : 1;
  const usable = Math.max(0, bars - 1 - lag);
  const symbols = frame.symbols.length;
  const n = usable * symbols;
  const columns = timing === 'next_open' ? frame.open : frame.close;
  let sx = 0;
  let sy = 0;
  for (let s = 0; s < symbols; s += 1) {
    const price = columns[s];
    const w = targets.weights[s];
    for (let bar = 0; bar < usable; bar += 1) {
      sx += bar >= delay ? w[bar - delay] : 0;
      sy += price[bar + lag + 1] / price[bar + lag] - 1;
    }
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let s = 0; s < symbols; s += 1) {
    const price = columns[s];
    const w = targets.weights[s];
    for (let bar = 0; bar < usable; bar += 1) {
      const dx = (bar >= delay ? w[bar - delay] : 0) - mx;
      const dy = price[bar + lag + 1] / price[bar + lag] - 1 - my;
      sxx += dx * dx;
      syy += dy * dy;
      sxy += dx * dy;
    }
  }
  return correlationFromSums(n, sxx, syy, sxy);
}

/** The targets one bar later: what the strategy would hold with one more bar of delay. */
export function delayTargets(targets: TargetWeights): TargetWeights {
  const weights = targets.weights.map((column) => {
    const delayed = new Float64Array(column.length);
    delayed.set(column.subarray(0, column.length - 1), 1);
    return delayed;
  });
  const rebalance = new Uint8Array(targets.rebalance.length);
  rebalance.set(targets.rebalance.subarray(0, targets.rebalance.length - 1), 1);
  return { weights, rebalance: rebalance as TargetWeights['rebalance'] };
}

/** What the leakage gate found, as its rule reads it. */
export interface LeakageFindings {
  dataProblems: number;
  truncationLeaks: number;
  /** Correlation of targets with the return they earn, and its one-sided p-value. */
  correlation: number;
  pValue: number;
  /** The same correlation for the targets one bar later: a genuine edge keeps some, a peek none. */
  delayedCorrelation: number;
  /** Sharpe ratios without and with one more bar of delay (quick engine, same costs). */
  delay: { baseline: number; delayed: number };
}

/**
 * The rule: clean data; targets that do not change when later data is removed; no look-ahead
 * signature in the correlation of targets with the return each position will earn — significant
 * (p < `significance`) and either above `max_future_correlation` or vanishing with one more bar
 * of delay (keeping less than `min_correlation_kept` of itself; honest signals on the shared daily
 * files keep 30% or more, a peek at the future keeps nothing) — and a strong result (Sharpe above
 * `delay_strong_sharpe`) must keep `delay_min_retained` of its Sharpe with one more bar of delay.
 * Returns the problems, empty when it passes.
 */
export function leakageProblems(found: LeakageFindings, config: GateConfig['leakage']): string[] {
  const problems: string[] = [];
  if (found.dataProblems > 0) problems.push('the data fails alignment checks');
  if (found.truncationLeaks > 0) problems.push('targets change when later data is removed');
  const significant = found.correlation > 0 && found.pValue < config.significance;
  const kept = found.correlation > 0 ? found.delayedCorrelation / found.correlation : 1;
  if (significant && found.correlation > config.max_future_correlation) {
    problems.push(`targets correlate ${found.correlation.toFixed(3)} with the return they will earn (p = ${found.pValue.toExponential(1)}): they look computed from future prices`);
  } else if (significant && kept < config.min_correlation_kept) {
    problems.push(
      `targets correlate ${found.correlation.toFixed(3)} with the return they will earn (p = ${found.pValue.toExponential(1)}) but ${found.delayedCorrelation.toFixed(3)} one bar later: an edge that vanishes with a bar of delay is look-ahead`,
    );
  }
  const { baseline, delayed } = found.delay;
  if (baseline > config.delay_strong_sharpe && delayed < baseline * config.delay_min_retained) {
    problems.push(`a Sharpe of ${baseline.toFixed(2)} falls to ${delayed.toFixed(2)} with one more bar of delay: an edge that vanishes with delay is look-ahead`);
  }
  return problems;
}

export function judgeLeakage(found: LeakageFindings, config: GateConfig['leakage']): boolean {
  return leakageProblems(found, config).length === 0;
}

export interface LeakageRun {
  strategy: Strategy;
  frame: PriceFrame;
  strategyDir: string;
  workspaceRoot?: string;
  /** The full run's targets and its quick result (the delay test's baseline). */
  targets: TargetWeights;
  quick: BacktestResult;
  cash: number;
  /** Columns the truncated targets may be computed into (see SignalContext.scratch). */
  scratch?: TargetScratch;
}

export async function leakageGate(run: LeakageRun, config: GateConfig['leakage']): Promise<GateResult> {
  const { strategy, frame, strategyDir, workspaceRoot, targets: full } = run;
  // Each truncation's targets are compared and dropped before the next: they share one set of columns.
  const scratch = run.scratch ?? {};
  const data = dataProblems(frame);
  const cuts = cutPoints(frame.times.length, config.cut_points);
  const truncation: { cut: number; identical: boolean; difference?: string }[] = [];
  for (const cut of cuts) {
    const truncated = computeTargets(strategy, { frame: sliceFrame(frame, 0, cut), strategyDir, workspaceRoot, scratch });
    const difference = firstDifference(full, truncated, cut, frame.symbols);
    truncation.push(difference ? { cut, identical: false, difference } : { cut, identical: true });
  }
  const leaks = truncation.filter((t) => !t.identical);
  const timing = strategy.execution.timing;
  // The pairs are streamed, never held (they would be 2 × symbols × bars doubles).
  const test = earnedReturnCorrelation(frame, full, timing);
  const delayedTest = earnedReturnCorrelation(frame, full, timing, 1);
  const baseline = run.quick.metrics.sharpe;
  // Only a strong result is put to the delay test (the only one that needs the delayed targets); a weak one has no edge to lose.
  const delayed = baseline > config.delay_strong_sharpe ? (await backtest(strategy, frame, delayTargets(full), quickEngine, run.cash)).metrics.sharpe : baseline;
  const findings: LeakageFindings = {
    dataProblems: data.length,
    truncationLeaks: leaks.length,
    correlation: test.r,
    pValue: test.p_positive,
    delayedCorrelation: delayedTest.r,
    delay: { baseline, delayed },
  };
  const problems = leakageProblems(findings, config);
  const detail = [data.length > 0 ? `(${data[0]})` : '', leaks.length > 0 ? `(${leaks[0].difference})` : ''].filter(Boolean).join(' ');
  return {
    name: 'leakage',
    passed: problems.length === 0,
    value: test.r,
    threshold: config.max_future_correlation,
    summary:
      problems.length === 0
        ? `targets identical at ${cuts.length} cut points; correlation with the earned return (${EARNED_RETURN[timing]}) ${test.r.toFixed(3)}, p = ${test.p_positive.toPrecision(2)}`
        : problems.join('; ') + (detail ? ` ${detail}` : ''),
    details: {
      cuts: truncation,
      data_problems: data,
      statistic: {
        test: 'pearson correlation, one-sided t-test',
        lag: EARNED_RETURN[timing],
        timing,
        r: test.r,
        t: test.t,
        n: test.n,
        p_value: test.p_positive,
        significance: config.significance,
        delayed_r: delayedTest.r,
        min_correlation_kept: config.min_correlation_kept,
      },
      delay: { applies: baseline > config.delay_strong_sharpe, baseline_sharpe: baseline, delayed_sharpe: delayed, min_retained: config.delay_min_retained, strong_sharpe: config.delay_strong_sharpe },
      problems,
    },
  };
}
