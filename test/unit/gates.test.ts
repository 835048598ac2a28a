import { strict as assert } from 'node:assert';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrices } from '../../src/core/backtest/data/load';
import type { PriceFrame } from '../../src/core/backtest/data/frame';
import { builtinEngine } from '../../src/core/backtest/engines/builtin';
import { quickEngine } from '../../src/core/backtest/engines/quick';
import { backtest } from '../../src/core/backtest/run';
import { computeTargets } from '../../src/core/backtest/signals';
import { parseStrategy } from '../../src/core/backtest/strategy/load';
import type { StrategyInput, Timing } from '../../src/core/backtest/strategy/schema';
import { GateConfigSchema } from '../../src/core/evidence/gates/config';
import { breakEvenCostMultiple, topOverlaps } from '../../src/core/evidence/gates/costSensitivity';
import { evidenceGate } from '../../src/core/evidence/gates/evidence';
import { EARNED_RETURN, leakageGate } from '../../src/core/evidence/gates/leakage';
import { runPrecheck } from '../../src/core/evidence/precheck';
import { seededRandom } from '../../src/core/evidence/stats';
import { DAILY, cleanupTempDirs, runCli, tempDir, writeJson } from '../support/fixtures';

const GATES = GateConfigSchema.parse({});
const FILES = ['SPY', 'QQQ', 'TLT', 'GLD', 'AAPL', 'MSFT'];
const CASH = 1_000_000;

function doc(signal: Record<string, unknown>, extra: Partial<StrategyInput> = {}): StrategyInput {
  return { name: 'gate-test', version: '1.0.0', universe: ['SPY'], signal, costs: { commission_bps: 1, slippage_bps: 2 }, ...extra } as StrategyInput;
}

/** The leakage and evidence gates of a strategy document on a frame (targets, quick and built-in runs as the precheck makes them). */
async function gatesOf(document: StrategyInput, frame: PriceFrame, dir: string) {
  const loaded = parseStrategy(document, 'strategy.json', dir);
  const targets = computeTargets(loaded.strategy, { frame, strategyDir: dir });
  const quick = await backtest(loaded.strategy, frame, targets, quickEngine, CASH);
  const precise = await backtest(loaded.strategy, frame, targets, builtinEngine, CASH);
  const leakage = await leakageGate({ strategy: loaded.strategy, frame, strategyDir: dir, targets, quick, cash: CASH }, GATES.leakage);
  return { leakage, evidence: evidenceGate(loaded.strategy, frame, precise, GATES.evidence), quick };
}

/** The return a position targeted at bar t earns under each timing (as DESIGN defines fills). */
function earned(frame: PriceFrame, timing: Timing, t: number): number {
  const close = frame.close[0];
  const open = frame.open[0];
  if (timing === 'close') return close[t + 1] / close[t] - 1;
  if (timing === 'next_close') return close[t + 2] / close[t + 1] - 1;
  return open[t + 2] / open[t + 1] - 1;
}

/** A weights file whose weight at t is chosen by `weight(t)`; bars whose earned return is unknown get 0. */
function weightsFile(dir: string, frame: PriceFrame, weight: (t: number) => number): string {
  const lines = ['date,symbol,weight'];
  for (let t = 0; t < frame.times.length; t += 1) lines.push(`${new Date(frame.times[t]).toISOString().slice(0, 10)},SPY,${weight(t)}`);
  writeFileSync(join(dir, 'weights.csv'), lines.join('\n') + '\n');
  return 'weights.csv';
}

