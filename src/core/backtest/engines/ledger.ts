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
 *
 * Equity at a close is cash + Σ position × close over the symbols in universe order. It is built
 * symbol by symbol (each close column read in order, only over the bars where the symbol is held)
 * into per-bar sums that receive their terms in that same universe order, so every figure is
 * bit-identical to summing bar by bar; a flat symbol adds nothing (x + 0 = x).
 */
export function replayFills(frame: PriceFrame, fills: FillLog, initialCash: number): Ledger {
  const bars = frame.times.length;
  const symbols = frame.symbols.length;
  const count = fills.length;
  const fillBar = fills.bar;
  // The fills in bar order that the replay accepts; the first one out of order (or beyond the last bar) stops it.
  let accepted = 0;
  for (let previous = 0; accepted < count; accepted += 1) {
    const bar = fillBar[accepted];
    if (bar < previous || bar >= bars) break;
    previous = bar;
  }
  // Cash after each bar's fills, in fill order.
  const equity = new Float64Array(bars);
  const gross = new Float64Array(bars);
  const cashAt = new Float64Array(bars);
  let cash = initialCash;
  let tradedNotional = 0;
  let commissions = 0;
  let slippage = 0;
  let next = 0;
  for (let bar = 0; bar < bars; bar += 1) {
    while (next < accepted && fillBar[next] === bar) {
      const quantity = fills.quantity[next];
      const notional = quantity * fills.price[next];
      cash -= notional + fills.commission[next];
      tradedNotional += Math.abs(notional);
      commissions += fills.commission[next];
      slippage += fills.slippage[next];
      next += 1;
    }
    cashAt[bar] = cash;
  }
  if (next < count) throw new Error(`fill ${next} is out of bar order or beyond the last bar`);
  // The fills of each symbol, in log order (a stable counting sort by symbol).
  const first = new Int32Array(symbols + 1);
  for (let index = 0; index < count; index += 1) first[fills.symbol[index] + 1] += 1;
  for (let symbol = 0; symbol < symbols; symbol += 1) first[symbol + 1] += first[symbol];
  const cursor = first.slice(0, symbols);
  const bySymbol = new Int32Array(count);
  for (let index = 0; index < count; index += 1) bySymbol[cursor[fills.symbol[index]]++] = index;
  // equity holds Σ position × close and gross Σ |position × close| until the last step.
  for (let symbol = 0; symbol < symbols; symbol += 1) {
    const close = frame.close[symbol];
    const end = first[symbol + 1];
    let position = 0;
    let k = first[symbol];
    while (k < end) {
      const from = fillBar[bySymbol[k]];
      while (k < end && fillBar[bySymbol[k]] === from) position += fills.quantity[bySymbol[k++]];
      const to = k < end ? fillBar[bySymbol[k]] : bars;
      if (position === 0) continue;
      for (let bar = from; bar < to; bar += 1) {
        const held = position * close[bar];
        equity[bar] += held;
        gross[bar] += Math.abs(held);
      }
    }
  }
  for (let bar = 0; bar < bars; bar += 1) {
    const value = cashAt[bar] + equity[bar];
    const exposure = gross[bar];
    equity[bar] = value;
    gross[bar] = value > 0 ? exposure / value : 0;
  }
  return { equity, gross, tradedNotional, commissions, slippage };
}

/** Buffers a caller may keep between runs on the same calendar (the cost gate's many runs). */
export interface EquityScratch {
  equity: Float64Array;
  cashAt: Float64Array;
  /** The fills' indices grouped by symbol; grown as needed. */
  bySymbol?: Int32Array;
}

/**
 * Only the equity series of replayFills (no gross exposure, no traded notional), summed in the same
 * order, so every value is bit-identical to `replayFills(...).equity`. Writes into `scratch` (which
 * must hold `bars` values) and returns its equity array: what a Sharpe ratio needs, without the
 * two other bars-long arrays per run.
 */
export function replayEquity(frame: PriceFrame, fills: FillLog, initialCash: number, scratch: EquityScratch): Float64Array {
  const bars = frame.times.length;
  const symbols = frame.symbols.length;
  const count = fills.length;
  const fillBar = fills.bar;
  let accepted = 0;
  for (let previous = 0; accepted < count; accepted += 1) {
    const bar = fillBar[accepted];
    if (bar < previous || bar >= bars) break;
    previous = bar;
  }
  const equity = scratch.equity.length === bars ? scratch.equity : scratch.equity.subarray(0, bars);
  const cashAt = scratch.cashAt.length === bars ? scratch.cashAt : scratch.cashAt.subarray(0, bars);
  equity.fill(0);
  let cash = initialCash;
  let next = 0;
  for (let bar = 0; bar < bars; bar += 1) {
    while (next < accepted && fillBar[next] === bar) {
      cash -= fills.quantity[next] * fills.price[next] + fills.commission[next];
      next += 1;
    }
    cashAt[bar] = cash;
  }
  if (next < count) throw new Error(`fill ${next} is out of bar order or beyond the last bar`);
  const first = new Int32Array(symbols + 1);
  for (let index = 0; index < count; index += 1) first[fills.symbol[index] + 1] += 1;
  for (let symbol = 0; symbol < symbols; symbol += 1) first[symbol + 1] += first[symbol];
  const cursor = first.slice(0, symbols);
  if (!scratch.bySymbol || scratch.bySymbol.length < count) scratch.bySymbol = new Int32Array(count);
  const bySymbol = scratch.bySymbol;
  for (let index = 0; index < count; index += 1) bySymbol[cursor[fills.symbol[index]]++] = index;
  for (let symbol = 0; symbol < symbols; symbol += 1) {
    const close = frame.close[symbol];
    const end = first[symbol + 1];
    let position = 0;
    let k = first[symbol];
    while (k < end) {
      const from = fillBar[bySymbol[k]];
      while (k < end && fillBar[bySymbol[k]] === from) position += fills.quantity[bySymbol[k++]];
      const to = k < end ? fillBar[bySymbol[k]] : bars;
      if (position === 0) continue;
      for (let bar = from; bar < to; bar += 1) equity[bar] += position * close[bar];
    }
  }
  for (let bar = 0; bar < bars; bar += 1) equity[bar] = cashAt[bar] + equity[bar];
  return equity;
}
