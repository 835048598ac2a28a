// The per-symbol breakdown of precheck and canary reports (issue 15): a hand-computed case, and on
// the shared daily files (test/data/daily, copied from ../shared/data) the identities that make it
// trustworthy: contributions add up to the total return, round trips to `trades`, fees to `fees`,
// gross exposures to the mean of the ledger's gross.
import { strict as assert } from 'node:assert';
import { loadPrices } from '../../src/core/backtest/data/load';
import { builtinEngine } from '../../src/core/backtest/engines/builtin';
import { FillLog } from '../../src/core/backtest/engines/fills';
import { replayFills } from '../../src/core/backtest/engines/ledger';
import { quickEngine } from '../../src/core/backtest/engines/quick';
import { computeMetrics } from '../../src/core/backtest/metrics';
import { backtest } from '../../src/core/backtest/run';
import { computeTargets } from '../../src/core/backtest/signals';
import { parseStrategy } from '../../src/core/backtest/strategy/load';
import { symbolBreakdown } from '../../src/core/evidence/breakdown';
import { GateConfigSchema } from '../../src/core/evidence/gates/config';
import { runPrecheck } from '../../src/core/evidence/precheck';
import { PrecheckReportSchema } from '../../src/core/evidence/reports/schema';
import { CanaryConfigSchema } from '../../src/core/evidence/gates/config';
import { runCanary } from '../../src/core/evidence/canary';
import { TEXT_BREAKDOWN_ROWS, breakdownLines, formatCanary, formatPrecheck } from '../../src/core/evidence/reportText';
import { DAILY } from '../support/fixtures';
import { frameFrom } from '../support/frames';

