import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { runCanary, judgeCanary } from '../../src/core/evidence/canary';
import { loadPrices } from '../../src/core/backtest/data/load';
import { CanaryConfigSchema } from '../../src/core/evidence/gates/config';
import type { Metrics } from '../../src/core/backtest/metrics';
import { parseStrategy } from '../../src/core/backtest/strategy/load';
import { EXAMPLES } from '../support/fixtures';

const SPY = join(EXAMPLES, 'prices', 'SPY.csv');
const DEFAULTS = CanaryConfigSchema.parse({});

const strategy = (signal: Record<string, unknown>, version = '1.0.0') =>
  parseStrategy({ name: 'canary-test', version, universe: ['SPY'], signal, costs: { commission_bps: 1, slippage_bps: 2 } }, 'strategy.json', EXAMPLES);

function metrics(overrides: Partial<Metrics>): Metrics {
  return { total_return: 0.05, cagr: 0, ann_vol: 0, sharpe: 0, sortino: 0, max_drawdown: 0.05, calmar: 0, turnover: 0, trades: 0, fills: 0, fees: 0, exposure: 0, ...overrides };
}

describe('canary', () => {
  const frame = loadPrices(SPY, { universe: ['SPY'] });

  it('runs the last 20% of bars with base_cash × cash_ratio and notes the missing baseline', async () => {
    const report = await runCanary({ strategy: strategy({ type: 'buy_and_hold' }), frame, config: DEFAULTS, baseline: { note: 'No CURRENT release yet.' } });
    const bars = frame.times.length;
    assert.equal(report.window.bars, Math.round(bars * 0.2));
    assert.equal(report.window.end.slice(0, 10), '2024-03-22');
    assert.equal(report.cash, 50_000);
    assert.equal(report.baseline, null);
    assert.equal(report.deltas, null);
    assert.equal(report.baseline_note, 'No CURRENT release yet.');
    // Buy and hold from the window's first close (next_close: filled at the second bar's close).
    const start = bars - report.window.bars;
    const held = frame.close[0][bars - 1] / frame.close[0][start + 1] - 1;
    assert.ok(Math.abs(report.candidate.metrics.total_return - held) < 0.001, `${report.candidate.metrics.total_return} vs ${held}`);
  });

  it('compares with the CURRENT strategy over the same window: deltas are candidate minus baseline', async () => {
    const baseline = strategy({ type: 'sma_cross', fast: 10, slow: 30 }, '0.9.0');
    const report = await runCanary({
      strategy: strategy({ type: 'buy_and_hold' }),
      frame,
      start: '2023-01-01',
      end: '2023-12-31',
      config: DEFAULTS,
      baseline: { strategy: baseline, manifest_hash: 'a'.repeat(64), frame },
    });
    assert.equal(report.window.start.slice(0, 10), '2023-01-03');
    assert.equal(report.window.end.slice(0, 10), '2023-12-29');
    assert.ok(report.baseline && report.deltas);
    assert.equal(report.baseline.strategy.version, '0.9.0');
    for (const name of ['total_return', 'sharpe', 'max_drawdown'] as const) {
      assert.ok(Math.abs(report.deltas[name] - (report.candidate.metrics[name] - report.baseline.metrics[name])) < 1e-12);
    }
    // 2023 was an up year for SPY: holding beat the SMA cross's whipsaws.
    assert.ok(report.candidate.metrics.total_return > 0.2);
  });

  /** A baseline with its statistics: p(candidate lower) and the Sharpe-difference interval as given. */
  const against = (baseline: Partial<Metrics>, p_less: number, low: number, high: number) => ({
    metrics: metrics(baseline),
    statistics: {
      mann_whitney: { u: 100, n1: 20, n2: 20, z: 0, p_less, p_two_sided: Math.min(1, 2 * p_less) },
      sharpe_difference: { estimate: (low + high) / 2, low, high, confidence: 0.95, resamples: 1000, seed: 1 },
    },
  });

  it('without CURRENT, the limits alone decide: pass, marginal near the drawdown limit, fail over it', () => {
    assert.equal(judgeCanary(metrics({ max_drawdown: 0.05 }), null, DEFAULTS).verdict, 'pass');
    assert.equal(judgeCanary(metrics({ max_drawdown: 0.13 }), null, DEFAULTS).verdict, 'marginal');
    assert.equal(judgeCanary(metrics({ max_drawdown: 0.2 }), null, DEFAULTS).verdict, 'fail');
    assert.equal(judgeCanary(metrics({}), null, DEFAULTS).score, null);
  });

  it('against CURRENT: three checks scored into 0–100, cut at the configurable pass and marginal scores', () => {
    const good = judgeCanary(metrics({ total_return: 0.06 }), against({ total_return: 0.05 }, 0.4, -0.2, 0.5), DEFAULTS);
    assert.deepEqual([good.verdict, good.score], ['pass', 100]);
    // Return within the marginal band above the floor: that check scores one half.
    const band = judgeCanary(metrics({ total_return: 0.04 }), against({ total_return: 0.05 }, 0.4, -0.2, 0.5), DEFAULTS);
    assert.deepEqual([band.verdict, band.score], ['pass', 83]);
    // Returns significantly lower (Mann–Whitney), everything else fine: 67, marginal.
    const lower = judgeCanary(metrics({ total_return: 0.06 }), against({ total_return: 0.05 }, 0.01, -0.2, 0.5), DEFAULTS);
    assert.deepEqual([lower.verdict, lower.score], ['marginal', 67]);
    assert.match(lower.reasons.join('\n'), /returns distribution: Mann–Whitney U = 100 \(n = 20, 20\), p\(candidate lower\) = 0\.0100 against 0\.05/);
    assert.equal(judgeCanary(metrics({ total_return: 0.06 }), against({ total_return: 0.05 }, 0.01, -0.2, 0.5), { ...DEFAULTS, pass_score: 60 }).verdict, 'pass');
    // Worse on every count: 0, fail, with the interval in the reasons.
    const bad = judgeCanary(metrics({ total_return: 0.0 }), against({ total_return: 0.05 }, 0.001, -1.5, -0.3), DEFAULTS);
    assert.deepEqual([bad.verdict, bad.score], ['fail', 0]);
    assert.match(bad.reasons.join('\n'), /Sharpe difference -0\.900, 95% interval -1\.500 \.\. -0\.300/);
    assert.match(bad.reasons.join('\n'), /return -5\.00% against CURRENT, floor -2\.00%/);
    // The hard limit fails whatever the score; close to it, a pass becomes marginal.
    assert.equal(judgeCanary(metrics({ max_drawdown: 0.2 }), against({}, 0.4, -0.2, 0.5), DEFAULTS).verdict, 'fail');
    assert.equal(judgeCanary(metrics({ max_drawdown: 0.13 }), against({}, 0.4, -0.2, 0.5), DEFAULTS).verdict, 'marginal');
  });

  it('records the statistics it judged by: Mann–Whitney and the bootstrap over the window\'s per-bar returns', async () => {
    const baseline = strategy({ type: 'sma_cross', fast: 10, slow: 30 }, '0.9.0');
    const report = await runCanary({ strategy: strategy({ type: 'buy_and_hold' }), frame, config: DEFAULTS, baseline: { strategy: baseline, manifest_hash: 'a'.repeat(64), frame } });
    assert.ok(report.statistics && report.checks && typeof report.score === 'number');
    assert.equal(report.statistics.mann_whitney.n1, report.window.bars - 1);
    assert.equal(report.statistics.sharpe_difference.resamples, 1000);
    assert.ok(report.statistics.sharpe_difference.low <= report.statistics.sharpe_difference.estimate);
    assert.deepEqual(report.checks.map((check) => check.name), ['returns_distribution', 'sharpe_difference', 'total_return']);
    // The verdict follows from what the report records (approval recomputes it the same way).
    assert.equal(judgeCanary(report.candidate.metrics, report.baseline ? { metrics: report.baseline.metrics, statistics: report.statistics } : null, DEFAULTS).verdict, report.verdict);
  });

  it('refuses a window without bars, naming it', async () => {
    await assert.rejects(
      runCanary({ strategy: strategy({ type: 'buy_and_hold' }), frame, start: '2030-01-01', end: '2030-02-01', config: DEFAULTS, baseline: { note: '' } }),
      /canary window 2030-01-01 \.\. 2030-02-01 has fewer than 2 bars/,
    );
  });
});
