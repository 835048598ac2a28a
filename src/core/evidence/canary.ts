import { backtest } from '../backtest/run';
import { type PriceFrame, sliceFrame } from '../backtest/data/frame';
import { firstIndexAfter, firstIndexAtOrAfter } from '../backtest/data/timeIndex';
import { quickEngine } from '../backtest/engines/quick';
import { InputError, throwIfAborted } from '../shared/errors';
import { parseWindow } from '../shared/time';
import type { CanaryConfig } from './gates/config';
import { METRIC_NAMES, type Metrics } from '../backtest/metrics';
import { dataSummary, engineSummary } from './precheck';
import type { CanaryCheckSchema, CanaryReport, CanaryStatistics, CanaryVerdict } from './reports/schema';
import { bootstrapSharpeDifference, mannWhitneyU } from './stats';
import type { z } from 'zod';
import { barsPerYear } from '../backtest/strategy/schema';
import { computeTargets } from '../backtest/signals';
import { REBALANCE_ALL, type TargetWeights } from '../backtest/signals/types';
import type { LoadedStrategy } from '../backtest/strategy/load';

export interface CanaryBaseline {
  strategy: LoadedStrategy;
  manifest_hash: string;
  frame: PriceFrame;
}

export interface CanaryRequest {
  strategy: LoadedStrategy;
  frame: PriceFrame;
  /** ISO dates or datetimes; without them the last `config.window` share of bars is used. */
  start?: string;
  end?: string;
  config: CanaryConfig;
  /** CURRENT's strategy on the same prices, or why there is none. */
  baseline: CanaryBaseline | { note: string };
  signal?: AbortSignal;
  now?: () => Date;
}

export interface CanaryWindow {
  start: number;
  end: number;
}

/**
 * The window as timestamps: the given bounds (a bare end date covers that whole day, as for the
 * precheck's window), else the most recent share of the bars up to the end.
 */
export function canaryWindow(frame: PriceFrame, config: Pick<CanaryConfig, 'window'>, start?: string, end?: string): CanaryWindow {
  const times = frame.times;
  const bars = times.length;
  const given = parseWindow(start, end);
  const endMs = given && given.end !== undefined ? given.endMs : times[bars - 1];
  let startMs: number;
  if (given && given.start !== undefined) startMs = given.startMs;
  else {
    const endIndex = firstIndexAfter(times, endMs) - 1;
    const count = Math.max(2, Math.round(bars * config.window));
    startMs = times[Math.max(0, endIndex - count + 1)];
  }
  if (startMs > endMs) throw new InputError(`The canary window starts (${new Date(startMs).toISOString()}) after it ends (${new Date(endMs).toISOString()}).`);
  return { start: startMs, end: endMs };
}

/**
 * Runs the quick engine over the window. Signals see all data up to the window's end (so their
 * indicators are warm), and the first window bar always rebalances, so the canary starts in the
 * position the strategy holds then, from cash.
 */
export async function runWindow(loaded: LoadedStrategy, frame: PriceFrame, window: CanaryWindow, cash: number) {
  const endIndex = firstIndexAfter(frame.times, window.end) - 1;
  const startIndex = firstIndexAtOrAfter(frame.times, window.start);
  if (endIndex - startIndex + 1 < 2) {
    throw new InputError(`The canary window ${new Date(window.start).toISOString().slice(0, 10)} .. ${new Date(window.end).toISOString().slice(0, 10)} has fewer than 2 bars of ${frame.symbols.join(', ')}.`);
  }
  const history = sliceFrame(frame, 0, endIndex + 1);
  const targets = computeTargets(loaded.strategy, { frame: history, strategyDir: loaded.dir, workspaceRoot: loaded.root });
  const windowFrame = sliceFrame(frame, startIndex, endIndex + 1);
  const rebalance = targets.rebalance.slice(startIndex, endIndex + 1);
  rebalance[0] = REBALANCE_ALL;
  const windowTargets: TargetWeights = { weights: targets.weights.map((column) => column.subarray(startIndex, endIndex + 1)), rebalance };
  const result = await backtest(loaded.strategy, windowFrame, windowTargets, quickEngine, cash);
  return { result, frame: windowFrame };
}

