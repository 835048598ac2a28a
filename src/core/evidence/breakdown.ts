/**
 * The per-symbol breakdown of a run (precheck and canary reports): what each symbol of the universe
 * contributed to the total return, its round trips, fees and exposure, from the run's fills and
 * ledger. The table work (one row per fill → holding segments → one row per symbol, joined to the
 * universe) is done with arquero, loaded on first use (shared/tables.ts).
 *
 * Every expression arquero parses is a string: the bundles are minified, and arquero reads a
 * function's source text, where a renamed `op` or `d` would no longer be recognised. Closures over
 * the prices go through `escape`, which arquero calls without parsing.
 */
import type { PriceFrame } from '../backtest/data/frame';
import type { FillLog } from '../backtest/engines/fills';
import type { Ledger } from '../backtest/engines/ledger';
import { roundTripStarts } from '../backtest/metrics';
import { loadArquero } from '../shared/tables';

/**
 * One symbol's share of a run. Definitions (also in the README):
 * - `pnl`: cash from its fills (sales − purchases − commissions; slippage is already in the fill
 *   prices) plus the position still held, marked at the last close. Over the universe these add up
 *   to final equity − starting cash.
 * - `contribution`: `pnl` over the starting cash; they add up to the run's `total_return`.
 * - `round_trips`: positions opened (as the run's `trades` metric counts them; they add up to it).
 * - `fills`: orders filled. `fees`: commissions plus slippage, in cash (they add up to `fees`).
 * - `exposure`: time in market — the fraction of bars at whose close the symbol is held.
 * - `gross_exposure`: average gross exposure — the mean over all bars of |position × close| /
 *   equity (0 where equity ≤ 0); over the universe these add up to the mean of the ledger's gross.
 */
export interface SymbolBreakdown {
  symbol: string;
  contribution: number;
  pnl: number;
  round_trips: number;
  fills: number;
  fees: number;
  exposure: number;
  gross_exposure: number;
}

/** A held |position × close| / equity this small is float residue, not a position (as the `exposure` metric). */
const HELD_EPSILON = 1e-12;

interface SegmentRow {
  symbol: number;
  bar: number;
  until: number;
  position: number;
}

/**
 * The breakdown of one run: a row per universe symbol, in universe order (symbols never traded
 * have zeros). `fills` must be the log the ledger was replayed from.
 */
export function symbolBreakdown(frame: PriceFrame, fills: FillLog, ledger: Ledger, cash: number): SymbolBreakdown[] {
  const aq = loadArquero();
  const bars = frame.times.length;
  const count = fills.length;
  const last = bars - 1;
  const { equity } = ledger;

  // Bars [bar, until) of one holding segment: how many are in the market, and Σ |held| / equity.
  const segment = (row: SegmentRow, gross: boolean): number => {
    if (row.position === 0 || row.until <= row.bar) return 0;
    const close = frame.close[row.symbol];
    let sum = 0;
    for (let bar = row.bar; bar < row.until; bar += 1) {
      const value = equity[bar];
      const share = value > 0 ? Math.abs(row.position * close[bar]) / value : 0;
      if (gross) sum += share;
      else if (share > HELD_EPSILON) sum += 1;
    }
    return sum;
  };

  const fillTable = aq.table({
    symbol: fills.symbol.subarray(0, count),
    bar: fills.bar.subarray(0, count),
    quantity: fills.quantity.subarray(0, count),
    price: fills.price.subarray(0, count),
    commission: fills.commission.subarray(0, count),
    slippage: fills.slippage.subarray(0, count),
    starts: roundTripStarts(fills),
  });

  // Sums over each symbol's fills.
  const perSymbol = fillTable.groupby('symbol').rollup({
    cash_flow: 'd => op.sum(-d.quantity * d.price - d.commission)',
    held: 'd => op.sum(d.quantity)',
    round_trips: 'd => op.sum(d.starts)',
    fills: 'd => op.count()',
    fees: 'd => op.sum(d.commission + d.slippage)',
  });

  // Each fill's symbol position after it, and the bar of that symbol's next fill (or the end):
  // the position is held over [bar, until); fills on the same bar make empty segments but the last.
  // The rows are in fill order, which is the order the window functions run in.
  const holdings = fillTable
    .select('symbol', 'bar', 'quantity')
    .params({ bars })
    .groupby('symbol')
    .derive({
      position: aq.rolling('d => op.sum(d.quantity)'),
      until: '(d, $) => op.lead(d.bar, 1, $.bars)',
    })
    .ungroup()
    .derive({
      held_bars: aq.escape((d: SegmentRow) => segment(d, false)),
      gross_sum: aq.escape((d: SegmentRow) => segment(d, true)),
    })
    .groupby('symbol')
    .rollup({ held_bars: 'd => op.sum(d.held_bars)', gross_sum: 'd => op.sum(d.gross_sum)' });

  const universe = aq.table({
    symbol: Int32Array.from(frame.symbols, (_, index) => index),
    name: frame.symbols,
    last_close: frame.symbols.map((_, index) => (bars > 0 ? frame.close[index][last] : 0)),
  });

  const rows = universe
    .join_left(perSymbol, 'symbol')
    .join_left(holdings, 'symbol')
    .impute({ cash_flow: '() => 0', held: '() => 0', round_trips: '() => 0', fills: '() => 0', fees: '() => 0', held_bars: '() => 0', gross_sum: '() => 0' })
    .params({ cash, bars })
    .derive({
      pnl: 'd => d.cash_flow + (d.held === 0 ? 0 : d.held * d.last_close)',
    })
    .derive({
      contribution: '(d, $) => d.pnl / $.cash',
      exposure: '(d, $) => $.bars > 0 ? d.held_bars / $.bars : 0',
      gross_exposure: '(d, $) => $.bars > 0 ? d.gross_sum / $.bars : 0',
    })
    .orderby('symbol')
    .select('name', 'contribution', 'pnl', 'round_trips', 'fills', 'fees', 'exposure', 'gross_exposure')
    .objects() as Record<string, number | string>[];

  return rows.map((row) => ({
    symbol: String(row.name),
    contribution: Number(row.contribution),
    pnl: Number(row.pnl),
    round_trips: Number(row.round_trips),
    fills: Number(row.fills),
    fees: Number(row.fees),
    exposure: Number(row.exposure),
    gross_exposure: Number(row.gross_exposure),
  }));
}
