import type { FillLog } from './engines/fills';
import type { Ledger } from './engines/ledger';

/**
 * The one set of metrics every engine and report uses, defined once: the names (in report order)
 * with what each means. Returns are fractions (0.05 = 5%).
 */
export const METRICS = {
  total_return: 'final equity over the starting cash, minus 1',
  cagr: 'compound annual growth rate',
  ann_vol: 'annualised volatility of per-bar returns',
  sharpe: 'annualised Sharpe ratio (risk-free rate 0)',
  sortino: 'annualised Sortino ratio (risk-free rate 0)',
  max_drawdown: 'largest peak-to-trough fall of equity, as a positive fraction',
  calmar: 'cagr over max_drawdown',
  turnover: 'traded notional over average equity, per year',
  trades: 'round trips: positions opened and closed or flipped, plus one still open at the end (adding to or partly reducing a position is not a new one)',
  fills: 'orders filled',
  fees: 'commissions plus slippage, in cash',
  exposure: 'fraction of bars with a position open (time in market)',
} as const;
export type MetricName = keyof typeof METRICS;
export type Metrics = Record<MetricName, number>;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export interface MetricsInput {
  ledger: Ledger;
  /** The fills the ledger was replayed from: `trades` and `fills` count them. */
  fills: FillLog;
  initialCash: number;
  barsPerYear: number;
}

/**
 * Whether a position of `before` plus a fill of `quantity` is flat: an exact zero, or a remainder
 * within floating error of the two (relative 1e-9, absolute 1e-12), as vectorbt snaps positions.
 */
function flatAfter(before: number, quantity: number): boolean {
  const after = before + quantity;
  return after === 0 || Math.abs(after) <= Math.max(1e-9 * Math.max(Math.abs(before), Math.abs(quantity)), 1e-12);
}

/**
 * Round trips in a fill log: one per position, counted when it opens — a fill that takes a symbol
 * from flat to a position, or across zero (a flip closes one position and opens another). A
 * position still open at the end counts; adding to a position or partly reducing it does not start
 * a new one. This is vectorbt's `positions.count()`, and its `trades.count()` (exit trades) whenever
 * no position is partly reduced, as in an all-in/flat or long/short signal.
 */
export function countRoundTrips(fills: FillLog): number {
  const starts = roundTripStarts(fills);
  let roundTrips = 0;
  for (let index = 0; index < starts.length; index += 1) roundTrips += starts[index];
  return roundTrips;
}

/** For each fill, 1 when it opens a round trip (as countRoundTrips counts them), else 0. */
export function roundTripStarts(fills: FillLog): Uint8Array {
  let symbols = 0;
  for (let index = 0; index < fills.length; index += 1) symbols = Math.max(symbols, fills.symbol[index] + 1);
  const position = new Float64Array(symbols);
  const starts = new Uint8Array(fills.length);
  for (let index = 0; index < fills.length; index += 1) {
    const symbol = fills.symbol[index];
    const before = position[symbol];
    const quantity = fills.quantity[index];
    if (flatAfter(before, quantity)) {
      position[symbol] = 0;
      continue;
    }
    const after = before + quantity;
    if (before === 0 || before > 0 !== after > 0) starts[index] = 1;
    position[symbol] = after;
  }
  return starts;
}

/**
 * Per-bar returns start from the starting cash (the first return is bar 0's close against it);
 * Sharpe and Sortino use a zero risk-free rate and are annualised by √barsPerYear; volatility uses
 * the sample standard deviation; Sortino's downside deviation is √mean(min(r, 0)²).
 */
export function computeMetrics({ ledger, fills, initialCash, barsPerYear }: MetricsInput): Metrics {
  const { equity, gross } = ledger;
  const bars = equity.length;
  let previous = initialCash;
  let sum = 0;
  let sumSquares = 0;
  let downsideSquares = 0;
  let peak = initialCash;
  let maxDrawdown = 0;
  let equitySum = 0;
  let inMarket = 0;
  for (let bar = 0; bar < bars; bar += 1) {
    const value = equity[bar];
    const change = previous !== 0 ? value / previous - 1 : 0;
    sum += change;
    sumSquares += change * change;
    if (change < 0) downsideSquares += change * change;
    if (value > peak) peak = value;
    else if (peak > 0) maxDrawdown = Math.max(maxDrawdown, 1 - value / peak);
    equitySum += value;
    if (gross[bar] > 1e-12) inMarket += 1;
    previous = value;
  }
  const final = bars > 0 ? equity[bars - 1] : initialCash;
  const totalReturn = final / initialCash - 1;
  const years = bars / barsPerYear;
  const cagr = years > 0 && final > 0 ? Math.pow(final / initialCash, 1 / years) - 1 : final > 0 ? 0 : -1;
  const mean = bars > 0 ? sum / bars : 0;
  const variance = bars > 1 ? Math.max(0, (sumSquares - bars * mean * mean) / (bars - 1)) : 0;
  const std = Math.sqrt(variance);
  const downside = bars > 0 ? Math.sqrt(downsideSquares / bars) : 0;
  const annualiser = Math.sqrt(barsPerYear);
  const averageEquity = bars > 0 ? equitySum / bars : initialCash;
  return {
    total_return: totalReturn,
    cagr,
    ann_vol: std * annualiser,
    sharpe: std > 0 ? (mean / std) * annualiser : 0,
    sortino: downside > 0 ? (mean / downside) * annualiser : 0,
    max_drawdown: maxDrawdown,
    calmar: maxDrawdown > 0 ? cagr / maxDrawdown : 0,
    turnover: years > 0 && averageEquity > 0 ? ledger.tradedNotional / averageEquity / years : 0,
    trades: countRoundTrips(fills),
    fills: fills.length,
    fees: ledger.commissions + ledger.slippage,
    exposure: bars > 0 ? inMarket / bars : 0,
  };
}

/** Drawdown series (positive fractions) for charts. */
export function drawdownSeries(equity: Float64Array, initialCash: number): Float64Array {
  const drawdown = new Float64Array(equity.length);
  let peak = initialCash;
  for (let bar = 0; bar < equity.length; bar += 1) {
    peak = Math.max(peak, equity[bar]);
    drawdown[bar] = peak > 0 ? 1 - equity[bar] / peak : 0;
  }
  return drawdown;
}
