import { strict as assert } from 'node:assert';
import { runBuiltin } from '../../src/core/backtest/engines/builtin';
import { fillsToList } from '../support/fills';
import { replayFills } from '../../src/core/backtest/engines/ledger';
import { runQuick } from '../../src/core/backtest/engines/quick';
import type { Costs, EngineInput } from '../../src/core/backtest/engines/types';
import type { Timing } from '../../src/core/backtest/strategy/schema';
import { frameFrom, randomFrame, seededRandom, targetsFrom } from '../support/frames';

const NO_COSTS: Costs = { commission_bps: 0, slippage_bps: 0, min_commission: 0 };
const COSTS: Costs = { commission_bps: 10, slippage_bps: 20, min_commission: 0 };

// One symbol, all in from the first bar: closes 100 → 110 → 121 → 110, opens 99, 105, 120, 115.
const frame = frameFrom({ X: [100, 110, 121, 110] }, { X: [99, 105, 120, 115] });
const allIn = targetsFrom([[1, 1, 1, 1]]);

function input(timing: Timing, costs: Costs, lotSize = 1, cash = 1000): EngineInput {
  return { frame, targets: allIn, costs, timing, lotSize, cash };
}

function equityOf(run: ReturnType<typeof runQuick>, source: EngineInput): number[] {
  return Array.from(replayFills(source.frame, run.fills, source.cash).equity);
}

function assertCents(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((value, index) => assert.ok(Math.abs(value - expected[index]) < 0.005, `bar ${index}: ${value} != ${expected[index]}`));
}

