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
  return { total_return: 0.05, cagr: 0, ann_vol: 0, sharpe: 0, sortino: 0, max_drawdown: 0.05, calmar: 0, turnover: 0, trades: 0, fees: 0, exposure: 0, ...overrides };
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

  it('judges pass, marginal and fail against the limits', () => {
    assert.equal(judgeCanary(metrics({ max_drawdown: 0.05 }), metrics({}), DEFAULTS).verdict, 'pass');
    assert.equal(judgeCanary(metrics({ max_drawdown: 0.13 }), null, DEFAULTS).verdict, 'marginal');
    assert.equal(judgeCanary(metrics({ max_drawdown: 0.2 }), null, DEFAULTS).verdict, 'fail');
    assert.equal(judgeCanary(metrics({ total_return: 0.04 }), metrics({ total_return: 0.05 }), DEFAULTS).verdict, 'marginal');
    const fail = judgeCanary(metrics({ total_return: 0.0 }), metrics({ total_return: 0.05 }), DEFAULTS);
    assert.equal(fail.verdict, 'fail');
    assert.match(fail.reasons[0], /return is -5\.00% against CURRENT, below the -2\.00% floor/);
  });

  it('refuses a window without bars, naming it', async () => {
    await assert.rejects(
      runCanary({ strategy: strategy({ type: 'buy_and_hold' }), frame, start: '2030-01-01', end: '2030-02-01', config: DEFAULTS, baseline: { note: '' } }),
      /canary window 2030-01-01 \.\. 2030-02-01 has fewer than 2 bars/,
    );
  });
});
