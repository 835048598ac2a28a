/**
 * Writes each reference case's prices and orders (scripts/reference/cases.ts) as JSON for
 * vectorbt_orders.py: `tsx scripts/reference/exportOrders.ts OUT.json`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CASES, CASH, EQUITY_EVERY, prepare } from './cases';

const out = process.argv[2];
if (!out) throw new Error('usage: tsx scripts/reference/exportOrders.ts OUT.json');
const cases = CASES.map((c) => {
  const { frame, orders, ordersGiven, closesSum } = prepare(c);
  const column = (values: Float64Array) => Array.from(values, (value) => (Number.isNaN(value) ? null : value));
  return {
    ...c,
    cash: CASH,
    equity_every: EQUITY_EVERY,
    dates: Array.from(frame.times, (time) => new Date(time).toISOString().slice(0, 10)),
    close: frame.close.map(column),
    // The fill price: the open for next_open, else the close (vectorbt's default price).
    price: (c.timing === 'next_open' ? frame.open : frame.close).map(column),
    orders: orders.map(column),
    orders_given: ordersGiven,
    closes_sum: closesSum,
  };
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ cases }));
console.log(`wrote ${cases.length} cases to ${out}`);
