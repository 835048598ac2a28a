import { setMaxListeners } from 'node:events';
import { type BacktestResult, backtest, measureRun } from '../backtest/run';
import { LocalExecutor } from '../backtest/tasks/local';
import { type EngineTask, type TaskExecutor, pricesKey, taskId } from '../backtest/tasks/task';
import type { Strategy } from '../backtest/strategy/schema';
import type { TargetWeights } from '../backtest/signals/types';
import type { PriceFrame } from '../backtest/data/frame';
import { quickEngine } from '../backtest/engines/quick';
import type { SelectedEngine } from '../backtest/engines/select';
import type { Engine } from '../backtest/engines/types';
import { InputError, throwIfAborted } from '../shared/errors';
import { gridSize, parameterVariants } from './gates/variants';
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
  /** Where the precise engine's runs happen (a local pool, Ray); one serial local process by default. */
  executor?: TaskExecutor;
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
  const { strategy: loaded, frame, config, cash, signal } = request;
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
  // Every precise-engine run is a task, sent at once: the executor runs them side by side while the quick work goes on here.
  const { tasks, grid } = preciseTasks(request, targets);
  const executor = request.executor ?? new LocalExecutor({ jobs: 1 });
  const batch = new AbortController();
  setMaxListeners(0, batch.signal);
  const onAbort = () => batch.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const runs = executor.run(tasks, { signal: signal?.aborted ? signal : batch.signal });
    runs.catch(() => undefined);
    const quick = await step('quick', 0.05, () => backtest(strategy, frame, targets, quickEngine, cash, { signal }));
    const [firstRun, secondRun, ...gridRuns] = await step('precise', 0.6, () => runs);
    throwIfAborted(signal, 'The precheck');
    const first = measureRun(strategy, frame, firstRun, cash);
    const second = measureRun(strategy, frame, secondRun, cash);
    const sharpes = grid ? grid.levels.map((_, level) => grid.variants.map((variant, index) => measureRun(variant.strategy, frame, gridRuns[level * grid.variants.length + index], cash).metrics.sharpe)) : undefined;
    const gates: GateResult[] = [consistencyGate(quick, first, config.consistency), coldStartGate(first, second, config.cold_start)];
    gates.push(await step('cost_sensitivity', 0.2, () => costSensitivityGate(strategy, frame, { strategyDir: loaded.dir, workspaceRoot: loaded.root, scratch }, cash, config.cost_sensitivity, targets, sharpes)));
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
  } finally {
    // Whatever ended the precheck (an error, a cancel), no task of it keeps running.
    signal?.removeEventListener('abort', onAbort);
    batch.abort();
  }
}

/** Scaled costs exactly as the quick cost runs scale them. */
function scaledCosts(costs: Strategy['costs'], multiplier: number): Strategy['costs'] {
  return { commission_bps: costs.commission_bps * multiplier, slippage_bps: costs.slippage_bps * multiplier, min_commission: costs.min_commission * multiplier };
}

/**
 * The precheck's precise-engine runs as tasks: the precise run, the cold-start re-run (a second
 * replica of the same inputs) and, when gates.cost_sensitivity.engine is precise, every variant at
 * every cost level (level-major). The grid's own variant at ×1 has the precise run's id: it runs once.
 */
export function preciseTasks(request: PrecheckRequest, targets: TargetWeights): { tasks: EngineTask[]; grid?: { levels: number[]; variants: ReturnType<typeof parameterVariants>['variants'] } } {
  const { strategy: loaded, frame, precise, config, cash } = request;
  const prices = pricesKey(frame);
  const engineKey = precise.runner ? `${precise.name} ${precise.runner.python}` : precise.name;
  const task = (label: string, strategy: Strategy, variantTargets: () => TargetWeights, multiplier: number, replica: number): EngineTask => {
    const costs = multiplier === 1 ? strategy.costs : scaledCosts(strategy.costs, multiplier);
    const { timing, lot_size: lotSize } = strategy.execution;
    return {
      id: taskId({ strategy: loaded.hash, prices, engine: engineKey, signal: strategy.signal, costs, timing, lotSize, cash, replica }),
      label,
      engine: precise,
      input: () => ({ frame, targets: variantTargets(), costs, timing, lotSize, cash }),
    };
  };
  const own = () => targets;
  const tasks = [task('precise', loaded.strategy, own, 1, 0), task('cold_start', loaded.strategy, own, 1, 1)];
  if (config.cost_sensitivity.engine !== 'precise') return { tasks };
  const { variants } = parameterVariants(loaded.strategy);
  const ownSignal = JSON.stringify(loaded.strategy.signal);
  const levels = config.cost_sensitivity.multipliers;
  for (const multiplier of levels) {
    for (const variant of variants) {
      const isOwn = JSON.stringify(variant.strategy.signal) === ownSignal;
      const variantTargets = isOwn ? own : () => computeTargets(variant.strategy, { frame, strategyDir: loaded.dir, workspaceRoot: loaded.root });
      tasks.push(task(`cost ×${multiplier} ${variant.label}`, variant.strategy, variantTargets, multiplier, 0));
    }
  }
  return { tasks, grid: { levels, variants } };
}
