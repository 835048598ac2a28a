import { strict as assert } from 'node:assert';
import { FillLog } from '../../src/core/backtest/engines/fills';
import { replayFills } from '../../src/core/backtest/engines/ledger';
import { computeMetrics, countRoundTrips, drawdownSeries } from '../../src/core/backtest/metrics';
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
    const metrics = computeMetrics({ ledger: replayFills(frame, clean, 1000), fills: clean, initialCash: 1000, barsPerYear: 252 });
    close(metrics.total_return, 0.2);
    close(metrics.ann_vol, 1.5926181653876204);
    close(metrics.sharpe, 7.987782558168657);
    close(metrics.sortino, 16.027567859589652);
    close(metrics.max_drawdown, 0.1);
    close(metrics.cagr, 97367.50480227197, 1e-6);
    close(metrics.calmar, 973675.0480227199, 1e-6);
    close(metrics.exposure, 1);
    close(metrics.turnover, 1000 / ((1100 + 1210 + 1089 + 1200) / 4) / (4 / 252));
    assert.equal(metrics.trades, 1); // one position, still open at the end
    assert.equal(metrics.fills, 1);
    close(metrics.fees, 0);
  });

  it('counts commissions and slippage as fees', () => {
    const metrics = computeMetrics({ ledger, fills, initialCash: 1000, barsPerYear: 252 });
    close(metrics.fees, 2);
  });

  it('gives zeros, not NaN, for a flat run', () => {
    const none = new FillLog();
    const metrics = computeMetrics({ ledger: replayFills(frame, none, 1000), fills: none, initialCash: 1000, barsPerYear: 252 });
    for (const [name, value] of Object.entries(metrics)) assert.equal(value, 0, name);
  });

  it('drawdown series is relative to the running peak, starting cash included', () => {
    assert.deepEqual(Array.from(drawdownSeries(Float64Array.from([900, 1200, 600, 1200]), 1000)), [0.09999999999999998, 0, 0.5, 0]);
  });
});

describe('metrics: trades are round trips, fills are orders filled (hand-computed)', () => {
  /** A fill log from [bar, symbol, signed quantity] rows (prices and costs do not matter here). */
  const log = (rows: [number, number, number][]) => {
    const fills = new FillLog();
    for (const [bar, symbol, quantity] of rows) fills.push(bar, symbol, quantity, 100, 0, 0);
    return fills;
  };
  const frame = frameFrom({ A: [100, 100, 100, 100, 100, 100, 100], B: [50, 50, 50, 50, 50, 50, 50] });
  const counts = (fills: FillLog) => {
    const metrics = computeMetrics({ ledger: replayFills(frame, fills, 1000), fills, initialCash: 1000, barsPerYear: 252 });
    return [metrics.trades, metrics.fills];
  };

  it('long → flat → long → flat: 2 trades, 4 fills', () => {
    assert.deepEqual(counts(log([[0, 0, 10], [1, 0, -10], [2, 0, 5], [3, 0, -5]])), [2, 4]);
  });

  it('a flip closes one position and opens another: long → short → flat is 2 trades, 3 fills', () => {
    assert.deepEqual(counts(log([[0, 0, 10], [2, 0, -20], [4, 0, 10]])), [2, 3]);
  });

  it('a position still open at the end counts: long → flat → long is 2 trades', () => {
    assert.deepEqual(counts(log([[0, 0, 10], [1, 0, -10], [2, 0, 7]])), [2, 3]);
  });

  it('adding to or partly reducing a position is not a new trade', () => {
    // Buy 10, add 5, sell 5, add 5, sell all 15: one position, 5 fills (vectorbt: positions.count() 1).
    assert.deepEqual(counts(log([[0, 0, 10], [1, 0, 5], [2, 0, -5], [3, 0, 5], [4, 0, -15]])), [1, 5]);
    // Short 10, cover 5, still short at the end: one position.
    assert.deepEqual(counts(log([[0, 0, -10], [2, 0, 5]])), [1, 2]);
  });

  it('counts each symbol on its own', () => {
    // A: long then flat (1); B: short, flip long, still open (2).
    assert.deepEqual(counts(log([[0, 0, 10], [0, 1, -4], [1, 1, 8], [2, 0, -10]])), [3, 4]);
  });

  it('a remainder within floating error of zero is flat: closing and reopening is a new trade', () => {
    // 0.1 + 0.2 − 0.3 is 5.55e-17, not 0: without the tolerance the sale of 0.3 would leave a
    // "position" that the next buy adds to instead of opening a new one.
    const fills = log([[0, 0, 0.1], [0, 0, 0.2], [1, 0, -0.3], [2, 0, 1]]);
    assert.equal(countRoundTrips(fills), 2);
  });

  it('no fills: no trades', () => {
    assert.equal(countRoundTrips(new FillLog()), 0);
  });
});
