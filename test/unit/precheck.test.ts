import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrices } from '../../src/core/backtest/data/load';
import { builtinEngine } from '../../src/core/backtest/engines/builtin';
import type { Engine } from '../../src/core/backtest/engines/types';
import { GateConfigSchema } from '../../src/core/evidence/gates/config';
import { runPrecheck } from '../../src/core/evidence/precheck';
import type { PrecheckReport } from '../../src/core/evidence/reports/schema';
import { parseStrategy } from '../../src/core/backtest/strategy/load';
import { seededRandom } from '../support/frames';
import { DAILY, EXAMPLES, cleanupTempDirs, tempDir } from '../support/fixtures';

const SPY = join(EXAMPLES, 'prices', 'SPY.csv');
const DEFAULTS = GateConfigSchema.parse({});

function strategyOf(document: Record<string, unknown>, dir = EXAMPLES) {
  return parseStrategy({ name: 'test', version: '1.0.0', ...document }, 'strategy.json', dir);
}

async function precheck(document: Record<string, unknown>, prices: { path: string; start?: string; end?: string }, options: { precise?: Engine; dir?: string; cash?: number } = {}): Promise<PrecheckReport> {
  const strategy = strategyOf(document, options.dir);
  const frame = loadPrices(prices.path, { universe: strategy.strategy.universe, start: prices.start, end: prices.end });
  return runPrecheck({ strategy, frame, precise: options.precise ?? builtinEngine, config: DEFAULTS, cash: options.cash ?? 1_000_000 });
}

function gate(report: PrecheckReport, name: string) {
  const found = report.gates.find((g) => g.name === name);
  assert.ok(found, `no ${name} gate`);
  return found;
}

describe('precheck on real daily prices', () => {
  after(cleanupTempDirs);

  it('buy and hold: total return is last/first close minus costs, in both engines', async () => {
    const frame = loadPrices(SPY, { universe: ['SPY'] });
    const first = frame.close[0][0];
    const last = frame.close[0][frame.times.length - 1];
    const noCosts = await precheck({ universe: ['SPY'], signal: { type: 'buy_and_hold' }, execution: { timing: 'close', lot_size: 0 } }, { path: SPY });
    assert.ok(Math.abs(noCosts.quick.metrics.total_return - (last / first - 1)) < 1e-9);
    assert.ok(Math.abs(noCosts.precise.metrics.total_return - (last / first - 1)) < 1e-9);
    // Quick: all the cash spent at close × (1 + slippage) with the commission included (vectorbt's
    // sizing: cost and fee fit the cash), held to the end.
    const withCosts = await precheck(
      { universe: ['SPY'], signal: { type: 'buy_and_hold' }, costs: { commission_bps: 10, slippage_bps: 20 }, execution: { timing: 'close', lot_size: 0 } },
      { path: SPY },
    );
    const costFactor = (1 + 0.002) * (1 + 0.001);
    assert.ok(Math.abs(withCosts.quick.metrics.total_return - (last / first / costFactor - 1)) < 1e-9, `${withCosts.quick.metrics.total_return}`);
    assert.equal(withCosts.quick.metrics.trades, 1);
    assert.equal(withCosts.quick.metrics.fills, 1);
    assert.ok(withCosts.passed, JSON.stringify(withCosts.gates.filter((g) => !g.passed)));
  });

  it('sma_cross on SPY passes every gate and the engines agree closely', async () => {
    const report = await precheck({ universe: ['SPY'], signal: { type: 'sma_cross', fast: 10, slow: 30 }, costs: { commission_bps: 1, slippage_bps: 2 }, grid: { 'signal.fast': [5, 10, 20], 'signal.slow': [30, 50, 100] } }, { path: join(DAILY, 'SPY.csv') });
    assert.equal(report.passed, true, JSON.stringify(report.gates.filter((g) => !g.passed)));
    assert.equal(report.data.bars, 7843);
    assert.equal(report.precise.engine, 'builtin');
    assert.ok(gate(report, 'consistency').value < 0.02);
    assert.ok(report.quick.metrics.trades > 50);
    assert.ok(Math.abs(report.quick.metrics.sharpe - report.precise.metrics.sharpe) < 0.02);
    assert.ok(report.quick.series.equity.length <= 2000 && report.quick.series.times.length === report.quick.series.equity.length);
  });

  it('momentum over SPY, QQQ, TLT and GLD (a directory of files) aligns them and passes', async () => {
    const report = await precheck(
      { universe: ['SPY', 'QQQ', 'TLT', 'GLD'], signal: { type: 'momentum', lookback: 60, top_n: 2, rebalance_every: 21 }, costs: { commission_bps: 1, slippage_bps: 2 } },
      { path: DAILY, start: '2005-01-01' },
    );
    assert.deepEqual(report.data.symbols, ['SPY', 'QQQ', 'TLT', 'GLD']);
    assert.equal(report.data.start.slice(0, 10), '2005-01-03');
    assert.equal(report.passed, true, JSON.stringify(report.gates.filter((g) => !g.passed)));
    assert.ok(report.precise.metrics.exposure > 0.9);
    assert.ok(report.precise.metrics.max_drawdown > 0.05 && report.precise.metrics.max_drawdown < 0.6);
  });

  it('rsi and ema_cross on QQQ produce finite metrics from both engines', async () => {
    for (const signal of [{ type: 'rsi', period: 14, lower: 30, upper: 70 }, { type: 'ema_cross', fast: 12, slow: 26, mode: 'state' }]) {
      const report = await precheck({ universe: ['QQQ'], signal }, { path: join(DAILY, 'QQQ.csv'), start: '2010-01-01' });
      for (const metrics of [report.quick.metrics, report.precise.metrics]) {
        for (const [name, value] of Object.entries(metrics)) assert.ok(Number.isFinite(value), `${signal.type} ${name} = ${value}`);
      }
      assert.ok(report.quick.metrics.trades > 5, `${signal.type} traded ${report.quick.metrics.trades} times`);
      assert.equal(gate(report, 'consistency').passed, true);
    }
  });
});