export interface Judgement {
  verdict: CanaryVerdict;
  reasons: string[];
  /** 0–100 from the checks against CURRENT; null without a baseline. */
  score: number | null;
  checks: CanaryCheck[];
}

export type CanaryCheck = z.output<typeof CanaryCheckSchema>;

const percent = (value: number) => `${(value * 100).toFixed(2)}%`;

/** Per-bar returns of an equity curve: e[t] / e[t−1] − 1. */
export function barReturns(equity: ArrayLike<number>): Float64Array {
  const returns = new Float64Array(Math.max(0, equity.length - 1));
  for (let t = 1; t < equity.length; t += 1) returns[t - 1] = equity[t - 1] > 0 ? equity[t] / equity[t - 1] - 1 : 0;
  return returns;
}

/** The candidate's per-bar returns against CURRENT's over the same bars: Mann–Whitney U and the bootstrap interval of the Sharpe difference. */
export function canaryStatistics(candidateEquity: ArrayLike<number>, baselineEquity: ArrayLike<number>, periodsPerYear: number, config: Pick<CanaryConfig, 'confidence' | 'resamples'>): CanaryStatistics {
  const candidate = barReturns(candidateEquity);
  const baseline = barReturns(baselineEquity);
  return {
    mann_whitney: mannWhitneyU(candidate, baseline),
    sharpe_difference: bootstrapSharpeDifference(candidate, baseline, periodsPerYear, { confidence: config.confidence, resamples: config.resamples }),
  };
}

/**
 * The verdict as Kayenta judges a canary against its baseline: hard limits first (a drawdown over
 * the limit fails, one close to it is at most marginal); then, with a CURRENT to compare with,
 * three checks each scored 0–1 — the returns' distribution (Mann–Whitney U: not significantly
 * lower), the Sharpe difference (its interval does not lie wholly below 0) and the total return
 * against the floor (half within the marginal band) — folded into a 0–100 score cut at
 * `pass_score` and `marginal_score`. Without CURRENT the limits alone decide.
 */
export function judgeCanary(candidate: Metrics, baseline: { metrics: Metrics; statistics: CanaryStatistics } | null, config: CanaryConfig): Judgement {
  const reasons: string[] = [];
  const overLimit = candidate.max_drawdown > config.max_drawdown;
  const nearLimit = !overLimit && candidate.max_drawdown > config.max_drawdown * config.marginal_share;
  if (overLimit) reasons.push(`drawdown ${percent(candidate.max_drawdown)} exceeds the ${percent(config.max_drawdown)} limit`);
  if (nearLimit) reasons.push(`drawdown ${percent(candidate.max_drawdown)} is close to the ${percent(config.max_drawdown)} limit`);
  if (!baseline) {
    const verdict: CanaryVerdict = overLimit ? 'fail' : nearLimit ? 'marginal' : 'pass';
    if (verdict === 'pass') reasons.push('within the drawdown limit (no CURRENT release to compare with)');
    return { verdict, reasons, score: null, checks: [] };
  }
  const { mann_whitney: mw, sharpe_difference: ci } = baseline.statistics;
  const delta = candidate.total_return - baseline.metrics.total_return;
  const checks: CanaryCheck[] = [
    {
      name: 'returns_distribution',
      score: mw.p_less < config.significance ? 0 : 1,
      detail: `Mann–Whitney U = ${mw.u.toFixed(0)} (n = ${mw.n1}, ${mw.n2}), p(candidate lower) = ${mw.p_less.toPrecision(3)} against ${config.significance}`,
    },
    {
      name: 'sharpe_difference',
      score: ci.high < 0 ? 0 : 1,
      detail: `Sharpe difference ${ci.estimate.toFixed(3)}, ${(ci.confidence * 100).toFixed(0)}% interval ${ci.low.toFixed(3)} .. ${ci.high.toFixed(3)} (${ci.resamples} paired resamples)`,
    },
    {
      name: 'total_return',
      score: delta < config.min_return_vs_baseline ? 0 : delta < config.min_return_vs_baseline + config.marginal_band ? 0.5 : 1,
      detail: `return ${percent(delta)} against CURRENT, floor ${percent(config.min_return_vs_baseline)}`,
    },
  ];
  const score = Math.round((100 * checks.reduce((sum, check) => sum + check.score, 0)) / checks.length);
  let verdict: CanaryVerdict = score >= config.pass_score ? 'pass' : score >= config.marginal_score ? 'marginal' : 'fail';
  if (overLimit) verdict = 'fail';
  else if (nearLimit && verdict === 'pass') verdict = 'marginal';
  // The limits first (they decide alone when crossed), then the score and the checks that fell short.
  const shortfalls = checks.filter((check) => check.score < 1).map((check) => `${check.name.replace('_', ' ')}: ${check.detail}`);
  if (verdict === 'pass' && reasons.length === 0 && shortfalls.length === 0) reasons.push(`score ${score}: every check against CURRENT passes`);
  else reasons.push(`score ${score} of 100 (pass from ${config.pass_score}, marginal from ${config.marginal_score})`, ...shortfalls);
  return { verdict, reasons, score, checks };
}

