import type { BacktestResult } from '../../backtest/run';
import type { GateConfig } from './config';
import { type GateResult, relativeDifference } from './types';

export const COMPARED = ['total_return', 'ann_vol', 'sharpe', 'max_drawdown'] as const;

export interface TradeComparison {
  quick_fills: number;
  precise_fills: number;
  matched: number;
  unmatched: number;
  /** Largest |quick price − precise price| / precise price over matched trades. */
  largest_price_difference: number;
  /** Largest difference in bars between matched trades. */
  largest_time_difference_bars: number;
}

/**
 * Pairs the k-th quick fill with the k-th precise fill of the same symbol and side: the engines
 * should trade the same things in the same order, whatever their sizes.
 */
export function compareTrades(quick: BacktestResult, precise: BacktestResult): TradeComparison {
  const sequences = (run: BacktestResult) => {
    const bySymbolSide = new Map<string, number[]>();
    for (let index = 0; index < run.fills.length; index += 1) {
      const key = `${run.fills.symbol[index]}:${run.fills.quantity[index] > 0 ? 'buy' : 'sell'}`;
      const list = bySymbolSide.get(key) ?? [];
      list.push(index);
      bySymbolSide.set(key, list);
    }
    return bySymbolSide;
  };
  const quickSeq = sequences(quick);
  const preciseSeq = sequences(precise);
  let matched = 0;
  let largestPrice = 0;
  let largestTime = 0;
  for (const [key, quickList] of quickSeq) {
    const preciseList = preciseSeq.get(key) ?? [];
    const pairs = Math.min(quickList.length, preciseList.length);
    for (let k = 0; k < pairs; k += 1) {
      const q = quickList[k];
      const p = preciseList[k];
      largestPrice = Math.max(largestPrice, relativeDifference(quick.fills.price[q], precise.fills.price[p]));
      largestTime = Math.max(largestTime, Math.abs(quick.fills.bar[q] - precise.fills.bar[p]));
    }
    matched += pairs;
  }
  return {
    quick_fills: quick.fills.length,
    precise_fills: precise.fills.length,
    matched,
    unmatched: quick.fills.length + precise.fills.length - 2 * matched,
    largest_price_difference: largestPrice,
    largest_time_difference_bars: largestTime,
  };
}

export interface ComparedMetric {
  metric: (typeof COMPARED)[number];
  quick: number;
  precise: number;
}

/** The rule: every compared metric within the tolerance, relative to max(|precise|, its floor). */
export function judgeConsistency(compared: readonly ComparedMetric[], config: GateConfig['consistency']) {
  const metrics = compared.map((m) => {
    const difference = relativeDifference(m.quick, m.precise, config.floors[m.metric]);
    return { ...m, relative_difference: difference, passed: difference < config.tolerance };
  });
  const covered = COMPARED.every((name) => metrics.some((m) => m.metric === name));
  const worst = metrics.reduce((a, b) => (b.relative_difference > a.relative_difference ? b : a), metrics[0]);
  return { metrics, worst, passed: covered && metrics.every((m) => m.passed) };
}

/** Quick and precise must agree on the headline metrics within the tolerance (with floors near zero). */
export function consistencyGate(quick: BacktestResult, precise: BacktestResult, config: GateConfig['consistency']): GateResult {
  const { metrics, worst, passed } = judgeConsistency(
    COMPARED.map((name) => ({ metric: name, quick: quick.metrics[name], precise: precise.metrics[name] })),
    config,
  );
  const trades = compareTrades(quick, precise);
  return {
    name: 'consistency',
    passed,
    value: worst.relative_difference,
    threshold: config.tolerance,
    summary: passed
      ? `quick and ${precise.engine} agree: largest difference ${(worst.relative_difference * 100).toFixed(2)}% (${worst.metric})`
      : `quick and ${precise.engine} disagree on ${metrics.filter((m) => !m.passed).map((m) => m.metric).join(', ')} (largest ${(worst.relative_difference * 100).toFixed(2)}% on ${worst.metric})`,
    details: { metrics, trades },
  };
}
