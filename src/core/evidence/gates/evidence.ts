import type { PriceFrame } from '../../backtest/data/frame';
import type { BacktestResult } from '../../backtest/run';
import { signalWarmup } from '../../backtest/signals';
import { type Strategy, barsPerYear } from '../../backtest/strategy/schema';
import type { GateConfig } from './config';
import type { GateResult } from './types';

/** What the evidence gate measures of a precise run. */
export interface EvidenceMeasure {
  bars: number;
  warmup: number;
  /** Round trips (the `trades` metric). */
  round_trips: number;
  /** Annualized Sharpe ratio of the precise run. */
  sharpe: number;
  /** Length of the run in years (bars / bars per year). */
  years: number;
}

/**
 * The rule: something was tested (enough bars after the signal's warm-up, enough round trips) and
 * the result is plausible (no Sharpe above `max_sharpe` over a year or more: that is what a signal
 * that sees the future looks like). Returns why not, empty when it passes.
 */
export function judgeEvidence(m: EvidenceMeasure, config: GateConfig['evidence']): string[] {
  const problems: string[] = [];
  const usable = m.bars - m.warmup;
  if (usable < config.min_bars) {
    problems.push(`only ${Math.max(0, usable)} bars after the signal's ${m.warmup}-bar warm-up (${m.bars} in all), fewer than ${config.min_bars}`);
  }
  if (m.round_trips < config.min_trades) problems.push(`${m.round_trips} round trips, fewer than ${config.min_trades}: nothing was tested`);
  if (m.years >= 1 && m.sharpe > config.max_sharpe) problems.push(`implausible: a Sharpe ratio of ${m.sharpe.toFixed(2)} over ${m.years.toFixed(1)} years is above ${config.max_sharpe}; look for look-ahead`);
  return problems;
}

/** The evidence gate: the precise run itself must be evidence of something, and believable. */
export function evidenceGate(strategy: Strategy, frame: PriceFrame, precise: BacktestResult, config: GateConfig['evidence']): GateResult {
  const bars = frame.times.length;
  const measure: EvidenceMeasure = {
    bars,
    warmup: signalWarmup(strategy.signal),
    round_trips: precise.metrics.trades,
    sharpe: precise.metrics.sharpe,
    years: bars / barsPerYear(strategy),
  };
  const problems = judgeEvidence(measure, config);
  return {
    name: 'evidence',
    passed: problems.length === 0,
    value: measure.round_trips,
    threshold: config.min_trades,
    summary:
      problems.length === 0
        ? `${bars - measure.warmup} bars after a ${measure.warmup}-bar warm-up, ${measure.round_trips} round trips, Sharpe ${measure.sharpe.toFixed(2)}`
        : problems.join('; '),
    details: { ...measure, min_bars: config.min_bars, min_trades: config.min_trades, max_sharpe: config.max_sharpe, problems },
  };
}
