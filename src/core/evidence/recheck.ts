import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadPrices } from '../backtest/data/load';
import type { PriceFrame } from '../backtest/data/frame';
import { quickEngine } from '../backtest/engines/quick';
import { selectPreciseEngine } from '../backtest/engines/select';
import { METRIC_NAMES, type Metrics } from '../backtest/metrics';
import { backtest } from '../backtest/run';
import { computeTargets } from '../backtest/signals';
import { type LoadedStrategy, parseStrategy } from '../backtest/strategy/load';
import { isQraftError } from '../shared/errors';
import { canaryWindow, runWindow } from './canary';
import type { GateConfig } from './gates/config';
import { costSensitivityGate } from './gates/costSensitivity';
import { leakageGate } from './gates/leakage';
import type { CanaryReport, PrecheckReport, RunInputs } from './reports/schema';

/** How much of a report approval runs again: nothing, the quick channel, or the precise one too. */
export const RECHECK_MODES = ['none', 'quick', 'full'] as const;
export type RecheckMode = (typeof RECHECK_MODES)[number];

/** Re-run numbers must equal the recorded ones to this (relative above 1, absolute below). */
export const RECHECK_TOLERANCE = 1e-9;

export type RecheckCode = 'not_rerunnable' | 'prices_missing' | 'prices_unreadable' | 'fingerprint_mismatch' | 'numbers_differ';

export interface RecheckProblem {
  code: RecheckCode;
  /** A clause that completes "the precheck report <hash> …" or "the canary report <hash> …". */
  message: string;
}

export interface RecheckOptions {
  /** Where the recorded price file (or folder) is now, when it moved. */
  pricesPath?: string;
  /** Interpreter for a NautilusTrader re-run (`full`). */
  python?: string;
  signal?: AbortSignal;
}

function same(actual: number, recorded: number): boolean {
  return Math.abs(actual - recorded) <= RECHECK_TOLERANCE * Math.max(1, Math.abs(recorded));
}

/** Names of the metrics whose re-run value differs from the recorded one. */
function differing(actual: Metrics, recorded: Metrics): string[] {
  return METRIC_NAMES.filter((name) => !same(actual[name], recorded[name]));
}

interface Rerun {
  strategy: LoadedStrategy;
  frame: PriceFrame;
}

/** Loads the candidate's strategy and the recorded prices, checking the data fingerprint. */
function prepare(
  report: { inputs?: RunInputs; data: { fingerprint: string }; strategy: { path: string } },
  payload: unknown,
  options: RecheckOptions,
  window: boolean,
): Rerun | RecheckProblem {
  const inputs = report.inputs;
  if (!inputs) return { code: 'not_rerunnable', message: 'does not record the price file it ran on, so it cannot be run again' };
  const prices = options.pricesPath ?? inputs.prices;
  if (!existsSync(prices)) return { code: 'prices_missing', message: `ran on ${prices}, which is not there` };
  let strategy: LoadedStrategy;
  let frame: PriceFrame;
  try {
    strategy = parseStrategy(payload, 'candidate payload', dirname(report.strategy.path));
    frame = loadPrices(prices, { universe: strategy.strategy.universe, symbol: inputs.symbol, ...(window ? { start: inputs.start, end: inputs.end } : {}) });
  } catch (err) {
    if (!isQraftError(err)) throw err;
    return { code: 'prices_unreadable', message: `cannot be run again: ${err.message.replace(/\.$/, '')}` };
  }
  if (frame.source.fingerprint !== report.data.fingerprint) {
    return { code: 'fingerprint_mismatch', message: `ran on data with fingerprint ${report.data.fingerprint.slice(0, 12)}, but ${prices} now has ${frame.source.fingerprint.slice(0, 12)}` };
  }
  return { strategy, frame };
}

function gateDetails(report: PrecheckReport, name: string): Record<string, unknown> | undefined {
  return report.gates.find((gate) => gate.name === name)?.details;
}

/**
 * Runs the precheck's quick channel (and its quick-side gates: cost_sensitivity, leakage) again on
 * the recorded price files with the candidate's own payload; `full` also re-runs the precise engine.
 * Returns what differs from the report; empty when it reproduces.
 */
