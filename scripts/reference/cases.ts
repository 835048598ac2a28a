/**
 * The reference cases checked against vectorbt (test/unit/vectorbt.test.ts): real daily prices
 * from test/data/daily, the project's own signals, and the quick engine. exportOrders.ts writes
 * each case's prices and orders for scripts/reference/vectorbt_orders.py, which runs vectorbt's
 * `Portfolio.from_orders(size_type='targetpercent')` on them and stores what it measured in
 * test/data/reference/vectorbt-orders.json. Regenerate with `npm run reference:vectorbt`.
 */
import { join } from 'node:path';
import { loadPrices } from '../../src/core/backtest/data/load';
import type { PriceFrame } from '../../src/core/backtest/data/frame';
import { runQuick } from '../../src/core/backtest/engines/quick';
import { replayFills } from '../../src/core/backtest/engines/ledger';
import { computeMetrics, type Metrics } from '../../src/core/backtest/metrics';
import { computeTargets } from '../../src/core/backtest/signals';
import { REBALANCE_ALL, type TargetWeights } from '../../src/core/backtest/signals/types';
import { type StrategyInput, StrategySchema, type Timing, barsPerYear } from '../../src/core/backtest/strategy/schema';

export const ROOT = join(__dirname, '..', '..');
export const DAILY = join(ROOT, 'test', 'data', 'daily');
export const REFERENCE_FILE = join(ROOT, 'test', 'data', 'reference', 'vectorbt-orders.json');
export const CASH = 100_000;
/** Every n-th bar's equity is stored (and the last); the sum of all of them is stored too. */
export const EQUITY_EVERY = 20;

export interface ReferenceCase {
  name: string;
  universe: string[];
  signal: StrategyInput['signal'];
  allow_short: boolean;
  commission_bps: number;
  slippage_bps: number;
  timing: Timing;
}

const sma = { type: 'sma_cross', fast: 10, slow: 30 } as const;
const fees = (commission_bps: number, slippage_bps = 0) => ({ commission_bps, slippage_bps });

export const CASES: ReferenceCase[] = [
  { name: 'spy-sma-long-5bps', universe: ['SPY'], signal: sma, allow_short: false, ...fees(5), timing: 'next_close' },
  { name: 'spy-sma-long-short-5bps', universe: ['SPY'], signal: sma, allow_short: true, ...fees(5), timing: 'next_close' },
  { name: 'qqq-sma-long-5bps', universe: ['QQQ'], signal: sma, allow_short: false, ...fees(5), timing: 'next_close' },
  { name: 'qqq-sma-long-short-5bps', universe: ['QQQ'], signal: sma, allow_short: true, ...fees(5), timing: 'next_close' },
  { name: 'spy-sma-long-short-0bps', universe: ['SPY'], signal: sma, allow_short: true, ...fees(0), timing: 'next_close' },
  { name: 'spy-sma-long-5bps-2slip-next-open', universe: ['SPY'], signal: sma, allow_short: false, ...fees(5, 2), timing: 'next_open' },
  { name: 'spy-qqq-sma-long-0bps', universe: ['SPY', 'QQQ'], signal: sma, allow_short: false, ...fees(0), timing: 'next_close' },
  { name: 'spy-qqq-sma-long-short-5bps-2slip', universe: ['SPY', 'QQQ'], signal: sma, allow_short: true, ...fees(5, 2), timing: 'next_close' },
  {
    name: 'spy-qqq-tlt-gld-momentum-5bps',
    universe: ['SPY', 'QQQ', 'TLT', 'GLD'],
    signal: { type: 'momentum', lookback: 63, top_n: 2, rebalance_every: 21 },
    allow_short: false,
    ...fees(5),
    timing: 'close',
  },
];

export interface PreparedCase {
  frame: PriceFrame;
  targets: TargetWeights;
  /** Per symbol, per bar: the target weight of an order filled at that bar, or NaN for none. */
  orders: Float64Array[];
  ordersGiven: number;
  /** Σ of every close: tells the stored reference and today's prices apart. */
  closesSum: number;
}

export function strategyOf(c: ReferenceCase) {
  return StrategySchema.parse({
    name: c.name,
    version: '1',
    universe: c.universe,
    signal: c.signal,
    sizing: { gross: 1, allow_short: c.allow_short },
    costs: { commission_bps: c.commission_bps, slippage_bps: c.slippage_bps, min_commission: 0 },
    execution: { lot_size: 0, timing: c.timing },
  });
}

/**
 * Prices, targets, and the orders the quick engine places, bar by bar: at each fill bar whose
 * signal bar is due, the target weight of every symbol that trades (all on a scheduled
 * rebalance, else those whose target changed), NaN elsewhere, as vectorbt's from_orders takes them.
 */
export function prepare(c: ReferenceCase): PreparedCase {
  const frame = loadPrices(DAILY, { universe: c.universe });
  const targets = computeTargets(strategyOf(c), { frame, strategyDir: ROOT });
  const bars = frame.times.length;
  const lag = c.timing === 'close' ? 0 : 1;
  let ordersGiven = 0;
  const orders = targets.weights.map((column) => {
    const row = new Float64Array(bars).fill(NaN);
    for (let bar = lag; bar < bars; bar += 1) {
      const signalBar = bar - lag;
      const flag = targets.rebalance[signalBar];
      if (flag === 0) continue;
      const weight = column[signalBar];
      if (flag !== REBALANCE_ALL && weight === (signalBar > 0 ? column[signalBar - 1] : 0)) continue;
      row[bar] = weight;
      ordersGiven += 1;
    }
    return row;
  });
  let closesSum = 0;
  for (const column of frame.close) for (const close of column) closesSum += close;
  return { frame, targets, orders, ordersGiven, closesSum };
}

export interface QuickResult {
  equity: Float64Array;
  metrics: Metrics;
  /** Commissions alone (the `fees` metric adds slippage; vectorbt's fees are commissions). */
  commissions: number;
}

export function runQuickCase(c: ReferenceCase, prepared: PreparedCase): QuickResult {
  const strategy = strategyOf(c);
  const run = runQuick({ frame: prepared.frame, targets: prepared.targets, costs: strategy.costs, timing: c.timing, lotSize: 0, cash: CASH });
  const ledger = replayFills(prepared.frame, run.fills, CASH);
  const metrics = computeMetrics({ ledger, fills: run.fills, initialCash: CASH, barsPerYear: barsPerYear(strategy) });
  return { equity: ledger.equity, metrics, commissions: ledger.commissions };
}
