import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { CASES, CASH, EQUITY_EVERY, REFERENCE_FILE, prepare, runQuickCase } from '../../scripts/reference/cases';

/**
 * The quick engine against numbers vectorbt 1.2.0 computed (`Portfolio.from_orders` with
 * size_type='targetpercent', cash shared, call_seq='auto') on the same prices and orders, stored in
 * test/data/reference/vectorbt-orders.json by `npm run reference:vectorbt`
 * (scripts/reference/vectorbt_orders.py). Nothing here runs Python: the stored numbers came from
 * vectorbt, and the quick engine must reproduce them.
 */

interface StoredCase {
  name: string;
  universe: string[];
  signal: unknown;
  allow_short: boolean;
  commission_bps: number;
  slippage_bps: number;
  timing: string;
  cash: number;
  bars: number;
  orders_given: number;
  closes_sum: number;
  final_value: number;
  total_return: number;
  equity_sum: number;
  equity: Record<string, number>;
  trades: number;
  positions: number;
  orders: number;
  fees_paid: number;
}

const reference = JSON.parse(readFileSync(REFERENCE_FILE, 'utf8')) as { versions: Record<string, string>; cases: StoredCase[] };
const TOLERANCE = 1e-9;

function relative(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
}

describe('quick engine = vectorbt from_orders (targetpercent), stored reference', () => {
  it('the stored reference has every case, made by vectorbt 1.2.0', () => {
    assert.equal(reference.versions.vectorbt, '1.2.0');
    assert.deepEqual(reference.cases.map((c) => c.name), CASES.map((c) => c.name));
  });

  let worst = 0;
  for (const definition of CASES) {
    const stored = reference.cases.find((c) => c.name === definition.name);
    it(`${definition.name}: equity to 1e-9, trades = round trips, fills = orders`, () => {
      assert.ok(stored, `no stored reference for ${definition.name}: run npm run reference:vectorbt`);
      // The case, the prices and the orders must be those vectorbt ran, else regenerate.
      const { name: _name, ...settings } = definition;
      for (const [key, value] of Object.entries(settings)) assert.deepEqual(stored[key as keyof StoredCase], value, `${key} changed since the reference was made`);
      assert.equal(stored.cash, CASH);
      const prepared = prepare(definition);
      assert.equal(prepared.frame.times.length, stored.bars, 'the price files changed since the reference was made');
      assert.ok(relative(prepared.closesSum, stored.closes_sum) < 1e-12, 'the price files changed since the reference was made');
      assert.equal(prepared.ordersGiven, stored.orders_given, 'the signal places different orders than those vectorbt ran');

      const quick = runQuickCase(definition, prepared);
      const bars = quick.equity.length;
      let largest = 0;
      let sum = 0;
      for (let bar = 0; bar < bars; bar += 1) sum += quick.equity[bar];
      const sampled = Object.entries(stored.equity);
      assert.ok(sampled.length >= Math.floor(bars / EQUITY_EVERY), 'too few stored equity points');
      for (const [bar, value] of sampled) largest = Math.max(largest, relative(quick.equity[Number(bar)], value));
      largest = Math.max(largest, relative(quick.equity[bars - 1], stored.final_value), relative(sum, stored.equity_sum));
      worst = Math.max(worst, largest);
      assert.ok(largest < TOLERANCE, `largest relative difference to vectorbt ${largest.toExponential(3)}`);
      assert.ok(Math.abs(quick.metrics.total_return - stored.total_return) < TOLERANCE, `total_return ${quick.metrics.total_return} vs ${stored.total_return}`);
      assert.ok(Math.abs(quick.commissions - stored.fees_paid) <= TOLERANCE * CASH, `commissions ${quick.commissions} vs vectorbt's fees ${stored.fees_paid}`);

      // Round trips are vectorbt's positions; they are its trades (exit trades) too unless a
      // position is partly reduced (a scheduled rebalance trims winners: momentum).
      assert.equal(quick.metrics.trades, stored.positions, 'trades');
      if (definition.signal.type === 'sma_cross') assert.equal(quick.metrics.trades, stored.trades, 'trades = vectorbt trades.count()');
      else assert.ok(stored.trades > stored.positions, 'the rebalanced case does reduce positions partly');
      assert.equal(quick.metrics.fills, stored.orders, 'fills');
    });
  }

  after(() => {
    if (worst > 0) console.log(`      largest relative equity difference to vectorbt: ${worst.toExponential(3)}`);
  });
});