export async function recheckPrecheck(report: PrecheckReport, payload: unknown, mode: Exclude<RecheckMode, 'none'>, options: RecheckOptions = {}): Promise<RecheckProblem[]> {
  const prepared = prepare(report, payload, options, true);
  if ('code' in prepared) return [prepared];
  const { strategy, frame } = prepared;
  const targets = computeTargets(strategy.strategy, { frame, strategyDir: strategy.dir });
  const quick = await backtest(strategy.strategy, frame, targets, quickEngine, report.cash, { signal: options.signal });
  const problems: string[] = [];
  const quickDiff = differing(quick.metrics, report.quick.metrics);
  if (quickDiff.length > 0) problems.push(`the quick engine's ${quickDiff.join(', ')}`);
  // The consistency gate's own record of the quick side must be the same numbers.
  const recordedQuick = (gateDetails(report, 'consistency')?.metrics as { metric: keyof Metrics; quick: number }[] | undefined) ?? [];
  if (recordedQuick.some((m) => typeof m.quick !== 'number' || !same(quick.metrics[m.metric] ?? Number.NaN, m.quick))) problems.push('the consistency gate\'s quick figures');

  const cost = report.gates.find((gate) => gate.name === 'cost_sensitivity');
  // A ranking made on the precise engine is not re-run here (the recheck runs the quick engine only).
  if (cost && cost.details.engine !== 'precise') {
    const rankings = (cost.details.rankings as { multiplier: number }[] | undefined) ?? [];
    const multipliers = rankings.map((ranking) => ranking.multiplier);
    if (multipliers.length >= 2) {
      const tie = (cost.details.tie_tolerance as number | undefined) ?? 0;
      const rerun = await costSensitivityGate(strategy.strategy, frame, { strategyDir: strategy.dir }, report.cash, { min_overlap: cost.threshold, multipliers, tie_tolerance: tie, max_variants: Number.POSITIVE_INFINITY, engine: 'quick' });
      if (!same(rerun.value, cost.value)) problems.push('the cost_sensitivity overlap');
    } else problems.push('the cost_sensitivity gate (it records no cost levels)');
  }
  const leakage = report.gates.find((gate) => gate.name === 'leakage');
  if (leakage) {
    const recorded = leakage.details as { cuts?: { identical: boolean }[]; statistic?: { significance?: number; min_correlation_kept?: number }; delay?: { strong_sharpe?: number; min_retained?: number; delayed_sharpe?: number } };
    const config: GateConfig['leakage'] = {
      cut_points: Math.max(1, Math.min(50, recorded.cuts?.length ?? 1)),
      max_future_correlation: leakage.threshold,
      significance: recorded.statistic?.significance ?? 0.001,
      min_correlation_kept: recorded.statistic?.min_correlation_kept ?? 0.15,
      delay_strong_sharpe: recorded.delay?.strong_sharpe ?? 2,
      delay_min_retained: recorded.delay?.min_retained ?? 0.25,
    };
    const rerun = await leakageGate({ strategy: strategy.strategy, frame, strategyDir: strategy.dir, targets, quick, cash: report.cash }, config);
    const leaks = (details: { cuts?: { identical: boolean }[] }) => (details.cuts ?? []).filter((cut) => !cut.identical).length;
    const delayed = (rerun.details as typeof recorded).delay?.delayed_sharpe ?? 0;
    if (!same(rerun.value, leakage.value) || leaks(rerun.details) !== leaks(recorded) || !same(delayed, recorded.delay?.delayed_sharpe ?? Number.NaN)) problems.push('the leakage gate');
  }
  if (mode === 'full') {
    const precise = await selectPreciseEngine(report.precise.engine === 'nautilus' ? 'nautilus' : 'builtin', { python: options.python, signal: options.signal });
    const run = await backtest(strategy.strategy, frame, targets, precise.engine, report.cash, { signal: options.signal });
    const preciseDiff = differing(run.metrics, report.precise.metrics);
    if (preciseDiff.length > 0) problems.push(`the ${report.precise.engine} engine's ${preciseDiff.join(', ')}`);
  }
  return problems.length === 0 ? [] : [{ code: 'numbers_differ', message: `does not reproduce: run again, ${problems.join('; ')} differ` }];
}

/**
 * Runs the canary's candidate (and its baseline, whose payload the caller provides from the pool)
 * again over the recorded window.
 */
export async function recheckCanary(report: CanaryReport, payload: unknown, baselinePayload: unknown | undefined, options: RecheckOptions = {}): Promise<RecheckProblem[]> {
  const prepared = prepare(report, payload, options, false);
  if ('code' in prepared) return [prepared];
  const { strategy, frame } = prepared;
  // The recorded window's first and last bar bound it exactly; the share of bars is not used.
  const window = canaryWindow(frame, { window: 1 }, report.window.start, report.window.end);
  const problems: string[] = [];
  const candidate = await runWindow(strategy, frame, window, report.cash);
  const candidateDiff = differing(candidate.result.metrics, report.candidate.metrics);
  if (candidateDiff.length > 0) problems.push(`the candidate's ${candidateDiff.join(', ')}`);
  if (report.baseline) {
    if (baselinePayload === undefined) problems.push('the baseline (its strategy is not in the pool)');
    else {
      try {
        const baseline = parseStrategy(baselinePayload, 'baseline payload', strategy.dir);
        // CURRENT usually trades the same universe: the frame already loaded serves it too.
        const sameUniverse = baseline.strategy.universe.join('\u0000') === strategy.strategy.universe.join('\u0000');
        const baselineFrame = sameUniverse ? frame : loadPrices(options.pricesPath ?? (report.inputs as RunInputs).prices, { universe: baseline.strategy.universe, symbol: report.inputs?.symbol });
        const run = await runWindow(baseline, baselineFrame, window, report.cash);
        const baselineDiff = differing(run.result.metrics, report.baseline.metrics);
        if (baselineDiff.length > 0) problems.push(`the baseline's ${baselineDiff.join(', ')}`);
      } catch (err) {
        if (!isQraftError(err)) throw err;
        problems.push(`the baseline (${err.message.replace(/\.$/, '')})`);
      }
    }
  }
  return problems.length === 0 ? [] : [{ code: 'numbers_differ', message: `does not reproduce: run again, ${problems.join('; ')} differ` }];
}
