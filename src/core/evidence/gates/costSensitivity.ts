import { backtest } from '../../backtest/run';
import type { PriceFrame } from '../../backtest/data/frame';
import { quickEngine } from '../../backtest/engines/quick';
import { computeTargets } from '../../backtest/signals';
import type { Strategy } from '../../backtest/strategy/schema';
import type { GateConfig } from './config';
import type { GateResult } from './types';
import { parameterVariants } from './variants';

/** N = max(1, ceil(variants / 3)), at most 5. */
export function topCount(variants: number): number {
  return Math.min(5, Math.max(1, Math.ceil(variants / 3)));
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
  strategyDir: string,
  cash: number,
  config: GateConfig['cost_sensitivity'],
): Promise<GateResult> {
  const { variants, skipped, source } = parameterVariants(strategy);
  const n = topCount(variants.length);
  const targets = variants.map((variant) => computeTargets(variant.strategy, { frame, strategyDir }));
  const rankings: { multiplier: number; top: string[]; sharpe: Record<string, number> }[] = [];
  for (const multiplier of config.multipliers) {
    const sharpe: Record<string, number> = {};
    for (let index = 0; index < variants.length; index += 1) {
      const variant = variants[index];
      const costs = {
        commission_bps: variant.strategy.costs.commission_bps * multiplier,
        slippage_bps: variant.strategy.costs.slippage_bps * multiplier,
        min_commission: variant.strategy.costs.min_commission * multiplier,
      };
      const result = await backtest({ ...variant.strategy, costs }, frame, targets[index], quickEngine, cash);
      sharpe[variant.label] = result.metrics.sharpe;
    }
    // A stable sort keeps variant order among ties, so the ranking is deterministic.
    const top = variants
      .map((variant) => variant.label)
      .sort((a, b) => sharpe[b] - sharpe[a])
      .slice(0, n);
    rankings.push({ multiplier, top, sharpe });
  }
  const reference = rankings.find((ranking) => ranking.multiplier === 1) ?? rankings[0];
  const overlaps = rankings
    .filter((ranking) => ranking !== reference)
    .map((ranking) => ({ multiplier: ranking.multiplier, overlap: ranking.top.filter((label) => reference.top.includes(label)).length / n }));
  const worst = overlaps.reduce((min, o) => Math.min(min, o.overlap), 1);
  const passed = judgeCostSensitivity(worst, config);
  return {
    name: 'cost_sensitivity',
    passed,
    value: worst,
    threshold: config.min_overlap,
    summary:
      variants.length <= 1
        ? 'no parameters to vary: the ranking cannot flip'
        : passed
          ? `the top ${n} of ${variants.length} variants by Sharpe hold at costs ×${config.multipliers.join(', ×')} (overlap ≥ ${(worst * 100).toFixed(0)}%)`
          : `the top ${n} of ${variants.length} variants change with costs: overlap ${(worst * 100).toFixed(0)}% < ${(config.min_overlap * 100).toFixed(0)}%`,
    details: { source, top_n: n, variants: variants.length, skipped, overlaps, rankings },
  };
}
