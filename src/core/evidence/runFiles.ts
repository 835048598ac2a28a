import { resolve } from 'node:path';
import { type CanaryBaseline, runCanary } from './canary';
import { loadPrices } from '../backtest/data/load';
import { type EngineChoice, selectPreciseEngine } from '../backtest/engines/select';
import { isQraftError } from '../shared/errors';
import type { QraftConfig } from './gates/config';
import { shortHash } from '../shared/labels';
import { runPrecheck } from './precheck';
import type { ReleaseService } from '../release/service';
import type { CanaryReport, PrecheckReport } from './reports/schema';
import { type SavedReport, saveReport } from './reports/store';
import { loadStrategy, parseStrategy } from '../backtest/strategy/load';

export const DEFAULT_BASE_CASH = 1_000_000;

interface EvidenceRequest {
  strategyPath: string;
  pricesPath: string;
  /** Symbol of a single-symbol price file whose name is not the symbol. */
  symbol?: string;
  start?: string;
  end?: string;
  config: QraftConfig;
  reportsDir: string;
  signal?: AbortSignal;
  progress?: (step: string, share: number) => void;
}

export interface PrecheckFilesRequest extends EvidenceRequest {
  engine: EngineChoice;
  python?: string;
  cash?: number;
  /** NautilusTrader's own messages (stderr), for a log. */
  onEngineLog?: (text: string) => void;
}

/** Loads the strategy and prices from disk, runs the precheck and saves its report. */
export async function precheckFiles(request: PrecheckFilesRequest): Promise<SavedReport<PrecheckReport>> {
  request.progress?.('load', 0);
  const strategy = loadStrategy(request.strategyPath);
  const frame = loadPrices(request.pricesPath, { universe: strategy.strategy.universe, symbol: request.symbol, start: request.start, end: request.end });
  const precise = await selectPreciseEngine(request.engine, { python: request.python, timing: strategy.strategy.execution.timing, signal: request.signal, onStderr: request.onEngineLog });
  const report = await runPrecheck({
    strategy,
    frame,
    precise: precise.engine,
    preciseNote: precise.note,
    config: request.config.gates,
    cash: request.cash ?? DEFAULT_BASE_CASH,
    signal: request.signal,
    progress: request.progress,
  });
  return saveReport(request.reportsDir, report);
}

export interface CanaryFilesRequest extends EvidenceRequest {
  /** The release whose CURRENT strategy is the baseline. */
  release: ReleaseService;
}

/** Runs the canary of a strategy file against CURRENT on the same prices and saves its report. */
export async function canaryFiles(request: CanaryFilesRequest): Promise<SavedReport<CanaryReport>> {
  request.progress?.('load', 0);
  const strategy = loadStrategy(request.strategyPath);
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
  const baseline = await currentBaseline(request.release, strategy.dir, loadFor);
  request.progress?.('canary', 0.2);
  const report = await runCanary({ strategy, frame, start: request.start, end: request.end, config: request.config.canary, baseline, signal: request.signal });
  return saveReport(request.reportsDir, report);
}

/** CURRENT's strategy on the same prices, or a sentence saying why there is no baseline. */
async function currentBaseline(
  release: ReleaseService,
  strategyDir: string,
  loadFor: (universe: string[]) => CanaryBaseline['frame'],
): Promise<CanaryBaseline | { note: string }> {
  const current = await release.current();
  if (!current) return { note: 'No CURRENT release yet, so there is no baseline to compare with.' };
  const label = `CURRENT ${shortHash(current.manifest_hash)}`;
  try {
    const candidate = release.pool.candidate(current.manifest_hash);
    const loaded = parseStrategy(candidate.payload, `${label} payload`, resolve(strategyDir));
    return { strategy: loaded, manifest_hash: current.manifest_hash, frame: loadFor(loaded.strategy.universe) };
  } catch (err) {
    if (!isQraftError(err)) throw err;
    return { note: `${label} cannot serve as the baseline: ${err.message}` };
  }
}