describe('engines: hand-computed cases', () => {
  describe('quick (fractional)', () => {
    it('next_close fills at the next bar close', () => {
      const source = input('next_close', NO_COSTS);
      const run = runQuick(source);
      const [fill] = fillsToList(run.fills, frame.symbols, frame.times);
      assert.equal(fill.bar, 1);
      assert.equal(fill.price, 110);
      assert.ok(Math.abs(fill.quantity - 1000 / 110) < 1e-12);
      assertCents(equityOf(run, source), [1000, 1000, 1100, 1000]);
    });

    it('close fills at the signal bar close', () => {
      const source = input('close', NO_COSTS);
      assertCents(equityOf(runQuick(source), source), [1000, 1100, 1210, 1100]);
    });

    it('next_open fills at the next bar open', () => {
      const source = input('next_open', NO_COSTS);
      const q = 1000 / 105;
      assertCents(equityOf(runQuick(source), source), [1000, q * 110, q * 121, q * 110]);
    });

    it('charges slippage on the price and commission on the slipped notional; an all-in buy is cut so that its fee fits', () => {
      const source = input('close', COSTS);
      const run = runQuick(source);
      const [fill] = fillsToList(run.fills, frame.symbols, frame.times);
      // The target, 1000 / 100 = 10 shares, would cost 10 × 100.2 × 1.001 = 1003.002 > 1000 of cash:
      // cut to 1000 / (100.2 × 1.001) = 9.970069850309372 shares, which spend exactly all of it.
      const quantity = 1000 / 1.001 / 100.2;
      assert.ok(Math.abs(fill.quantity - quantity) < 1e-12, `${fill.quantity}`);
      assert.ok(Math.abs(fill.price - 100.2) < 1e-12);
      assert.ok(Math.abs(fill.commission - (1000 - 1000 / 1.001)) < 1e-12); // 0.999000999…
      assert.ok(Math.abs(fill.slippage - quantity * 100 * 0.002) < 1e-12);
      // Cash 0, then marked at each close: never above the target because of fees.
      assertCents(equityOf(run, source), [quantity * 100, quantity * 110, quantity * 121, quantity * 110]);
    });

    it('a buy whose cost and fee fit the cash buys its full target and pays the fee from the spare cash', () => {
      const half = targetsFrom([[0.5, 0.5, 0.5, 0.5]]);
      const source: EngineInput = { ...input('close', COSTS), targets: half };
      const run = runQuick(source);
      const [fill] = fillsToList(run.fills, frame.symbols, frame.times);
      assert.equal(fill.quantity, 5); // 0.5 × 1000 / 100
      // cash = 1000 − 5 × 100.2 × 1.001 = 498.4989
      assertCents(equityOf(run, source), [998.499, 1048.499, 1103.499, 1048.499]);
    });

    it('sells and shorts trade the full size and pay the fee from the proceeds', () => {
      // All in at bar 0, 100% short at bar 2 (a flip: one sell), flat at bar 3; 10 bps commission.
      const prices = frameFrom({ X: [100, 100, 125, 100] });
      const targets = targetsFrom([[1, 1, -1, 0]]);
      const costs: Costs = { commission_bps: 10, slippage_bps: 0, min_commission: 0 };
      const source: EngineInput = { frame: prices, targets, costs, timing: 'close', lotSize: 0, cash: 1000 };
      const run = runQuick(source);
      const fills = fillsToList(run.fills, prices.symbols, prices.times);
      assert.deepEqual(fills.map((f) => [f.bar, f.side]), [[0, 'buy'], [2, 'sell'], [3, 'buy']]);
      const held = 1000 / 1.001 / 100; // the all-in buy, cut so that its fee fits: 9.99000999…
      // Bar 2: equity = 125 × held, the target is −held: sell 2 × held at 125, the full size.
      assert.ok(Math.abs(fills[1].quantity - 2 * held) < 1e-12, `${fills[1].quantity}`);
      assert.ok(Math.abs(fills[1].commission - 0.001 * 2 * held * 125) < 1e-12);
      const cash = 2 * held * 125 * 0.999; // the proceeds less the fee
      // Bar 3: cover the held shares at 100 (it fits the cash), paying 0.1% on top.
      assert.ok(Math.abs(fills[2].quantity - held) < 1e-12);
      const equity = Array.from(replayFills(prices, run.fills, 1000).equity);
      assertCents(equity, [held * 100, held * 100, cash - held * 125, cash - held * 100 * 1.001]);
      assertCents(equity, [999.000999, 999.000999, 1246.2537, 1495.0050]);
    });

    it('a flip from short to long is one buy, cut so that its cost and fee fit the cash', () => {
      const prices = frameFrom({ X: [100, 80, 80] });
      const targets = targetsFrom([[-1, 1, 1]]);
      const costs: Costs = { commission_bps: 10, slippage_bps: 0, min_commission: 0 };
      const source: EngineInput = { frame: prices, targets, costs, timing: 'close', lotSize: 0, cash: 1000 };
      const fills = fillsToList(runQuick(source).fills, prices.symbols, prices.times);
      // Bar 0: short 10 at 100, cash 1000 + 1000 − 1 = 1999. Bar 1: equity 1999 − 800 = 1199,
      // target 1199 / 80 = 14.9875 long: buy 24.9875 would cost 24.9875 × 80 × 1.001 = 2000.999 >
      // 1999: cut to 1999 / 1.001 / 80, so the long is 1999 / 80.08 − 10 = 14.962537… shares.
      assert.equal(fills.length, 2);
      assert.ok(Math.abs(fills[1].quantity - 1999 / 1.001 / 80) < 1e-9, `${fills[1].quantity}`);
      const long = 1999 / 1.001 / 80 - 10;
      assertCents(Array.from(replayFills(prices, runQuick(source).fills, 1000).equity), [999, long * 80, long * 80]);
    });

    it('sells first, then buys smallest first: the last buy is the one cut to the cash', () => {
      // A and B are bought together, 50% each; 10 bps commission.
      const two = frameFrom({ A: [10, 10], B: [20, 20] });
      const targets = targetsFrom([
        [0.5, 0.5],
        [0.5, 0.5],
      ]);
      const costs: Costs = { commission_bps: 10, slippage_bps: 0, min_commission: 0 };
      const source: EngineInput = { frame: two, targets, costs, timing: 'close', lotSize: 0, cash: 1000 };
      const fills = fillsToList(runQuick(source).fills, two.symbols, two.times);
      // Equal values: symbol order. A: 50 shares for 500.5; B gets the remaining 499.5: 499.5 / 1.001 / 20.
      assert.deepEqual(fills.map((f) => f.symbol), ['A', 'B']);
      assert.equal(fills[0].quantity, 50);
      assert.ok(Math.abs(fills[1].quantity - 499.5 / 1.001 / 20) < 1e-12, `${fills[1].quantity}`);

      // Rotation on one bar: A (listed first) is bought, B is sold, C is bought more than A.
      const three = frameFrom({ A: [10, 10], B: [20, 20], C: [40, 40] });
      const rotate = targetsFrom([
        [0, 0.2],
        [1, 0],
        [0, 0.8],
      ]);
      const run = runQuick({ frame: three, targets: rotate, costs, timing: 'close', lotSize: 0, cash: 1000 });
      const rotated = fillsToList(run.fills, three.symbols, three.times);
      assert.deepEqual(rotated.map((f) => [f.bar, f.symbol, f.side]), [[0, 'B', 'buy'], [1, 'B', 'sell'], [1, 'A', 'buy'], [1, 'C', 'buy']]);
      // Bar 1: equity = 1000 − 1 (the fee at bar 0, as the cut buy's: 1000 − 1000 / 1.001); the
      // sale raises 0.999 of B's value; A (0.2) fits; C (0.8) is cut to the remaining cash.
      const bShares = 1000 / 1.001 / 20;
      const equity = bShares * 20;
      assert.ok(Math.abs(rotated[2].quantity - (0.2 * equity) / 10) < 1e-9);
      const cashLeft = bShares * 20 * 0.999 - 0.2 * equity * 1.001;
      assert.ok(Math.abs(rotated[3].quantity - cashLeft / 1.001 / 40) < 1e-9, `${rotated[3].quantity}`);
      const final = replayFills(three, run.fills, 1000).equity[1];
      assert.ok(Math.abs(final - (0.2 * equity + (cashLeft / 1.001 / 40) * 40)) < 1e-9);
    });
  });

  describe('builtin (precise)', () => {
    it('buys whole shares limited by cash, commission included', () => {
      const source = input('close', COSTS);
      const run = runBuiltin(source);
      const [fill] = fillsToList(run.fills, frame.symbols, frame.times);
      // 10 shares would cost 1003.002; affordable = floor(1000 / (100.2 × 1.001)) = 9.
      assert.equal(fill.quantity, 9);
      assert.ok(Math.abs(fill.commission - 0.9018) < 1e-12);
      // cash = 1000 − 9 × 100.2 − 0.9018 = 97.2982, then marked with 9 shares at each close.
      assertCents(equityOf(run, source), [997.2982, 1087.2982, 1186.2982, 1087.2982]);
    });

    it('applies the minimum commission', () => {
      const source: EngineInput = { ...input('close', { ...COSTS, min_commission: 5 }) };
      const [fill] = fillsToList(runBuiltin(source).fills, frame.symbols, frame.times);
      assert.equal(fill.quantity, 9);
      assert.equal(fill.commission, 5);
      assertCents(equityOf(runBuiltin(source), source), [1000 - 901.8 - 5 + 900, 1000 - 906.8 + 990, 1000 - 906.8 + 1089, 1000 - 906.8 + 990]);
    });

    it('rounds toward zero to the lot size', () => {
      const source = input('next_close', NO_COSTS, 5);
      const [fill] = fillsToList(runBuiltin(source).fills, frame.symbols, frame.times);
      assert.equal(fill.quantity, 5); // 1000 / 110 = 9.09 shares → one lot of 5
    });

    it('sells before it buys on the same bar, and buys with the proceeds', () => {
      const twoSymbols = frameFrom({ A: [10, 10, 10], B: [20, 20, 20] });
      const rotate = targetsFrom([
        [1, 0, 0],
        [0, 1, 1],
      ]);
      const source: EngineInput = { frame: twoSymbols, targets: rotate, costs: NO_COSTS, timing: 'close', lotSize: 1, cash: 1000 };
      const fills = fillsToList(runBuiltin(source).fills, twoSymbols.symbols, twoSymbols.times);
      assert.deepEqual(
        fills.map((f) => [f.bar, f.symbol, f.side, f.quantity]),
        [
          [0, 'A', 'buy', 100],
          [1, 'A', 'sell', 100],
          [1, 'B', 'buy', 50],
        ],
      );
    });

    it('never lets cash go negative', () => {
      const random = randomFrame(4, 300, 3);
      const rng = seededRandom(11);
      const weights = random.symbols.map(() => Array.from({ length: 300 }, () => 0));
      for (let bar = 0; bar < 300; bar += 1) {
        const raw = random.symbols.map(() => rng());
        const total = raw.reduce((a, b) => a + b, 0);
        if (bar % 5 === 0) raw.forEach((value, s) => (weights[s][bar] = value / total));
        else raw.forEach((_, s) => (weights[s][bar] = weights[s][bar - 1] ?? 0));
      }
      const source: EngineInput = { frame: random, targets: targetsFrom(weights), costs: { ...COSTS, min_commission: 1 }, timing: 'next_close', lotSize: 1, cash: 10_000 };
      const run = runBuiltin(source);
      let cash = source.cash;
      for (const fill of fillsToList(run.fills, random.symbols, random.times)) {
        cash -= (fill.side === 'buy' ? 1 : -1) * fill.quantity * fill.price + fill.commission;
        assert.ok(cash >= -1e-9, `cash went to ${cash} at bar ${fill.bar}`);
        assert.equal(fill.quantity, Math.round(fill.quantity));
      }
    });
  });

  it('with zero costs and fractional sizing quick and precise agree to 1e-9', () => {
    const random = randomFrame(5, 1000, 5);
    const rng = seededRandom(21);
    const weights = random.symbols.map(() => new Array<number>(1000).fill(0));
    for (let bar = 0; bar < 1000; bar += 1) {
      for (let s = 0; s < random.symbols.length; s += 1) {
        weights[s][bar] = bar % 9 === 0 ? rng() / random.symbols.length : bar === 0 ? 0 : weights[s][bar - 1];
      }
    }
    for (const timing of ['next_close', 'close', 'next_open'] as const) {
      const source: EngineInput = { frame: random, targets: targetsFrom(weights), costs: NO_COSTS, timing, lotSize: 0, cash: 1_000_000 };
      const quick = replayFills(random, runQuick(source).fills, source.cash).equity;
      const precise = replayFills(random, runBuiltin(source).fills, source.cash).equity;
      let worst = 0;
      for (let bar = 0; bar < quick.length; bar += 1) worst = Math.max(worst, Math.abs(quick[bar] - precise[bar]) / quick[bar]);
      assert.ok(worst < 1e-9, `${timing}: largest relative difference ${worst}`);
    }
  });
});

