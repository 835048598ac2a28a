import { type BacktestResult, backtest } from '../backtest/run';
import type { PriceFrame } from '../backtest/data/frame';
import { quickEngine } from '../backtest/engines/quick';
import type { SelectedEngine } from '../backtest/engines/select';
import type { Engine } from '../backtest/engines/types';
import { InputError, throwIfAborted } from '../shared/errors';
import { gridSize } from './gates/variants';
import type { GateConfig } from './gates/config';
import { coldStartGate } from './gates/coldStart';
import { consistencyGate } from './gates/consistency';
import { costSensitivityGate } from './gates/costSensitivity';
import { leakageGate } from './gates/leakage';
import { evidenceGate } from './gates/evidence';
import type { GateResult } from './gates/types';
import { drawdownSeries } from '../backtest/metrics';
import type { PrecheckReport } from './reports/schema';
import { type ChartSeries, chartSeries } from './series';
import { symbolBreakdown } from './breakdown';
import { type TargetScratch, computeTargets } from '../backtest/signals';
import type { LoadedStrategy } from '../backtest/strategy/load';

export const CHART_POINTS = 2000;

export interface PrecheckRequest {
  strategy: LoadedStrategy;
  frame: PriceFrame;
  /** The precise engine, already chosen (see engines/select.ts). */
  precise: Engine;
  /** Why that engine was chosen, when the user did not name it: the note and, when `auto` fell back to builtin, why. */
  preciseSelection?: Omit<SelectedEngine, 'engine'>;
  config: GateConfig;
  cash: number;
  signal?: AbortSignal;
  /** Called as each step starts, with the step's share of the whole run. */
  progress?: (step: string, share: number) => void;
  now?: () => Date;
}

export function dataSummary(frame: PriceFrame): PrecheckReport['data'] {
  return {
    fingerprint: frame.source.fingerprint,
    paths: frame.source.paths,
    symbols: frame.symbols,
    bars: frame.times.length,
    start: new Date(frame.times[0]).toISOString(),
    end: new Date(frame.times[frame.times.length - 1]).toISOString(),
  };
}

export function engineSummary(result: BacktestResult, frame: PriceFrame, cash: number, selection: Omit<SelectedEngine, 'engine'> = {}): PrecheckReport['quick'] {
  const series: ChartSeries = chartSeries(frame.times, result.ledger.equity, drawdownSeries(result.ledger.equity, cash), CHART_POINTS);
  return {
    engine: result.engine,
    version: result.version,
    ...(selection.note ? { note: selection.note } : {}),
    ...(selection.fallback ? { fallback: selection.fallback } : {}),
    metrics: result.metrics,
    breakdown: symbolBreakdown(frame, result.fills, result.ledger, cash),
    series,
  };
}

/**
 * The quality gate: quick vs precise (consistency), precise twice from a clean state
 * (cold_start), the parameter ranking under cost changes (cost_sensitivity) and look-ahead
 * checks (leakage). Returns the report document; saving it is the caller's choice.
 */
export async function runPrecheck(request: PrecheckRequest): Promise<PrecheckReport> {
  const { strategy: loaded, frame, precise, config, cash, signal } = request;
  const { strategy } = loaded;
  const variants = gridSize(strategy);
  if (variants > config.cost_sensitivity.max_variants) {
    throw new InputError(`${loaded.path} grid makes ${variants.toLocaleString('en-US')} variants, more than the ${config.cost_sensitivity.max_variants.toLocaleString('en-US')} allowed.`);
  }
  const timings: Record<string, number> = {};
  const started = Date.now();
  const step = async <T>(name: string, share: number, work: () => T | Promise<T>): Promise<T> => {
    throwIfAborted(signal, 'The precheck');
    request.progress?.(name, share);
    const begin = Date.now();
    const result = await work();
    timings[name] = Date.now() - begin;
    return result;
  };
  const ctx = { frame, strategyDir: loaded.dir, workspaceRoot: loaded.root };
  // One set of target columns for the gates' throw-away targets (the cost grid's variants, the leakage truncations).
  const scratch: TargetScratch = {};
  const targets = await step('signal', 0.05, () => computeTargets(strategy, ctx));
  const quick = await step('quick', 0.05, () => backtest(strategy, frame, targets, quickEngine, cash, { signal }));
  const first = await step('precise', 0.3, () => backtest(strategy, frame, targets, precise, cash, { signal }));
  const second = await step('cold_start', 0.3, () => backtest(strategy, frame, targets, precise, cash, { signal }));
  const gates: GateResult[] = [consistencyGate(quick, first, config.consistency), coldStartGate(first, second, config.cold_start)];
  gates.push(await step('cost_sensitivity', 0.2, () => costSensitivityGate(strategy, frame, { strategyDir: loaded.dir, workspaceRoot: loaded.root, scratch }, cash, config.cost_sensitivity, targets)));
  gates.push(await step('leakage', 0.1, () => leakageGate({ strategy, frame, strategyDir: loaded.dir, workspaceRoot: loaded.root, targets, quick, cash, scratch }, config.leakage)));
  gates.push(evidenceGate(strategy, frame, first, config.evidence));
  timings.total = Date.now() - started;
  return {
    kind: 'qraft.precheck',
    passed: gates.every((gate) => gate.passed),
    created_at: (request.now ?? (() => new Date()))().toISOString(),
    strategy: { name: strategy.name, version: strategy.version, path: loaded.path },
    strategy_hash: loaded.hash,
    data: dataSummary(frame),
    timing: strategy.execution.timing,
    cash,
    gates,
    quick: engineSummary(quick, frame, cash),
    precise: engineSummary(first, frame, cash, request.preciseSelection),
    timings_ms: timings,
  };
}