describe('each precheck gate can fail', () => {
  after(cleanupTempDirs);

  it('leakage: a weights file built from the next bar\'s return fails', async () => {
    const frame = loadPrices(SPY, { universe: ['SPY'] });
    const dir = tempDir();
    const lines = ['date,symbol,weight'];
    for (let bar = 0; bar + 1 < frame.times.length; bar += 1) {
      const up = frame.close[0][bar + 1] > frame.close[0][bar];
      lines.push(`${new Date(frame.times[bar]).toISOString().slice(0, 10)},SPY,${up ? 1 : 0}`);
    }
    writeFileSync(join(dir, 'weights.csv'), lines.join('\n'));
    const report = await precheck({ universe: ['SPY'], signal: { type: 'weights', file: 'weights.csv' }, execution: { timing: 'close' } }, { path: SPY }, { dir });
    const leakage = gate(report, 'leakage');
    assert.equal(leakage.passed, false);
    assert.ok(leakage.value > 0.3, `correlation ${leakage.value}`);
    assert.equal(report.passed, false);
  });

  it('cold_start: a nondeterministic engine fails', async () => {
    const random = seededRandom(11);
    const flaky: Engine = {
      name: 'builtin',
      async run(input, options) {
        // Sizes every run differently, as an engine with hidden state or a race would.
        const scale = 0.5 + 0.5 * random();
        const weights = input.targets.weights.map((column) => column.map((weight) => weight * scale));
        return builtinEngine.run({ ...input, targets: { ...input.targets, weights } }, options);
      },
    };
    const report = await precheck({ universe: ['SPY'], signal: { type: 'sma_cross', fast: 10, slow: 30 } }, { path: SPY }, { precise: flaky });
    const coldStart = gate(report, "cold_start");
    assert.equal(coldStart.passed, false);
    assert.ok(coldStart.value > 0.01);
  });

  it('cost_sensitivity: a grid whose best variant changes with costs fails', async () => {
    const report = await precheck(
      { universe: ['SPY'], signal: { type: 'mean_reversion', lookback: 5, entry_z: 1, exit_z: 0.2 }, costs: { commission_bps: 5, slippage_bps: 5 }, grid: { 'signal.lookback': [3, 5, 60] } },
      { path: join(DAILY, 'SPY.csv'), start: '2005-01-01' },
    );
    const costs = gate(report, 'cost_sensitivity');
    assert.equal(costs.passed, false);
    assert.equal(costs.value, 0);
    const rankings = costs.details.rankings as { multiplier: number; top: string[] }[];
    assert.notDeepEqual(rankings[0].top, rankings[2].top);
  });

  it('consistency: whole 100-share lots on 15,000 of cash keep the precise engine flat and fail', async () => {
    const report = await precheck({ universe: ['SPY'], signal: { type: 'sma_cross', fast: 10, slow: 30 }, execution: { lot_size: 100 } }, { path: SPY }, { cash: 15_000 });
    const consistency = gate(report, 'consistency');
    assert.equal(consistency.passed, false);
    assert.equal(report.precise.metrics.trades, 0);
    assert.ok(report.quick.metrics.trades > 0);
    assert.match(consistency.summary, /total_return|sharpe|ann_vol|max_drawdown/);
  });
});
