import type { BacktestResult } from '../../backtest/run';
import { METRIC_NAMES } from '../../backtest/metrics';
import type { GateConfig } from './config';
import { type GateResult, relativeDifference } from './types';

/** The rule: every metric of the second run within the tolerance of the first. */
export function judgeColdStart(differences: readonly number[], config: GateConfig['cold_start']): boolean {
  return differences.length > 0 && differences.every((difference) => difference < config.tolerance);
}

/** Two precise runs from a clean state must give the same metrics (within the tolerance). */
export function coldStartGate(first: BacktestResult, second: BacktestResult, config: GateConfig['cold_start']): GateResult {
  const metrics = METRIC_NAMES.map((name) => {
    const difference = relativeDifference(second.metrics[name], first.metrics[name], 1e-9);
    return { metric: name, first: first.metrics[name], second: second.metrics[name], relative_difference: difference, passed: difference < config.tolerance };
  });
  const worst = metrics.reduce((a, b) => (b.relative_difference > a.relative_difference ? b : a));
  const passed = judgeColdStart(metrics.map((m) => m.relative_difference), config);
  return {
    name: 'cold_start',
    passed,
    value: worst.relative_difference,
    threshold: config.tolerance,
    summary: passed
      ? `two fresh ${first.engine} runs agree (largest difference ${(worst.relative_difference * 100).toFixed(4)}%)`
      : `two fresh ${first.engine} runs differ on ${metrics.filter((m) => !m.passed).map((m) => m.metric).join(', ')}: the engine is not reproducible`,
    details: { metrics, fills: [first.fills.length, second.fills.length] },
  };
}
