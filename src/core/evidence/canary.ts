import { backtest } from '../backtest/run';
import { type PriceFrame, sliceFrame } from '../backtest/data/frame';
import { firstIndexAfter, firstIndexAtOrAfter } from '../backtest/data/timeIndex';
import { quickEngine } from '../backtest/engines/quick';
import { InputError, throwIfAborted } from '../shared/errors';
import { parseWindow } from '../shared/time';
import type { CanaryConfig } from './gates/config';
import { METRIC_NAMES, type Metrics } from '../backtest/metrics';
import { dataSummary, engineSummary } from './precheck';
import type { CanaryReport, CanaryVerdict } from './reports/schema';
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
  const targets = computeTargets(loaded.strategy, { frame: history, strategyDir: loaded.dir });
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
}

const percent = (value: number) => `${(value * 100).toFixed(2)}%`;

/** pass (promote), marginal (a person decides) or fail (do not promote), with the reasons. */
export function judgeCanary(candidate: Metrics, baseline: Metrics | null, config: CanaryConfig): Judgement {
  const fails: string[] = [];
  const marginal: string[] = [];
  if (candidate.max_drawdown > config.max_drawdown) fails.push(`drawdown ${percent(candidate.max_drawdown)} exceeds the ${percent(config.max_drawdown)} limit`);
  else if (candidate.max_drawdown > config.max_drawdown * config.marginal_share) marginal.push(`drawdown ${percent(candidate.max_drawdown)} is close to the ${percent(config.max_drawdown)} limit`);
  if (baseline) {
    const delta = candidate.total_return - baseline.total_return;
    if (delta < config.min_return_vs_baseline) fails.push(`return is ${percent(delta)} against CURRENT, below the ${percent(config.min_return_vs_baseline)} floor`);
    else if (delta < config.min_return_vs_baseline + config.marginal_band) marginal.push(`return is ${percent(delta)} against CURRENT, within ${percent(config.marginal_band)} of the floor`);
  }
  if (fails.length > 0) return { verdict: 'fail', reasons: [...fails, ...marginal] };
  if (marginal.length > 0) return { verdict: 'marginal', reasons: marginal };
  return { verdict: 'pass', reasons: [baseline ? 'within every limit' : 'within the drawdown limit (no CURRENT release to compare with)'] };
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
  let baselineNote: string | undefined;
  if ('note' in request.baseline) baselineNote = request.baseline.note;
  else {
    throwIfAborted(signal, 'The canary');
    const begin = Date.now();
    const run = await runWindow(request.baseline.strategy, request.baseline.frame, window, cash);
    timings.baseline = Date.now() - begin;
    baselineMetrics = run.result.metrics;
    const { name, version } = request.baseline.strategy.strategy;
    baseline = { ...engineSummary(run.result, run.frame, cash), manifest_hash: request.baseline.manifest_hash, strategy: { name, version } };
  }
  const judgement = judgeCanary(candidate.result.metrics, baselineMetrics, config);
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
    timings_ms: timings,
  };
}
