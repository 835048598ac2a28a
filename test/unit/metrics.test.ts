import { strict as assert } from 'node:assert';
import { FillLog } from '../../src/core/backtest/engines/fills';
import { replayFills } from '../../src/core/backtest/engines/ledger';
import { computeMetrics, drawdownSeries } from '../../src/core/backtest/metrics';
import { frameFrom } from '../support/frames';

function close(actual: number, expected: number, tolerance = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);
}

describe('metrics (hand-computed)', () => {
  // 10 shares bought at 100 with 1000 cash at bar 0's close; closes 110, 121, 108.9, 120.
  const frame = frameFrom({ X: [110, 121, 108.9, 120] });
  const fills = new FillLog();
  fills.push(0, 0, 10, 100, 1.5, 0.5);
  const ledger = replayFills(frame, fills, 1000);

  it('replays fills into equity marked at each close', () => {
    assert.deepEqual(Array.from(ledger.equity).map((v) => Math.round(v * 1e6) / 1e6), [1098.5, 1208.5, 1087.5, 1198.5]);
    close(ledger.tradedNotional, 1000);
    close(ledger.commissions, 1.5);
  });

  it('computes every metric from equity and fills', () => {
    // Returns r = [0.1, 0.1, −0.1, 0.1019283746556474] on equity 1100, 1210, 1089, 1200 (no fees).
    const clean = new FillLog();
    clean.push(0, 0, 10, 100, 0, 0);
    const metrics = computeMetrics({ ledger: replayFills(frame, clean, 1000), trades: 1, initialCash: 1000, barsPerYear: 252 });
    close(metrics.total_return, 0.2);
    close(metrics.ann_vol, 1.5926181653876204);
    close(metrics.sharpe, 7.987782558168657);
    close(metrics.sortino, 16.027567859589652);
    close(metrics.max_drawdown, 0.1);
    close(metrics.cagr, 97367.50480227197, 1e-6);
    close(metrics.calmar, 973675.0480227199, 1e-6);
    close(metrics.exposure, 1);
    close(metrics.turnover, 1000 / ((1100 + 1210 + 1089 + 1200) / 4) / (4 / 252));
    assert.equal(metrics.trades, 1);
    close(metrics.fees, 0);
  });

  it('counts commissions and slippage as fees', () => {
    const metrics = computeMetrics({ ledger, trades: 1, initialCash: 1000, barsPerYear: 252 });
    close(metrics.fees, 2);
  });

  it('gives zeros, not NaN, for a flat run', () => {
    const metrics = computeMetrics({ ledger: replayFills(frame, new FillLog(), 1000), trades: 0, initialCash: 1000, barsPerYear: 252 });
    for (const [name, value] of Object.entries(metrics)) assert.equal(value, 0, name);
  });

  it('drawdown series is relative to the running peak, starting cash included', () => {
    assert.deepEqual(Array.from(drawdownSeries(Float64Array.from([900, 1200, 600, 1200]), 1000)), [0.09999999999999998, 0, 0.5, 0]);
  });
});