const close = (actual: number, expected: number, what: string, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} ≠ ${expected}`);

describe('per-symbol breakdown', () => {
  it('matches a hand-computed case: two symbols, five fills, known fees', () => {
    // A: long 10 on bar 0, flat on bar 2, long 5 again on bar 3 (held to the end).
    // B: short 5 on bar 1, covered on bar 3.
    const frame = frameFrom({ A: [10, 11, 12, 13, 14], B: [20, 19, 18, 22, 21] });
    const fills = new FillLog();
    fills.push(0, 0, 10, 10.01, 1, 0.1);
    fills.push(1, 1, -5, 18.99, 1, 0.05);
    fills.push(2, 0, -10, 11.99, 1, 0.1);
    fills.push(3, 1, 5, 22.02, 1, 0.1);
    fills.push(3, 0, 5, 13, 0.5, 0);
    const cash = 1000;
    const ledger = replayFills(frame, fills, cash);
    // Equity by hand: cash after each bar's fills plus positions at the close.
    const equity = [898.9 + 100, 992.85 + 110 - 95, 1111.75 - 90, 935.15 + 65, 935.15 + 70];
    equity.forEach((value, bar) => close(ledger.equity[bar], value, `equity[${bar}]`, 1e-9));

    const [a, b] = symbolBreakdown(frame, fills, ledger, cash);
    // A: −100.1 − 1 + 119.9 − 1 − 65 − 0.5 in cash, plus 5 × 14 held at the last close.
    assert.equal(a.symbol, 'A');
    close(a.pnl, 22.3, 'A pnl', 1e-9);
    close(a.contribution, 0.0223, 'A contribution', 1e-12);
    assert.equal(a.round_trips, 2);
    assert.equal(a.fills, 3);
    close(a.fees, 1.1 + 1.1 + 0.5, 'A fees');
    close(a.exposure, 4 / 5, 'A exposure (bars 0, 1, 3, 4)');
    close(a.gross_exposure, (100 / equity[0] + 110 / equity[1] + 65 / equity[3] + 70 / equity[4]) / 5, 'A gross exposure');
    // B: +94.95 − 1 − 110.1 − 1, nothing held.
    assert.equal(b.symbol, 'B');
    close(b.pnl, -17.15, 'B pnl', 1e-9);
    close(b.contribution, -0.01715, 'B contribution', 1e-12);
    assert.equal(b.round_trips, 1);
    assert.equal(b.fills, 2);
    close(b.fees, 1.05 + 1.1, 'B fees');
    close(b.exposure, 2 / 5, 'B exposure (bars 1, 2)');
    close(b.gross_exposure, (95 / equity[1] + 90 / equity[2]) / 5, 'B gross exposure');

    const metrics = computeMetrics({ ledger, fills, initialCash: cash, barsPerYear: 252 });
    close(a.contribution + b.contribution, metrics.total_return, 'Σ contribution = total_return', 1e-12);
    close(metrics.total_return, 0.00515, 'total return by hand', 1e-12);
    assert.equal(a.round_trips + b.round_trips, metrics.trades);
    close(a.fees + b.fees, metrics.fees, 'Σ fees');
  });

  it('lists every universe symbol, with zeros for one never traded, and handles no fills', () => {
    const frame = frameFrom({ A: [1, 2, 3], B: [4, 5, 6] });
    const none = symbolBreakdown(frame, new FillLog(), replayFills(frame, new FillLog(), 100), 100);
    assert.deepEqual(none, ['A', 'B'].map((symbol) => ({ symbol, contribution: 0, pnl: 0, round_trips: 0, fills: 0, fees: 0, exposure: 0, gross_exposure: 0 })));
    const fills = new FillLog();
    fills.push(1, 1, 2, 5, 0, 0);
    const rows = symbolBreakdown(frame, fills, replayFills(frame, fills, 100), 100);
    assert.deepEqual(rows[0], none[0]);
    close(rows[1].pnl, 2, 'B pnl (2 × (6 − 5))');
  });

  describe('on the shared daily files, both channels', () => {
    const ALL = ['AAPL', 'GLD', 'MSFT', 'QQQ', 'SPY', 'TLT'];
    const CASES: Record<string, Record<string, unknown>> = {
      momentum: { universe: ALL, signal: { type: 'momentum', lookback: 63, top_n: 2, rebalance_every: 21 }, costs: { commission_bps: 1, slippage_bps: 2, min_commission: 1 }, execution: { timing: 'close', lot_size: 1 } },
      sma_state: { universe: ALL, signal: { type: 'sma_cross', fast: 20, slow: 100, mode: 'state' }, costs: { commission_bps: 1, slippage_bps: 2, min_commission: 1 } },
      mean_reversion_short: { universe: ['AAPL', 'MSFT', 'GLD'], signal: { type: 'mean_reversion', lookback: 20, entry_z: 1.5, exit_z: 0.25 }, sizing: { allow_short: true, gross: 1.5 }, costs: { commission_bps: 2, slippage_bps: 1, min_commission: 0.5 } },
      rsi_lots: { universe: ['SPY', 'TLT', 'GLD'], signal: { type: 'rsi', period: 14, lower: 30, upper: 70 }, costs: { commission_bps: 1, slippage_bps: 2, min_commission: 1 }, execution: { lot_size: 10 } },
    };
    for (const [name, document] of Object.entries(CASES)) {
      it(`${name}: contributions add up to the total return (1e-9), round trips, fees and gross exposure to theirs`, async () => {
        const loaded = parseStrategy({ name, version: '1.0.0', ...document }, 'strategy.json', DAILY);
        const frame = loadPrices(DAILY, { universe: loaded.strategy.universe });
        const targets = computeTargets(loaded.strategy, { frame, strategyDir: DAILY });
        const cash = 1_000_000;
        for (const engine of [quickEngine, builtinEngine]) {
          const result = await backtest(loaded.strategy, frame, targets, engine, cash);
          const rows = symbolBreakdown(frame, result.fills, result.ledger, cash);
          const what = `${name} ${engine.name}`;
          assert.deepEqual(rows.map((row) => row.symbol), frame.symbols);
          assert.ok(result.metrics.trades > 0, `${what} trades`);
          const sum = (pick: (row: (typeof rows)[number]) => number) => rows.reduce((total, row) => total + pick(row), 0);
          close(sum((row) => row.contribution), result.metrics.total_return, `${what} Σ contribution`, 1e-9);
          close(sum((row) => row.pnl), result.ledger.equity[frame.times.length - 1] - cash, `${what} Σ pnl`, 1e-9 * cash);
          assert.equal(sum((row) => row.round_trips), result.metrics.trades, `${what} Σ round trips`);
          assert.equal(sum((row) => row.fills), result.metrics.fills, `${what} Σ fills`);
          close(sum((row) => row.fees), result.metrics.fees, `${what} Σ fees`, 1e-9 * Math.max(1, result.metrics.fees));
          const meanGross = result.ledger.gross.reduce((total, value) => total + value, 0) / frame.times.length;
          close(sum((row) => row.gross_exposure), meanGross, `${what} Σ gross exposure`, 1e-9);
          for (const row of rows) {
            assert.ok(row.exposure >= 0 && row.exposure <= 1, `${what} ${row.symbol} exposure ${row.exposure}`);
            assert.ok(row.exposure <= result.metrics.exposure + 1e-12, `${what} ${row.symbol} is in the market no more than the run`);
          }
        }
      });
    }
  });

  it('precheck reports carry it for the quick and the precise channel, and older reports without it still validate', async () => {
    const loaded = parseStrategy({ name: 'basket', version: '1.0.0', ...{ universe: ['SPY', 'TLT', 'GLD'], signal: { type: 'rsi', period: 14, lower: 30, upper: 70 } } }, 'strategy.json', DAILY);
    const frame = loadPrices(DAILY, { universe: loaded.strategy.universe });
    const report = await runPrecheck({ strategy: loaded, frame, precise: builtinEngine, config: GateConfigSchema.parse({}), cash: 1_000_000 });
    for (const channel of [report.quick, report.precise]) {
      assert.ok(channel.breakdown, `${channel.engine} breakdown`);
      assert.deepEqual(channel.breakdown.map((row) => row.symbol), ['SPY', 'TLT', 'GLD']);
      close(channel.breakdown.reduce((total, row) => total + row.contribution, 0), channel.metrics.total_return, `${channel.engine} Σ contribution`, 1e-9);
    }
    assert.match(formatPrecheck(report), /^  symbol +quick +builtin +trips +fees +in mkt +gross$/m);
    const parsed = PrecheckReportSchema.parse(JSON.parse(JSON.stringify(report)));
    assert.deepEqual(parsed.quick.breakdown, report.quick.breakdown);
    const older = JSON.parse(JSON.stringify(report));
    delete older.quick.breakdown;
    delete older.precise.breakdown;
    assert.equal(PrecheckReportSchema.parse(older).quick.breakdown, undefined);
  });

  it('canary reports carry it for the candidate (and CURRENT), and the text output shows it', async () => {
    const loaded = parseStrategy({ name: 'basket', version: '1.0.0', universe: ['SPY', 'TLT', 'GLD'], signal: { type: 'rsi', period: 14, lower: 30, upper: 70 } }, 'strategy.json', DAILY);
    const frame = loadPrices(DAILY, { universe: loaded.strategy.universe });
    const report = await runCanary({ strategy: loaded, frame, config: CanaryConfigSchema.parse({}), baseline: { strategy: loaded, manifest_hash: 'a'.repeat(64), frame } });
    for (const channel of [report.candidate, report.baseline]) {
      assert.ok(channel?.breakdown);
      close(channel.breakdown.reduce((total, row) => total + row.contribution, 0), channel.metrics.total_return, 'canary Σ contribution', 1e-9);
    }
    const text = formatCanary(report);
    assert.match(text, /by symbol: contribution to the total return; round trips, fees, time in market and mean gross exposure of candidate/);
    for (const symbol of ['SPY', 'TLT', 'GLD']) assert.match(text, new RegExp(`^  ${symbol} +[+-]?\\d+\\.\\d\\d% +\\d+ +\\d+\\.\\d\\d +\\d+\\.\\d% +\\d\\.\\d\\d$`, 'm'));
  });

  it('the text lists a large universe by its largest contributions, both channels side by side', () => {
    const row = (symbol: string, contribution: number) => ({ symbol, contribution, pnl: 0, round_trips: 1, fills: 2, fees: 0.5, exposure: 0.25, gross_exposure: 0.1 });
    const rows = Array.from({ length: 14 }, (_, index) => row(`S${index}`, (index % 2 ? -1 : 1) * index / 100));
    const lines = breakdownLines({ title: 'builtin', rows }, { title: 'quick', rows });
    assert.equal(lines.length, 2 + TEXT_BREAKDOWN_ROWS + 1);
    assert.match(lines[2], /^  S13 +-13\.00% +-13\.00% +1 +0\.50 +25\.0% +0\.10$/);
    assert.equal(lines.at(-1), '  … 4 more symbols in the JSON report');
    assert.ok(!lines.some((line) => /^  S[0-3] /.test(line)));
  });
});
