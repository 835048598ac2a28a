import type { PriceFrame } from '../../backtest/data/frame';
import { type EquityScratch, replayEquity } from '../../backtest/engines/ledger';
import { FillLog } from '../../backtest/engines/fills';
import { runQuick } from '../../backtest/engines/quick';
import { computeTargets } from '../../backtest/signals';
import type { SignalContext, TargetScratch, TargetWeights } from '../../backtest/signals/types';
import { type Strategy, barsPerYear } from '../../backtest/strategy/schema';
import type { GateConfig } from './config';
import type { GateResult } from './types';
import { parameterVariants } from './variants';

/** N = max(1, ceil(variants / 3)), at most 5. */
export function topCount(variants: number): number {
  return Math.min(5, Math.max(1, Math.ceil(variants / 3)));
}

export interface Ranking {
  multiplier: number;
  /** The N best labels at this cost level (a stable sort keeps ties in variant order). */
  top: string[];
  sharpe: Record<string, number>;
}

/**
 * How much of the top N at ×1 (the reference) each other cost level keeps. Variants within
 * `tolerance` of the reference's N-th Sharpe count as in its top: a ranking that "flips" on a
 * difference of 0.0002 has not flipped.
 */
export function topOverlaps(rankings: readonly Ranking[], labels: readonly string[], n: number, tolerance: number) {
  const reference = rankings.find((ranking) => ranking.multiplier === 1) ?? rankings[0];
  const nth = labels.map((label) => reference.sharpe[label]).sort((a, b) => b - a)[n - 1] ?? 0;
  const tiedTop = new Set(labels.filter((label) => reference.sharpe[label] >= nth - tolerance));
  const overlaps = rankings
    .filter((ranking) => ranking !== reference)
    .map((ranking) => ({ multiplier: ranking.multiplier, overlap: ranking.top.filter((label) => tiedTop.has(label)).length / n }));
  return { overlaps, worst: overlaps.reduce((min, o) => Math.min(min, o.overlap), 1), tiedTop };
}

/**
 * The Sharpe ratio of an equity series, exactly as computeMetrics computes it (same sums in the
 * same order, so bit-identical): per-bar returns from the starting cash, sample deviation,
 * annualised by √barsPerYear, 0 without variation.
 */
export function sharpeFromEquity(equity: Float64Array, initialCash: number, perYear: number): number {
  const bars = equity.length;
  let previous = initialCash;
  let sum = 0;
  let sumSquares = 0;
  for (let bar = 0; bar < bars; bar += 1) {
    const value = equity[bar];
    const change = previous !== 0 ? value / previous - 1 : 0;
    sum += change;
    sumSquares += change * change;
    previous = value;
  }
  const mean = bars > 0 ? sum / bars : 0;
  const variance = bars > 1 ? Math.max(0, (sumSquares - bars * mean * mean) / (bars - 1)) : 0;
  const std = Math.sqrt(variance);
  return std > 0 ? (mean / std) * Math.sqrt(perYear) : 0;
}

/**
 * Sharpe ratios of quick runs of one frame at scaled costs: what `backtest(...).metrics.sharpe`
 * gives, without the rest of the metrics, the gross-exposure series or a new equity array per run
 * (the gate makes dozens of runs; the buffers are shared). Results are kept per targets and
 * multiplier, so a cost level the grid already ran is not run again by the break-even search.
 */
export class CostRuns {
  private readonly scratch: EquityScratch;
  /** One fill log for every run: each is read (replayed) before the next. */
  private readonly fills = new FillLog();
  private readonly known = new WeakMap<TargetWeights, Map<string, number>>();

  constructor(
    private readonly frame: PriceFrame,
    private readonly cash: number,
  ) {
    const bars = frame.times.length;
    this.scratch = { equity: new Float64Array(bars), cashAt: new Float64Array(bars) };
  }

  /** Sharpe of the quick run with every cost scaled by `multiplier`. */
  sharpe(strategy: Strategy, targets: TargetWeights, multiplier: number): number {
    let byMultiplier = this.known.get(targets);
    if (!byMultiplier) this.known.set(targets, (byMultiplier = new Map()));
    const { costs: base, execution } = strategy;
    const memoKey = `${multiplier} ${base.commission_bps} ${base.slippage_bps} ${base.min_commission} ${execution.timing} ${execution.lot_size} ${barsPerYear(strategy)}`;
    const seen = byMultiplier.get(memoKey);
    if (seen !== undefined) return seen;
    const costs = {
      commission_bps: strategy.costs.commission_bps * multiplier,
      slippage_bps: strategy.costs.slippage_bps * multiplier,
      min_commission: strategy.costs.min_commission * multiplier,
    };
    const run = runQuick({ frame: this.frame, targets, costs, timing: strategy.execution.timing, lotSize: strategy.execution.lot_size, cash: this.cash }, this.fills);
    const equity = replayEquity(this.frame, run.fills, this.cash, this.scratch);
    const value = sharpeFromEquity(equity, this.cash, barsPerYear(strategy));
    byMultiplier.set(memoKey, value);
    return value;
  }
}

/** The largest multiple searched for the break-even cost; beyond it the answer is "more than this". */
export const BREAK_EVEN_MAX = 1024;

/**
 * The cost multiple at which the strategy's Sharpe reaches 0 (bisection; Sharpe falls as costs
 * rise): 0 when it loses before costs, null when it has no costs to scale or still earns at
 * BREAK_EVEN_MAX × today's costs. `runs` may carry the Sharpe ratios already found at some multiples.
 */
