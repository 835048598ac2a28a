import { resolve } from 'node:path';
import { type CanaryBaseline, runCanary } from './canary';
import { loadPrices } from '../backtest/data/load';
import { type EngineChoice, type EngineSelectionOptions, type SelectedEngine, preciseNeeds, selectPreciseEngine } from '../backtest/engines/select';
import { InputError, isQraftError } from '../shared/errors';
import { signalWarmup } from '../backtest/signals';
import type { EvidenceConfig } from './gates/config';
import { shortHash } from '../shared/labels';
import { runPrecheck } from './precheck';
import type { TaskExecutor } from '../backtest/tasks/task';
import type { CanaryReport, PrecheckReport, RunInputs } from './reports/schema';
import { type SavedReport, saveReport } from './reports/store';
import { type LoadedStrategy, loadStrategy, parseStrategy } from '../backtest/strategy/load';

export const DEFAULT_BASE_CASH = 1_000_000;

interface EvidenceRequest {
  strategyPath: string;
  pricesPath: string;
  /** Symbol of a single-symbol price file whose name is not the symbol. */
  symbol?: string;
  start?: string;
  end?: string;
  config: EvidenceConfig;
  reportsDir: string;
  /** The workspace root: a weights file may live there as well as in the strategy's folder. */
  workspaceRoot?: string;
  signal?: AbortSignal;
  progress?: (step: string, share: number) => void;
}

export interface PrecheckFilesRequest extends EvidenceRequest {
  /**
   * The precise engine: already selected (selectPreciseEngine, as the extension does to offer
   * fixes first), or a choice this call resolves with the strategy's needs.
   */
  engine: EngineChoice | SelectedEngine;
  /** Interpreter for NautilusTrader, when `engine` is a choice. */
  python?: string;
  cash?: number;
  /** NautilusTrader's own messages (stderr), for a log, when `engine` is a choice. */
  onEngineLog?: (text: string) => void;
  /** The interpreter probe, when `engine` is a choice (tests count it). */
  probe?: EngineSelectionOptions['probe'];
  /** Where the precise engine's runs happen (a local pool shared by several prechecks, Ray); one local process by default. */
  executor?: TaskExecutor;
}

/** Loads the strategy and prices from disk, runs the precheck and saves its report. */
export async function precheckFiles(request: PrecheckFilesRequest): Promise<SavedReport<PrecheckReport>> {
  request.progress?.('load', 0);
  const strategy = loadStrategy(request.strategyPath, request.workspaceRoot);
  const frame = loadPrices(request.pricesPath, { universe: strategy.strategy.universe, symbol: request.symbol, start: request.start, end: request.end });
  requireBarsFor(strategy, frame, request.pricesPath);
  const cash = request.cash ?? DEFAULT_BASE_CASH;
  const { engine: precise, ...selection } =
    typeof request.engine === 'string'
      ? await selectPreciseEngine(request.engine, {
          ...preciseNeeds(strategy.strategy, cash),
          python: request.python,
          signal: request.signal,
          onStderr: request.onEngineLog,
          probe: request.probe,
        })
      : request.engine;
  const report = await runPrecheck({
    strategy,
    frame,
    precise,
    preciseSelection: selection,
    config: request.config.gates,
    cash,
    signal: request.signal,
    progress: request.progress,
    executor: request.executor,
  });
  return saveReport(request.reportsDir, { ...report, inputs: runInputs(request, report.data.symbols) });
}

/** A signal window longer than the data is bad input, said before anything runs. */
function requireBarsFor(loaded: LoadedStrategy, frame: { times: ArrayLike<number> }, pricesPath: string): void {
  const warmup = signalWarmup(loaded.strategy.signal);
  const bars = frame.times.length;
  if (warmup >= bars) {
    throw new InputError(`${loaded.path} signal needs ${warmup.toLocaleString('en-US')} bars before its first target, but ${pricesPath} has ${bars.toLocaleString('en-US')} in the window.`);
  }
}

/**
 * The inputs a report records so that approval can re-run it: absolute paths, the window as given,
 * and the symbol of a one-symbol file (given, or read from its name: the file may be renamed).
 */
function runInputs(request: EvidenceRequest, symbols: string[]): RunInputs {
  const symbol = request.symbol ?? (symbols.length === 1 ? symbols[0] : undefined);
  return {
    prices: resolve(request.pricesPath),
    ...(symbol ? { symbol } : {}),
    ...(request.start ? { start: request.start } : {}),
    ...(request.end ? { end: request.end } : {}),
  };
}

/**
 * Where the canary finds CURRENT's strategy, its baseline. The release part provides it
 * (release/baseline.ts); evidence knows nothing of the release's stores.
 */
export interface BaselineSource {
  /** CURRENT's manifest hash, or null when nothing is published yet. */
  current(): Promise<{ manifest_hash: string } | null>;
  /** The strategy document a published manifest holds; a QraftError when it cannot be read. */
  payload(manifestHash: string): unknown | Promise<unknown>;
}

export interface CanaryFilesRequest extends EvidenceRequest {
  /** CURRENT's strategy, the baseline. */
  baseline: BaselineSource;
}

/** Runs the canary of a strategy file against CURRENT on the same prices and saves its report. */
export async function canaryFiles(request: CanaryFilesRequest): Promise<SavedReport<CanaryReport>> {
  request.progress?.('load', 0);
  const strategy = loadStrategy(request.strategyPath, request.workspaceRoot);
  // CURRENT usually trades the same universe: read and parse the price file once for both runs.
  const frames = new Map<string, CanaryBaseline['frame']>();
  const loadFor = (universe: string[]) => {
    const key = universe.join('\u0000');
    let frame = frames.get(key);
    if (!frame) {
      frame = loadPrices(request.pricesPath, { universe, symbol: request.symbol });
      frames.set(key, frame);
    }
    return frame;
  };
  const frame = loadFor(strategy.strategy.universe);
  requireBarsFor(strategy, frame, request.pricesPath);
  const baseline = await currentBaseline(request.baseline, strategy.dir, loadFor);
  request.progress?.('canary', 0.2);
  const report = await runCanary({ strategy, frame, start: request.start, end: request.end, config: request.config.canary, baseline, signal: request.signal });
  return saveReport(request.reportsDir, { ...report, inputs: runInputs(request, report.data.symbols) });
}

/** CURRENT's strategy on the same prices, or a sentence saying why there is no baseline. */
async function currentBaseline(
  source: BaselineSource,
  strategyDir: string,
  loadFor: (universe: string[]) => CanaryBaseline['frame'],
): Promise<CanaryBaseline | { note: string }> {
  const current = await source.current();
  if (!current) return { note: 'No CURRENT release yet, so there is no baseline to compare with.' };
  const label = `CURRENT ${shortHash(current.manifest_hash)}`;
  try {
    const loaded = parseStrategy(await source.payload(current.manifest_hash), `${label} payload`, resolve(strategyDir));
    return { strategy: loaded, manifest_hash: current.manifest_hash, frame: loadFor(loaded.strategy.universe) };
  } catch (err) {
    if (!isQraftError(err)) throw err;
    return { note: `${label} cannot serve as the baseline: ${err.message}` };
  }
}
