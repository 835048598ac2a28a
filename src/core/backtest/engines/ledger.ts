import type { PriceFrame } from '../data/frame';
import type { FillLog } from './fills';

export interface Ledger {
  /** Equity marked at each bar's close, after that bar's fills. */
  equity: Float64Array;
  /** Gross exposure Σ|position × close| / equity at each close. */
  gross: Float64Array;
  /** Traded notional Σ|quantity × price| over the run. */
  tradedNotional: number;
  commissions: number;
  slippage: number;
}

/**
 * Rebuilds equity from fills and closes. Every engine's result goes through this one function,
 * so the quick engine, the built-in precise engine and NautilusTrader are measured alike.
 * Fills must be ordered by bar.
 */
export function replayFills(frame: PriceFrame, fills: FillLog, initialCash: number): Ledger {
  const bars = frame.times.length;
  const symbols = frame.symbols.length;
  const position = new Float64Array(symbols);
  const equity = new Float64Array(bars);
  const gross = new Float64Array(bars);
  let cash = initialCash;
  let tradedNotional = 0;
  let commissions = 0;
  let slippage = 0;
  let next = 0;
  for (let bar = 0; bar < bars; bar += 1) {
    while (next < fills.length && fills.bar[next] === bar) {
      const quantity = fills.quantity[next];
      const notional = quantity * fills.price[next];
      cash -= notional + fills.commission[next];
      position[fills.symbol[next]] += quantity;
      tradedNotional += Math.abs(notional);
      commissions += fills.commission[next];
      slippage += fills.slippage[next];
      next += 1;
    }
    let value = 0;
    let exposure = 0;
    for (let symbol = 0; symbol < symbols; symbol += 1) {
      const held = position[symbol] * frame.close[symbol][bar];
      value += held;
      exposure += Math.abs(held);
    }
    equity[bar] = cash + value;
    gross[bar] = equity[bar] > 0 ? exposure / equity[bar] : 0;
  }
  if (next < fills.length) throw new Error(`fill ${next} is out of bar order or beyond the last bar`);
  return { equity, gross, tradedNotional, commissions, slippage };
}