describe('gates that gate', () => {
  after(cleanupTempDirs);
  const spy = loadPrices(join(DAILY, 'SPY.csv'), { universe: ['SPY'] });

  describe('leakage: judged on the return each position earns under its timing', () => {
    for (const timing of ['next_close', 'close', 'next_open'] as const) {
      for (const allowShort of [false, true]) {
        it(`weights from the sign of the return the position will earn fail (${timing}, ${allowShort ? 'long/short' : 'long-only'})`, async () => {
          const dir = tempDir();
          const known = (t: number) => t + 2 < spy.times.length;
          const file = weightsFile(dir, spy, (t) => (!known(t) ? 0 : earned(spy, timing, t) > 0 ? 1 : allowShort ? -1 : 0));
          const { leakage, evidence } = await gatesOf(doc({ type: 'weights', file }, { execution: { timing }, sizing: { type: 'equal_weight', gross: 1, allow_short: allowShort } }), spy, dir);
          assert.equal(leakage.passed, false, leakage.summary);
          assert.match(leakage.summary, /correlate .* with the return they will earn/);
          const statistic = leakage.details.statistic as { lag: string; p_value: number; r: number };
          assert.equal(statistic.lag, EARNED_RETURN[timing]);
          assert.ok(statistic.r > 0.5 && statistic.p_value < 1e-12, JSON.stringify(statistic));
          // The result is also implausible, and it does not survive a bar of delay.
          assert.equal(evidence.passed, false);
          assert.match(evidence.summary, /implausible: a Sharpe ratio of [0-9.]+ over 31\.1 years is above 4; look for look-ahead/);
          assert.match(leakage.summary, /falls to -?[0-9.]+ with one more bar of delay/);
        });
      }
    }

    it('a 10% partial leak (an SMA cross that peeks on one day in ten) fails', async () => {
      const dir = tempDir();
      const base = computeTargets(parseStrategy(doc({ type: 'sma_cross', fast: 10, slow: 30 }), 'base', dir).strategy, { frame: spy, strategyDir: dir }).weights[0];
      const random = seededRandom(7);
      const file = weightsFile(dir, spy, (t) => (t + 2 < spy.times.length && random() < 0.1 ? (earned(spy, 'next_close', t) > 0 ? 1 : 0) : base[t]));
      const { leakage } = await gatesOf(doc({ type: 'weights', file }), spy, dir);
      assert.equal(leakage.passed, false, leakage.summary);
      // Its correlation (~0.06) is no larger than an honest RSI(2)'s; what gives it away is that it vanishes one bar later.
      assert.match(leakage.summary, /but -?0\.0[0-9]+ one bar later: an edge that vanishes with a bar of delay is look-ahead/);
    });

    it('a weights file computed from past prices only passes (no false alarm on an honest file)', async () => {
      const dir = tempDir();
      const close = spy.close[0];
      const file = weightsFile(dir, spy, (t) => (t >= 50 && close[t] > close.slice(t - 49, t + 1).reduce((a, b) => a + b, 0) / 50 ? 1 : 0));
      const { leakage } = await gatesOf(doc({ type: 'weights', file }), spy, dir);
      assert.equal(leakage.passed, true, leakage.summary);
    });
  });

  describe('no false alarms: every built-in signal with reasonable parameters on every shared daily file', () => {
    const signals: Record<string, unknown>[] = [
      { type: 'buy_and_hold' },
      { type: 'sma_cross', fast: 10, slow: 30 },
      { type: 'sma_cross', fast: 20, slow: 100, mode: 'state' },
      { type: 'sma_cross', fast: 5, slow: 20, mode: 'state' },
      { type: 'ema_cross', fast: 12, slow: 26 },
      { type: 'mean_reversion', lookback: 20, entry_z: 2, exit_z: 0.5 },
      { type: 'mean_reversion', lookback: 5, entry_z: 1, exit_z: 0 },
      { type: 'rsi', period: 14, lower: 30, upper: 70 },
      // Short-horizon reversal: a genuine edge concentrated in the next bar, the hardest honest case.
      { type: 'rsi', period: 2, lower: 10, upper: 90 },
    ];
    for (const symbol of FILES) {
      it(`${symbol}: leakage and evidence pass for ${signals.length} signals, long-only and long/short, under each timing`, async () => {
        const frame = loadPrices(join(DAILY, `${symbol}.csv`), { universe: [symbol] });
        const failures: string[] = [];
        for (const signal of signals) {
          for (const allowShort of [false, true]) {
            for (const timing of ['next_close', 'close', 'next_open'] as const) {
              const { leakage, evidence } = await gatesOf(doc(signal, { universe: [symbol], sizing: { type: 'equal_weight', gross: 1, allow_short: allowShort }, execution: { timing } }), frame, DAILY);
              for (const gate of [leakage, evidence]) if (!gate.passed) failures.push(`${JSON.stringify(signal)} ${allowShort ? 'long/short' : 'long'} ${timing}: ${gate.name}: ${gate.summary}`);
            }
          }
        }
        assert.deepEqual(failures, []);
      });
    }

    it('momentum over all six files (their common span), long-only and long/short', async () => {
      const folder = tempDir();
      for (const symbol of FILES) copyFileSync(join(DAILY, `${symbol}.csv`), join(folder, `${symbol}.csv`));
      const frame = loadPrices(folder, { universe: FILES });
      for (const allowShort of [false, true]) {
        const { leakage, evidence } = await gatesOf(doc({ type: 'momentum', lookback: 126, top_n: 2, rebalance_every: 21 }, { universe: FILES, sizing: { type: 'equal_weight', gross: 1, allow_short: allowShort } }), frame, folder);
        assert.equal(leakage.passed, true, leakage.summary);
        assert.equal(evidence.passed, true, evidence.summary);
      }
    });
  });

  describe('evidence: something was tested, and it is plausible', () => {
    it('degenerate runs fail the precheck: one bar, windows longer than the data, four bars without a trade', async () => {
      const dir = tempDir();
      const cases: [string, StrategyInput, PriceFrame][] = [
        ['a window longer than the data', doc({ type: 'sma_cross', fast: 10, slow: 1_000_000_000 }), spy],
        ['a momentum lookback longer than the data', doc({ type: 'momentum', lookback: 1_000_000_000, top_n: 1, rebalance_every: 1 }), spy],
        ['four bars', doc({ type: 'sma_cross', fast: 1, slow: 2 }), loadPrices(join(DAILY, 'SPY.csv'), { universe: ['SPY'], start: '2020-03-02', end: '2020-03-05' })],
      ];
      for (const [what, document, frame] of cases) {
        const report = await runPrecheck({ strategy: parseStrategy(document, 'strategy.json', dir), frame, precise: builtinEngine, config: GATES, cash: CASH });
        assert.equal(report.passed, false, what);
        const evidence = report.gates.find((gate) => gate.name === 'evidence');
        assert.equal(evidence?.passed, false, `${what}: ${evidence?.summary}`);
      }
    });

    it('the CLI: a one-bar file and a window of four bars are exit 1 with the evidence gate failing, never a crash', () => {
      const ws = tempDir();
      writeFileSync(join(ws, 'one.csv'), 'date,open,high,low,close,volume\n2024-01-02,100,101,99,100.5,1000\n');
      writeJson(join(ws, 'strategy.json'), doc({ type: 'buy_and_hold' }));
      mkdirSync(join(ws, 'prices'));
      copyFileSync(join(DAILY, 'SPY.csv'), join(ws, 'prices', 'SPY.csv'));
      for (const args of [
        ['--prices', 'one.csv', '--symbol', 'SPY'],
        ['--prices', 'prices/SPY.csv', '--start', '2020-03-02', '--end', '2020-03-05'],
      ]) {
        const run = runCli(['deploy', 'precheck', '--strategy', 'strategy.json', '--engine', 'builtin', '--fmt', 'json', ...args], ws);
        assert.equal(run.code, 1, run.stderr);
        const report = JSON.parse(run.stdout);
        assert.equal(report.gates.find((gate: { name: string }) => gate.name === 'evidence').passed, false);
      }
    });

    it('a year of SPY with SMA 10/30 (the seed\'s example) passes', async () => {
      const dir = tempDir();
      const frame = loadPrices(join(DAILY, 'SPY.csv'), { universe: ['SPY'], start: '2023-01-01', end: '2024-01-01' });
      const report = await runPrecheck({ strategy: parseStrategy(doc({ type: 'sma_cross', fast: 10, slow: 30 }), 'strategy.json', dir), frame, precise: builtinEngine, config: GATES, cash: CASH });
      assert.equal(report.passed, true, report.gates.map((gate) => `${gate.name}: ${gate.summary}`).join('\n'));
    });
  });

  describe('cost_sensitivity', () => {
    it('ties within the tolerance do not flip the ranking; a real change still does', () => {
      const labels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
      const at = (multiplier: number, sharpe: Record<string, number>) => ({ multiplier, sharpe, top: [...labels].sort((x, y) => sharpe[y] - sharpe[x]).slice(0, 3) });
      const base = { a: 1.2, b: 1.0, c: 0.8002, d: 0.8, e: 0.3, f: 0.2, g: 0.1, h: 0, i: -0.1 };
      // At ×1.5 the 3rd and 4th swap on a 0.0002 difference.
      const rankings = [at(0.5, base), at(1, base), at(1.5, { ...base, c: 0.7, d: 0.7002 })];
      assert.equal(topOverlaps(rankings, labels, 3, 0).worst, 2 / 3);
      assert.equal(topOverlaps(rankings, labels, 3, 0.01).worst, 1);
      const flipped = [at(0.5, base), at(1, base), at(1.5, { ...base, a: 0.1, b: 0.1, e: 1.5, f: 1.4 })];
      assert.equal(topOverlaps(flipped, labels, 3, 0.01).worst, 1 / 3);
    });

    it('the break-even cost multiple is where the Sharpe ratio reaches 0', async () => {
      const dir = tempDir();
      const strategy = parseStrategy(doc({ type: 'sma_cross', fast: 5, slow: 20 }, { costs: { commission_bps: 5, slippage_bps: 5 } }), 's', dir).strategy;
      const targets = computeTargets(strategy, { frame: spy, strategyDir: dir });
      const multiple = await breakEvenCostMultiple(strategy, spy, targets, CASH);
      assert.ok(multiple !== null && multiple > 0, `break-even ${multiple}`);
      const sharpeAt = async (m: number) => (await backtest({ ...strategy, costs: { commission_bps: 5 * m, slippage_bps: 5 * m, min_commission: 0 } }, spy, targets, quickEngine, CASH)).metrics.sharpe;
      assert.ok((await sharpeAt(multiple * 0.99)) > 0);
      assert.ok((await sharpeAt(multiple * 1.01)) < 0);
    });
  });
});
