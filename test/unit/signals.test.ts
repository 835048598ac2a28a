import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PriceFrame, sliceFrame } from '../../src/core/backtest/data/frame';
import { InputError } from '../../src/core/shared/errors';
import { ema, sma } from '../../src/core/backtest/signals/averages';
import { computeTargets } from '../../src/core/backtest/signals';
import { rollingZ } from '../../src/core/backtest/signals/meanReversion';
import { rsiValues } from '../../src/core/backtest/signals/rsi';
import type { TargetWeights } from '../../src/core/backtest/signals/types';
import { type Strategy, StrategySchema, type StrategyInput } from '../../src/core/backtest/strategy/schema';
import { frameFrom, randomFrame, seededRandom } from '../support/frames';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

function strategyFor(frame: PriceFrame, signal: StrategyInput['signal'], sizing: StrategyInput['sizing'] = {}): Strategy {
  return StrategySchema.parse({ name: 'test', version: '1', universe: frame.symbols, signal, sizing });
}

function targets(frame: PriceFrame, signal: StrategyInput['signal'], sizing: StrategyInput['sizing'] = {}, strategyDir = '.'): TargetWeights {
  return computeTargets(strategyFor(frame, signal, sizing), { frame, strategyDir });
}

const rows = (t: TargetWeights) => t.weights.map((column) => Array.from(column));
const flags = (t: TargetWeights) => Array.from(t.rebalance);