describe('engines: which symbols trade on a rebalance bar', () => {
  // Two sleeves of 40%: A is bought at bar 0 and kept; B is bought at bar 2 (only B's target changed).
  const twoSleeves = frameFrom({ A: [100, 80, 80, 80], B: [50, 50, 50, 50] });
  const targets = targetsFrom([
    [0.4, 0.4, 0.4, 0.4],
    [0, 0, 0.4, 0.4],
  ]);
  for (const [name, run] of [['quick', runQuick], ['builtin', runBuiltin]] as const) {
    it(`${name}: a changed target trades only its own symbol, never the drifted sleeve`, () => {
      const source: EngineInput = { frame: twoSleeves, targets, costs: NO_COSTS, timing: 'close', lotSize: 0, cash: 1000 };
      const fills = fillsToList(run(source).fills, twoSleeves.symbols, twoSleeves.times);
      assert.deepEqual(fills.map((fill) => [fill.bar, fill.symbol]), [[0, 'A'], [2, 'B']]);
      // At bar 2 equity is 600 cash + 4 A × 80 = 920; B's target is 40% of it.
      assert.ok(Math.abs(fills[1].quantity - (0.4 * 920) / 50) < 1e-9, `${fills[1].quantity}`);
    });
    it(`${name}: a scheduled full rebalance (flag 2) brings every symbol back to target`, () => {
      const scheduled = { weights: targets.weights, rebalance: Uint8Array.from([1, 0, 2, 0]) };
      const source: EngineInput = { frame: twoSleeves, targets: scheduled, costs: NO_COSTS, timing: 'close', lotSize: 0, cash: 1000 };
      const fills = fillsToList(run(source).fills, twoSleeves.symbols, twoSleeves.times);
      assert.deepEqual(fills.map((fill) => [fill.bar, fill.symbol]), [[0, 'A'], [2, 'A'], [2, 'B']]);
      assert.ok(Math.abs(fills[1].quantity - ((0.4 * 920) / 80 - 4)) < 1e-9, `${fills[1].quantity}`);
    });
  }
});
