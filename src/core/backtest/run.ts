import type { PriceFrame } from './data/frame';
import type { Ledger } from './engines/ledger';
import { replayFills } from './engines/ledger';
import type { Engine, EngineName, EngineRun, RunOptions } from './engines/types';
import type { FillLog } from './engines/fills';
import { type Metrics, computeMetrics } from './metrics';
import type { TargetWeights } from './signals/types';
import { type Strategy, barsPerYear } from './strategy/schema';

export interface BacktestResult {
  engine: EngineName;
  version: string;
  fills: FillLog;
  ledger: Ledger;
  metrics: Metrics;
}

/** Runs one engine on precomputed targets and measures the result with the shared metrics. */
export async function backtest(
  strategy: Strategy,
  frame: PriceFrame,
  targets: TargetWeights,
  engine: Engine,
  cash: number,
  options: RunOptions = {},
): Promise<BacktestResult> {
  const run = await engine.run(
    { frame, targets, costs: strategy.costs, timing: strategy.execution.timing, lotSize: strategy.execution.lot_size, cash },
    options,
  );
  return measureRun(strategy, frame, run, cash);
}

/** An engine's run (fills) measured with the shared ledger and metrics, wherever it ran. */
export function measureRun(strategy: Strategy, frame: PriceFrame, run: EngineRun, cash: number): BacktestResult {
  const ledger = replayFills(frame, run.fills, cash);
  const metrics = computeMetrics({ ledger, fills: run.fills, initialCash: cash, barsPerYear: barsPerYear(strategy) });
  return { engine: run.engine, version: run.version, fills: run.fills, ledger, metrics };
}