function assertClose(actual: ArrayLike<number>, expected: number[], tolerance: number, label = ''): void {
  assert.equal(actual.length, expected.length, `${label} length`);
  for (let i = 0; i < expected.length; i += 1) {
    if (Number.isNaN(expected[i])) assert.ok(Number.isNaN(actual[i]), `${label}[${i}]: ${actual[i]} should be NaN`);
    else assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${label}[${i}]: ${actual[i]} != ${expected[i]}`);
  }
}

describe('signals', () => {
  describe('buy_and_hold', () => {
    it('holds gross/N in every symbol from bar 0, one rebalance', () => {
      const frame = frameFrom({ A: [1, 2, 3], B: [3, 2, 1], C: [1, 1, 1], D: [5, 5, 5] });
      const t = targets(frame, { type: 'buy_and_hold' }, { gross: 2 });
      assert.deepEqual(rows(t), [
        [0.5, 0.5, 0.5],
        [0.5, 0.5, 0.5],
        [0.5, 0.5, 0.5],
        [0.5, 0.5, 0.5],
      ]);
      assert.deepEqual(flags(t), [1, 0, 0]);
    });
  });

  describe('moving averages', () => {
    it('sma and ema: defined from bar period-1, EMA seeded with the SMA', () => {
      const close = Float64Array.from([1, 2, 3, 2, 1, 2, 3]);
      assertClose(sma(close, 3), [NaN, NaN, 2, 7 / 3, 2, 5 / 3, 2], 1e-12, 'sma');
      assertClose(ema(close, 3), [NaN, NaN, 2, 2, 1.5, 1.75, 2.375], 1e-12, 'ema3');
      assertClose(ema(close, 2), [NaN, 1.5, 2.5, 13 / 6, 25 / 18, 97 / 54, 421 / 162], 1e-12, 'ema2');
      assertClose(sma(Float64Array.from([4, 5]), 3), [NaN, NaN], 0, 'short sma');
      assertClose(ema(Float64Array.from([4, 5]), 3), [NaN, NaN], 0, 'short ema');
    });

    it('the rolling SMA matches a direct window mean over 20k bars (no drift)', () => {
      const random = seededRandom(3);
      const close = Float64Array.from({ length: 20_000 }, () => 1000 + 1e6 * random());
      for (const period of [1, 7, 50]) {
        const fast = sma(close, period);
        for (let t = period - 1; t < close.length; t += 97) {
          let sum = 0;
          for (let j = t - period + 1; j <= t; j += 1) sum += close[j];
          assert.ok(Math.abs(fast[t] - sum / period) <= 1e-9 * (sum / period), `period ${period} bar ${t}`);
        }
      }
    });

    // fast 2 / slow 3 on 5 4 3 4 5 6 5 4 3: fast − slow from bar 2 = −.5 −.17 +.5 +.5 +.17 −.5 −.5
    const wave = [5, 4, 3, 4, 5, 6, 5, 4, 3];

    it('sma_cross (cross): long on the up-cross, short side on the down-cross, flat before', () => {
      const frame = frameFrom({ X: wave });
      const shorts = targets(frame, { type: 'sma_cross', fast: 2, slow: 3 }, { allow_short: true });
      assert.deepEqual(rows(shorts), [[0, 0, 0, 0, 1, 1, 1, -1, -1]]);
      assert.deepEqual(flags(shorts), [0, 0, 0, 0, 1, 0, 0, 1, 0]);
      const longOnly = targets(frame, { type: 'sma_cross', fast: 2, slow: 3 });
      assert.deepEqual(rows(longOnly), [[0, 0, 0, 0, 1, 1, 1, 0, 0]]);
      assert.deepEqual(flags(longOnly), [0, 0, 0, 0, 1, 0, 0, 1, 0]);
    });

    it('sma_cross (state): takes the side of fast vs slow from the first bar both exist', () => {
      const frame = frameFrom({ X: wave });
      const t = targets(frame, { type: 'sma_cross', fast: 2, slow: 3, mode: 'state' }, { allow_short: true });
      assert.deepEqual(rows(t), [[0, 0, -1, -1, 1, 1, 1, -1, -1]]);
      assert.deepEqual(flags(t), [0, 0, 1, 0, 1, 0, 0, 1, 0]);
    });

    it('cross vs state on a steady uptrend: state is long at once, cross waits for a cross', () => {
      const frame = frameFrom({ X: [1, 2, 3, 4, 5] });
      assert.deepEqual(rows(targets(frame, { type: 'sma_cross', fast: 2, slow: 3, mode: 'state' })), [[0, 0, 1, 1, 1]]);
      assert.deepEqual(rows(targets(frame, { type: 'sma_cross', fast: 2, slow: 3, mode: 'cross' })), [[0, 0, 0, 0, 0]]);
      assert.deepEqual(flags(targets(frame, { type: 'sma_cross', fast: 2, slow: 3, mode: 'cross' })), [0, 0, 0, 0, 0]);
    });

    it('a cross from exactly equal averages counts (≤ 0 to > 0); equality keeps the state', () => {
      const frame = frameFrom({ X: [3, 3, 3, 3, 4] });
      assert.deepEqual(rows(targets(frame, { type: 'sma_cross', fast: 2, slow: 3 })), [[0, 0, 0, 0, 1]]);
      assert.deepEqual(rows(targets(frame, { type: 'sma_cross', fast: 2, slow: 3, mode: 'state' })), [[0, 0, 0, 0, 1]]);
    });

    it('ema_cross differs from sma_cross on the same closes', () => {
      // ema2 − ema3 from bar 2: +.5 +.17 −.11 +.05 +.22 ; sma2 − sma3: +.5 +.17 −.5 −.17 +.5
      const frame = frameFrom({ X: [1, 2, 3, 2, 1, 2, 3] });
      const emaCross = targets(frame, { type: 'ema_cross', fast: 2, slow: 3 }, { allow_short: true });
      assert.deepEqual(rows(emaCross), [[0, 0, 0, 0, -1, 1, 1]]);
      assert.deepEqual(flags(emaCross), [0, 0, 0, 0, 1, 1, 0]);
      assert.deepEqual(rows(targets(frame, { type: 'ema_cross', fast: 2, slow: 3, mode: 'state' }, { allow_short: true })), [[0, 0, 1, 1, -1, 1, 1]]);
      assert.deepEqual(rows(targets(frame, { type: 'sma_cross', fast: 2, slow: 3 }, { allow_short: true })), [[0, 0, 0, 0, -1, -1, 1]]);
    });

    it('equal weight: each symbol is its own sleeve of gross/N', () => {
      const frame = frameFrom({ A: wave, B: [3, 3, 3, 3, 4, 4, 4, 4, 4], C: Array(9).fill(7), D: [9, 8, 7, 6, 5, 4, 3, 2, 1] });
      const t = targets(frame, { type: 'sma_cross', fast: 2, slow: 3 }, { gross: 2, allow_short: true });
      assert.deepEqual(rows(t), [
        [0, 0, 0, 0, 0.5, 0.5, 0.5, -0.5, -0.5],
        [0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5],
        [0, 0, 0, 0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0, 0, 0],
      ]);
      assert.deepEqual(flags(t), [0, 0, 0, 0, 1, 0, 0, 1, 0]);
      const state = targets(frame, { type: 'sma_cross', fast: 2, slow: 3, mode: 'state' }, { gross: 2, allow_short: true });
      assert.deepEqual(Array.from(state.weights[3]), [0, 0, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5]);
    });
  });

  describe('momentum', () => {
    // Scheduled bars 2, 4, 6 (lookback 2, every 2). Returns: bar 2 A .1 B .2 C 0 D −.1;
    // bar 4 A 0 B −.17 C .2 D 0; bar 6 A .09 B 0 C 0 D 0 (tie B, C, D: D is last in universe order).
    const frame = frameFrom({
      A: [10, 10, 11, 11, 11, 11, 12],
      B: [10, 10, 12, 12, 10, 10, 10],
      C: [10, 10, 10, 10, 12, 12, 12],
      D: [10, 10, 9, 9, 9, 9, 9],
    });
    const signal = { type: 'momentum', lookback: 2, top_n: 1, rebalance_every: 2 } as const;

    it('ranks by lookback return on schedule, holds in between; shorts the bottom with allow_short', () => {
      const t = targets(frame, signal, { allow_short: true });
      assert.deepEqual(rows(t), [
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 1, 1, -1, -1, 0],
        [0, 0, 0, 0, 1, 1, 0],
        [0, 0, -1, -1, 0, 0, -1],
      ]);
      assert.deepEqual(flags(t), [0, 0, 2, 0, 2, 0, 2]); // 2 = scheduled: every symbol back to its target
    });

    it('long only without allow_short; top_n splits gross', () => {
      const longOnly = targets(frame, signal);
      assert.deepEqual(rows(longOnly), [
        [0, 0, 0, 0, 0, 0, 1],
        [0, 0, 1, 1, 0, 0, 0],
        [0, 0, 0, 0, 1, 1, 0],
        [0, 0, 0, 0, 0, 0, 0],
      ]);
      const two = targets(frame, { ...signal, top_n: 2 }, { gross: 1.5, allow_short: true });
      // bar 2: B, A long; C, D short. bar 4: C then A/D tied at 0 → A; D, B short. bar 6: A then B (tie by order).
      assert.deepEqual(rows(two), [
        [0, 0, 0.75, 0.75, 0.75, 0.75, 0.75],
        [0, 0, 0.75, 0.75, -0.75, -0.75, 0.75],
        [0, 0, -0.75, -0.75, 0.75, 0.75, -0.75],
        [0, 0, -0.75, -0.75, -0.75, -0.75, -0.75],
      ]);
    });

    it('no short leg when 2·top_n exceeds the universe', () => {
      const three = frameFrom({ A: [1, 2, 3], B: [1, 1, 1], C: [1, 0.5, 0.25] });
      const t = targets(three, { type: 'momentum', lookback: 1, top_n: 2, rebalance_every: 1 }, { allow_short: true });
      assert.deepEqual(rows(t), [
        [0, 0.5, 0.5],
        [0, 0.5, 0.5],
        [0, 0, 0],
      ]);
    });

    it('flags every scheduled bar even when the targets do not change; ties go to universe order', () => {
      const two = frameFrom({ A: [1, 2, 3, 4, 5], B: [1, 1, 1, 1, 1] });
      const t = targets(two, { type: 'momentum', lookback: 1, top_n: 1, rebalance_every: 1 });
      assert.deepEqual(rows(t), [
        [0, 1, 1, 1, 1],
        [0, 0, 0, 0, 0],
      ]);
      assert.deepEqual(flags(t), [0, 2, 2, 2, 2]);
      const flat = frameFrom({ A: [1, 1, 1, 1], B: [1, 1, 1, 1], C: [1, 1, 1, 1] });
      const tie = targets(flat, { type: 'momentum', lookback: 3, top_n: 1, rebalance_every: 5 });
      assert.deepEqual(rows(tie), [
        [0, 0, 0, 1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
      ]);
      assert.deepEqual(flags(tie), [0, 0, 0, 2]);
    });

    it('leaves out symbols whose return is not a number (a zero or NaN price)', () => {
      const gaps = frameFrom({ A: [0, 1, 2], B: [1, 1.1, 1.2], C: [1, 1.05, NaN], D: [1, 0.9, 0.8] });
      const t = targets(gaps, { type: 'momentum', lookback: 1, top_n: 1, rebalance_every: 1 }, { allow_short: true });
      // bar 1: A is +∞ (left out): B long, D short. bar 2: A +100%, C NaN (left out), D short.
      assert.deepEqual(rows(t), [
        [0, 0, 1],
        [0, 1, 0],
        [0, 0, 0],
        [0, -1, -1],
      ]);
    });

    it('agrees with a full sort on a random 30-symbol universe', () => {
      const big = randomFrame(30, 300, 5);
      const signal = { type: 'momentum', lookback: 10, top_n: 4, rebalance_every: 3 } as const;
      const t = targets(big, signal, { allow_short: true, gross: 2 });
      for (let bar = 0; bar < 300; bar += 1) {
        const scheduled = bar - ((bar - 10) % 3);
        const expected = new Array(30).fill(0);
        if (bar >= 10) {
          const ranked = big.symbols.map((_, s) => s).sort((a, b) => {
            const ra = big.close[a][scheduled] / big.close[a][scheduled - 10];
            const rb = big.close[b][scheduled] / big.close[b][scheduled - 10];
            return rb - ra || a - b;
          });
          ranked.slice(0, 4).forEach((s) => (expected[s] = 0.5));
          ranked.slice(-4).forEach((s) => (expected[s] = -0.5));
        }
        assert.deepEqual(t.weights.map((column) => column[bar]), expected, `bar ${bar}`);
        assert.equal(t.rebalance[bar], bar >= 10 && (bar - 10) % 3 === 0 ? 2 : 0, `flag at bar ${bar}`);
      }
    });

    it('refuses a hand-built zero rebalance_every instead of looping forever', () => {
      const strategy = strategyFor(frame, signal);
      const broken = { ...strategy, signal: { ...signal, rebalance_every: 0 } } as Strategy;
      assert.throws(() => computeTargets(broken, { frame, strategyDir: '.' }), { name: 'InputError', message: /signal\.rebalance_every must be an integer of at least 1/ });
    });
  });

  describe('mean_reversion', () => {
    it('rolling z uses the sample standard deviation over the last lookback closes', () => {
      const close = Float64Array.from([10, 10, 10, 7, 8, 8.5, 11]);
      // [10,10,7]: mean 9, sample sd √3; [10,7,8]: mean 25/3, sd √(7/3); [7,8,8.5]: sd √(7/12); [8,8.5,11]: mean 55/6, sd √(31/12)
      assertClose(rollingZ(close, 3), [NaN, NaN, NaN, -2 / Math.sqrt(3), -1 / 3 / Math.sqrt(7 / 3), (8.5 - 23.5 / 3) / Math.sqrt(7 / 12), (11 - 55 / 6) / Math.sqrt(31 / 12)], 1e-12, 'z');
    });

    it('the sliding z-score matches a direct two-pass computation over 20k bars', () => {
      const close = randomFrame(1, 20_000, 11).close[0];
      for (const lookback of [2, 20, 63]) {
        const z = rollingZ(close, lookback);
        for (let t = lookback - 1; t < close.length; t += 89) {
          let sum = 0;
          for (let j = t - lookback + 1; j <= t; j += 1) sum += close[j];
          const mean = sum / lookback;
          let m2 = 0;
          for (let j = t - lookback + 1; j <= t; j += 1) m2 += (close[j] - mean) ** 2;
          const expected = (close[t] - mean) / Math.sqrt(m2 / (lookback - 1));
          assert.ok(Math.abs(z[t] - expected) <= 1e-7 * Math.max(1, Math.abs(expected)), `lookback ${lookback} bar ${t}: ${z[t]} vs ${expected}`);
        }
      }
    });

    it('enters beyond entry_z, exits inside exit_z, holds in between; constant windows change nothing', () => {
      // z from bar 3: −1.15 (long) −.22 (hold) +.87 (exit) +1.14 (short) −.38 (exit) −.58 ; bar 2 and 9 are constant windows.
      const frame = frameFrom({ X: [10, 10, 10, 7, 8, 8.5, 11, 9, 9, 9] });
      const signal = { type: 'mean_reversion', lookback: 3, entry_z: 1, exit_z: 0.2 } as const;
      const t = targets(frame, signal, { allow_short: true });
      assert.deepEqual(rows(t), [[0, 0, 0, 1, 1, 0, -1, 0, 0, 0]]);
      assert.deepEqual(flags(t), [0, 0, 0, 1, 0, 1, 1, 1, 0, 0]);
      const longOnly = targets(frame, signal);
      assert.deepEqual(rows(longOnly), [[0, 0, 0, 1, 1, 0, 0, 0, 0, 0]]);
      assert.deepEqual(flags(longOnly), [0, 0, 0, 1, 0, 1, 0, 0, 0, 0]);
      // Long at bar 2 (z −1.15), hold at bar 3 (z −.58), bar 4 is a constant window (sd 0): still long.
      const constant = frameFrom({ X: [10, 10, 7, 7, 7] });
      assert.deepEqual(rows(targets(constant, signal)), [[0, 0, 1, 1, 1]]);
    });

    it('a long whose z jumps past +entry_z flips to the short side in one bar', () => {
      const frame = frameFrom({ X: [10, 10, 7, 14], Y: [10, 10, 10, 10] });
      const t = targets(frame, { type: 'mean_reversion', lookback: 3, entry_z: 1, exit_z: 0.2 }, { allow_short: true, gross: 1 });
      assert.deepEqual(rows(t), [
        [0, 0, 0.5, -0.5],
        [0, 0, 0, 0],
      ]);
    });
  });

  describe('rsi', () => {
    // StockCharts' worked example of Wilder's 14-bar RSI.
    const closes = [
      44.3389, 44.0902, 44.1497, 43.6124, 44.3278, 44.8264, 45.0955, 45.4245, 45.8433, 46.0826, 45.8931, 46.0328, 45.614, 46.282, 46.282, 46.0028, 46.0328, 46.4116, 46.2222,
      45.6439, 46.2122, 46.2521, 45.7137, 46.4515, 45.7835, 45.3548, 44.0288, 44.1783, 44.2181, 44.5672, 43.4205, 42.6628, 43.1314,
    ];
    const published = [70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99, 41.46, 41.87, 45.46, 37.3, 33.08, 37.77];

    it("matches the published values of Wilder's RSI", () => {
      assertClose(rsiValues(Float64Array.from(closes), 14), [...Array(14).fill(NaN), ...published], 0.005, 'rsi');
    });

    it('short above upper until RSI ≤ 50, then long below lower in the same bar', () => {
      const frame = frameFrom({ X: closes });
      const t = targets(frame, { type: 'rsi', period: 14, lower: 40, upper: 65 }, { allow_short: true });
      const expected = [...Array(14).fill(0), ...Array(12).fill(-1), ...Array(7).fill(1)];
      assert.deepEqual(rows(t), [expected]);
      assert.deepEqual(
        flags(t),
        expected.map((_, bar) => (bar === 14 || bar === 26 ? 1 : 0)),
      );
    });

    it('hand-computed period 2: 100 (short), 50 (exit), 25 (long), 12.5, 56.25 (exit), 85.4 (short)', () => {
      const close = [10, 11, 12, 11, 10, 9, 10, 12];
      assertClose(rsiValues(Float64Array.from(close), 2), [NaN, NaN, 100, 50, 25, 12.5, 56.25, 100 - 100 / (1 + 1.28125 / 0.21875)], 1e-9, 'rsi2');
      const frame = frameFrom({ X: close });
      const signal = { type: 'rsi', period: 2, lower: 30, upper: 70 } as const;
      assert.deepEqual(rows(targets(frame, signal, { allow_short: true })), [[0, 0, -1, 0, 1, 1, 0, -1]]);
      assert.deepEqual(rows(targets(frame, signal)), [[0, 0, 0, 0, 1, 1, 0, 0]]);
      assert.deepEqual(flags(targets(frame, signal)), [0, 0, 0, 0, 1, 0, 1, 0]);
    });

    it('no movement reads as RSI 50: nothing happens', () => {
      assertClose(rsiValues(Float64Array.from([5, 5, 5, 5]), 2), [NaN, NaN, 50, 50], 0, 'flat');
    });
  });

  describe('weights file', () => {
    let dir: string;
    const frame = frameFrom({ A: [1, 1, 1, 1, 1], B: [1, 1, 1, 1, 1], C: [1, 1, 1, 1, 1], D: [1, 1, 1, 1, 1] }); // 2024-01-01 .. 01-05
    const write = (text: string, name = 'weights.csv') => writeFileSync(join(dir, name), text);
    const run = (sizing: StrategyInput['sizing'] = { allow_short: true }, file = 'weights.csv') => targets(frame, { type: 'weights', file }, sizing, dir);
    const fails = (text: string, message: RegExp, sizing?: StrategyInput['sizing']) => {
      write(text);
      assert.throws(() => run(sizing), (err: unknown) => {
        assert.ok(err instanceof InputError, `not an InputError: ${String(err)}`);
        assert.match(err.message, message);
        assert.ok(err.message.includes(join(dir, 'weights.csv')), `no path in: ${err.message}`);
        // The file is named, never quoted: no cell of it reaches the message.
        const cells = text.split(/[\n,]/).map((cell) => cell.trim()).filter((cell) => cell.length >= 3 && !['date', 'symbol', 'weight'].includes(cell));
        for (const cell of cells) assert.ok(!err.message.includes(cell), `the message quotes "${cell}": ${err.message}`);
        return true;
      });
    };

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'qraft-signals-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('applies rows from their bar, forward-fills per symbol, ignores later dates, does not rescale', () => {
      write(
        [
          'date,symbol,weight',
          '2024-01-02,A,0.5',
          '2024-01-02,B,0.25',
          '',
          '2024-01-04,A,-0.5',
          '2024-01-04T12:00:00Z,B,0', // between bars: applies from 01-05
          '2024-02-01,A,3', // after the last bar
          '2023-12-31,C,0.1', // before the first bar: known at bar 0
          '',
        ].join('\r\n'),
      );
      const t = run({ allow_short: true, gross: 2 });
      assert.deepEqual(rows(t), [
        [0, 0.5, 0.5, -0.5, -0.5],
        [0, 0.25, 0.25, 0.25, 0],
        [0.1, 0.1, 0.1, 0.1, 0.1],
        [0, 0, 0, 0, 0], // never mentioned
      ]);
      assert.deepEqual(flags(t), [1, 1, 0, 1, 1]);
    });

    it('matches timestamps exactly, accepts any column order, quotes and time zones', () => {
      write(['"symbol","weight","date"', 'B,1,2024-01-03T00:00:00Z', 'A,2,2024-01-03T01:00:00+02:00', 'C,-1,2024-01-04 00:00'].join('\n'));
      const t = run();
      assert.deepEqual(rows(t), [
        [0, 0, 2, 2, 2], // 01:00+02:00 is 2024-01-02T23:00Z: bar 01-03
        [0, 0, 1, 1, 1],
        [0, 0, 0, -1, -1],
        [0, 0, 0, 0, 0],
      ]);
      assert.deepEqual(flags(t), [0, 0, 1, 1, 0]);
    });

    it('a missing file is one sentence naming it', () => {
      assert.throws(() => run(undefined, 'nope.csv'), { name: 'InputError', message: new RegExp(`^Cannot read .*nope\\.csv: no such file or directory\\.$`) });
    });

    it('rejects a missing header', () => {
      fails('2024-01-02,A,0.5\n', /weights\.csv line 1: the header must name exactly the columns date,symbol,weight\.$/);
      fails('', /line 1: the header must name exactly the columns date,symbol,weight/);
      fails('date,symbol,weight,extra\n', /line 1: the header must name/);
    });

    it('rejects a symbol outside the universe, naming file and line', () => {
      fails('date,symbol,weight\n2024-01-02,A,0.5\n2024-01-02,ZZZ,0.5\n', /weights\.csv line 3, column 2 \(symbol\): not a symbol of the strategy's universe \(A, B, C, D\)\.$/);
    });

    it('rejects bad numbers, bad dates, duplicates, oversize and unwanted short weights with line and column', () => {
      fails('date,symbol,weight\n2024-01-02,A,abc\n', /weights\.csv line 2, column 3 \(weight\): not a number\.$/);
      fails('date,symbol,weight\n2024-01-02,A,\n', /line 2, column 3 \(weight\): not a number/);
      fails('date,symbol,weight\n2024-01-02,A,1e999\n', /line 2, column 3 \(weight\): not a number/);
      fails('date,symbol,weight\n2024-02-30,A,1\n', /weights\.csv line 2, column 1 \(date\): not a date \(YYYY-MM-DD or an ISO timestamp\)\.$/);
      fails('date,symbol,weight\n2024-01-02,A,1\n01/03/2024,A,1\n', /line 3, column 1 \(date\): not a date/);
      fails('date,symbol,weight\n2024-01-02,A,1\n2024-01-03,B,1\n2024-01-02T00:00:00Z,A,0.5\n', /weights\.csv line 4, column 1 \(date\): this symbol and date are already given on line 2\.$/);
      fails('weight,date,symbol\n10.5,2024-01-02,A\n', /weights\.csv line 2, column 1 \(weight\): beyond ±10/);
      fails('date,symbol,weight\n2024-01-02,A,-0.5\n', /line 2, column 3 \(weight\): a short position, but sizing\.allow_short is false\.$/, { allow_short: false });
      fails('date,symbol,weight\n2024-01-02,A\n', /weights\.csv line 2: expected 3 comma-separated fields \(date, symbol, weight\), found 2\.$/);
    });
  });

  describe('no look-ahead (truncation) and no NaN, every signal type', () => {
    let dir: string;
    const frame = randomFrame(6, 500, 42);
    const signals: { label: string; signal: StrategyInput['signal']; sizing?: StrategyInput['sizing'] }[] = [
      { label: 'buy_and_hold', signal: { type: 'buy_and_hold' } },
      { label: 'sma_cross cross', signal: { type: 'sma_cross', fast: 5, slow: 20 }, sizing: { allow_short: true } },
      { label: 'sma_cross state', signal: { type: 'sma_cross', fast: 5, slow: 20, mode: 'state' }, sizing: { allow_short: true } },
      { label: 'ema_cross cross', signal: { type: 'ema_cross', fast: 3, slow: 17 }, sizing: { allow_short: true } },
      { label: 'ema_cross state', signal: { type: 'ema_cross', fast: 3, slow: 17, mode: 'state' } },
      { label: 'momentum', signal: { type: 'momentum', lookback: 20, top_n: 2, rebalance_every: 7 }, sizing: { allow_short: true, gross: 1.5 } },
      { label: 'mean_reversion', signal: { type: 'mean_reversion', lookback: 20, entry_z: 1.5, exit_z: 0.3 }, sizing: { allow_short: true } },
      { label: 'rsi', signal: { type: 'rsi', period: 14, lower: 35, upper: 65 }, sizing: { allow_short: true } },
      { label: 'weights', signal: { type: 'weights', file: 'w.csv' }, sizing: { allow_short: true } },
    ];

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'qraft-signals-'));
      const random = seededRandom(9);
      const lines = ['date,symbol,weight'];
      for (let i = 0; i < 120; i += 1) {
        // Any instant from a week before the first bar to a week after the last, mostly between bars.
        const time = T0 - 7 * DAY + Math.floor(random() * (frame.times.length + 14) * DAY);
        lines.push(`${new Date(time).toISOString()},S${Math.floor(random() * 6)},${(random() * 2 - 1).toFixed(3)}`);
      }
      writeFileSync(join(dir, 'w.csv'), lines.join('\n'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a NaN or infinite close never reaches the weights', () => {
      const broken = randomFrame(3, 300, 8);
      broken.close[0][40] = NaN;
      broken.close[1][120] = Infinity;
      broken.close[2][200] = 0;
      for (const { label, signal, sizing } of signals) {
        if (label === 'weights') continue;
        const t = computeTargets(strategyFor(broken, signal, sizing), { frame: broken, strategyDir: dir });
        t.weights.forEach((column, s) => column.forEach((w, bar) => assert.ok(Number.isFinite(w), `${label}: S${s} bar ${bar} is ${w}`)));
      }
    });

    for (const { label, signal, sizing } of signals) {
      it(label, () => {
        const strategy = strategyFor(frame, signal, sizing);
        const full = computeTargets(strategy, { frame, strategyDir: dir });
        const bars = frame.times.length;
        assert.equal(full.rebalance.length, bars);
        let nonZero = 0;
        for (const column of full.weights) {
          assert.equal(column.length, bars);
          for (const weight of column) {
            assert.ok(Number.isFinite(weight), `${label}: non-finite weight ${weight}`);
            if (weight !== 0) nonZero += 1;
          }
        }
        const changes = full.rebalance.reduce((sum, flag) => sum + flag, 0);
        assert.ok(nonZero > bars, `${label}: only ${nonZero} non-zero weights`);
        assert.ok(label === 'buy_and_hold' ? changes === 1 : changes >= 5, `${label}: ${changes} rebalances`);
        if (strategy.sizing.allow_short && label !== 'buy_and_hold') assert.ok(full.weights.some((column) => column.some((w) => w < 0)), `${label}: never short`);
        for (const cut of [0, 1, 2, 19, 20, 21, 57, 250, 499]) {
          const truncated = computeTargets(strategy, { frame: sliceFrame(frame, 0, cut), strategyDir: dir });
          assert.equal(truncated.rebalance.length, cut);
          truncated.weights.forEach((column, s) => assert.deepEqual(Array.from(column), Array.from(full.weights[s].subarray(0, cut)), `${label}: S${s} differs with data cut at ${cut}`));
          assert.deepEqual(Array.from(truncated.rebalance), Array.from(full.rebalance.subarray(0, cut)), `${label}: rebalance differs with data cut at ${cut}`);
        }
      });
    }

  });
});