export async function runCanary(request: CanaryRequest): Promise<CanaryReport> {
  const { strategy: loaded, frame, config, signal } = request;
  const started = Date.now();
  const cash = config.base_cash * config.cash_ratio;
  const window = canaryWindow(frame, config, request.start, request.end);
  throwIfAborted(signal, 'The canary');
  const candidate = await runWindow(loaded, frame, window, cash);
  const timings: Record<string, number> = { candidate: Date.now() - started };
  let baseline: CanaryReport['baseline'] = null;
  let baselineMetrics: Metrics | null = null;
  let statistics: CanaryStatistics | null = null;
  let baselineNote: string | undefined;
  if ('note' in request.baseline) baselineNote = request.baseline.note;
  else {
    throwIfAborted(signal, 'The canary');
    const begin = Date.now();
    const run = await runWindow(request.baseline.strategy, request.baseline.frame, window, cash);
    timings.baseline = Date.now() - begin;
    baselineMetrics = run.result.metrics;
    statistics = canaryStatistics(candidate.result.ledger.equity, run.result.ledger.equity, barsPerYear(loaded.strategy), config);
    const { name, version } = request.baseline.strategy.strategy;
    baseline = { ...engineSummary(run.result, run.frame, cash), manifest_hash: request.baseline.manifest_hash, strategy: { name, version } };
  }
  const judgement = judgeCanary(candidate.result.metrics, baselineMetrics && statistics ? { metrics: baselineMetrics, statistics } : null, config);
  const deltas = baselineMetrics
    ? Object.fromEntries(METRIC_NAMES.map((name) => [name, candidate.result.metrics[name] - (baselineMetrics as Metrics)[name]]))
    : null;
  timings.total = Date.now() - started;
  const { strategy } = loaded;
  return {
    kind: 'qraft.canary',
    verdict: judgement.verdict,
    reasons: judgement.reasons,
    created_at: (request.now ?? (() => new Date()))().toISOString(),
    strategy: { name: strategy.name, version: strategy.version, path: loaded.path },
    strategy_hash: loaded.hash,
    data: dataSummary(frame),
    window: { start: new Date(candidate.frame.times[0]).toISOString(), end: new Date(candidate.frame.times[candidate.frame.times.length - 1]).toISOString(), bars: candidate.frame.times.length },
    cash,
    limits: { max_drawdown: config.max_drawdown, min_return_vs_baseline: config.min_return_vs_baseline, marginal_band: config.marginal_band, marginal_share: config.marginal_share },
    candidate: engineSummary(candidate.result, candidate.frame, cash),
    baseline,
    ...(baselineNote ? { baseline_note: baselineNote } : {}),
    deltas,
    statistics,
    checks: judgement.checks,
    score: judgement.score,
    timings_ms: timings,
  };
}