export async function breakEvenCostMultiple(strategy: Strategy, frame: PriceFrame, targets: TargetWeights, cash: number, runs = new CostRuns(frame, cash)): Promise<number | null> {
  const { costs } = strategy;
  if (costs.commission_bps === 0 && costs.slippage_bps === 0 && costs.min_commission === 0) return null;
  if (runs.sharpe(strategy, targets, 0) <= 0) return 0;
  if (runs.sharpe(strategy, targets, BREAK_EVEN_MAX) > 0) return null;
  let low = 0;
  let high = BREAK_EVEN_MAX;
  for (let step = 0; step < 40 && high - low > 1e-3 * Math.max(1, low); step += 1) {
    const middle = (low + high) / 2;
    if (runs.sharpe(strategy, targets, middle) > 0) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** The rule: the worst top-N overlap across cost levels reaches the minimum. */
export function judgeCostSensitivity(worstOverlap: number, config: GateConfig['cost_sensitivity']): boolean {
  return worstOverlap >= config.min_overlap;
}

/**
 * Ranks the parameter variants by Sharpe (quick engine) at each cost multiplier; the top N at
 * every multiplier must overlap the top N at ×1 by at least `min_overlap`.
 */
export async function costSensitivityGate(
  strategy: Strategy,
  frame: PriceFrame,
  files: Omit<SignalContext, 'frame'>,
  cash: number,
  config: GateConfig['cost_sensitivity'],
  /** The strategy's own targets, when the caller has them (computeTargets gives the same ones). */
  strategyTargets?: TargetWeights,
  /** The variants' Sharpe ratios on the precise engine, [cost level][variant] (gates.cost_sensitivity.engine precise); else the quick engine ranks them. */
  preciseSharpes?: readonly (readonly number[])[],
): Promise<GateResult> {
  const { variants, skipped, source } = parameterVariants(strategy);
  const n = topCount(variants.length);
  // The strategy itself (the grid holds it when its parameters are on the grid): its targets are kept for the break-even.
  const own = variants.findIndex((variant) => JSON.stringify(variant.strategy.signal) === JSON.stringify(strategy.signal));
  let ownTargets: TargetWeights | undefined = own >= 0 ? strategyTargets : undefined;
  const runs = new CostRuns(frame, cash);
  const scratch: TargetScratch = files.scratch ?? {};
  // One variant's targets at a time (each is symbols × bars doubles), run at every cost level, then overwritten by the next.
  const sharpes: Record<string, number>[] = config.multipliers.map(() => ({}));
  for (let index = 0; index < variants.length; index += 1) {
    if (preciseSharpes) {
      for (let level = 0; level < config.multipliers.length; level += 1) sharpes[level][variants[index].label] = preciseSharpes[level][index];
      continue;
    }
    // The other variants' targets are dropped after their runs: they may share columns (files.scratch, or the gate's own).
    const targets = index === own ? (ownTargets ?? computeTargets(variants[index].strategy, { frame, ...files, scratch: undefined })) : computeTargets(variants[index].strategy, { frame, ...files, scratch });
    if (index === own) ownTargets = targets;
    for (let level = 0; level < config.multipliers.length; level += 1) {
      sharpes[level][variants[index].label] = runs.sharpe(variants[index].strategy, targets, config.multipliers[level]);
    }
  }
  const rankings: Ranking[] = [];
  for (let level = 0; level < config.multipliers.length; level += 1) {
    const multiplier = config.multipliers[level];
    // The labels in variant order, as the rankings were always built.
    const sharpe: Record<string, number> = {};
    for (const variant of variants) sharpe[variant.label] = sharpes[level][variant.label];
    // A stable sort keeps variant order among ties, so the ranking is deterministic.
    const top = variants
      .map((variant) => variant.label)
      .sort((a, b) => sharpe[b] - sharpe[a])
      .slice(0, n);
    rankings.push({ multiplier, top, sharpe });
  }
  const { overlaps, worst, tiedTop } = topOverlaps(rankings, variants.map((variant) => variant.label), n, config.tie_tolerance);
  // The break-even of the strategy itself (the grid holds it when its parameters are on the grid).
  const breakEven = await breakEvenCostMultiple(strategy, frame, ownTargets ?? strategyTargets ?? computeTargets(strategy, { frame, ...files, scratch: undefined }), cash, runs);
  const breakEvenText = breakEven === null ? 'no break-even cost found' : breakEven === 0 ? 'loses before costs' : `break-even at ×${breakEven.toFixed(2)} today's costs`;
  const passed = judgeCostSensitivity(worst, config);
  return {
    name: 'cost_sensitivity',
    passed,
    value: worst,
    threshold: config.min_overlap,
    summary:
      (variants.length <= 1
        ? 'no parameters to vary: the ranking cannot flip'
        : passed
          ? `the top ${n} of ${variants.length} variants by Sharpe${preciseSharpes ? ' (precise engine)' : ''} hold at costs ×${config.multipliers.join(', ×')} (overlap ≥ ${(worst * 100).toFixed(0)}%)`
          : `the top ${n} of ${variants.length} variants${preciseSharpes ? ' (precise engine)' : ''} change with costs: overlap ${(worst * 100).toFixed(0)}% < ${(config.min_overlap * 100).toFixed(0)}%`) + `; ${breakEvenText}`,
    // engine: only when the precise engine ranked (reports of the quick ranking stay as they were).
    details: { source, ...(preciseSharpes ? { engine: 'precise' } : {}), top_n: n, variants: variants.length, skipped, tie_tolerance: config.tie_tolerance, tied_top: [...tiedTop], overlaps, rankings, break_even_cost_multiple: breakEven },
  };
}
