import { QRAFT_VERSION } from '../../shared/version';
import { FillLog } from './fills';
import { type Engine, type EngineInput, type EngineRun, fillPrices, signalBarFor, targetChanged } from './types';

/** Rounds toward zero to a whole number of lots (lot 0 = fractional). */
export function roundToLots(quantity: number, lotSize: number): number {
  if (lotSize <= 0) return quantity;
  // The tiny nudge keeps 99.99999999 lots (floating error) from losing a whole lot.
  const lots = Math.trunc(quantity / lotSize + (quantity >= 0 ? 1e-9 : -1e-9));
  return lots * lotSize;
}

/**
 * The event-driven precise engine: whole lots, sells before buys on the same bar, buys limited by
 * the cash on hand, commission = max(min_commission, bps × notional), marked to market at each
 * close. Quantities come from the fill price and the equity at order time, so it never spends
 * cash it does not have.
 */
export function runBuiltin(input: EngineInput): EngineRun {
  const { frame, targets, costs, timing, lotSize } = input;
  const bars = frame.times.length;
  const symbols = frame.symbols.length;
  const position = new Float64Array(symbols);
  const desired = new Float64Array(symbols);
  const price = new Float64Array(symbols);
  const slip = costs.slippage_bps / 1e4;
  const commissionRate = costs.commission_bps / 1e4;
  const commissionFor = (notional: number) => Math.max(costs.min_commission, commissionRate * notional);
  const fills = new FillLog();
  let cash = input.cash;

  for (let bar = 0; bar < bars; bar += 1) {
    const signalBar = signalBarFor(timing, bar);
    if (signalBar < 0 || targets.rebalance[signalBar] === 0) continue;
    fillPrices(input, bar, price);
    let equity = cash;
    for (let symbol = 0; symbol < symbols; symbol += 1) equity += position[symbol] * price[symbol];
    for (let symbol = 0; symbol < symbols; symbol += 1) {
      desired[symbol] = targetChanged(targets, symbol, signalBar)
        ? roundToLots((targets.weights[symbol][signalBar] * equity) / price[symbol], lotSize)
        : position[symbol];
    }
    // Sells first: they raise the cash the buys need.
    for (let symbol = 0; symbol < symbols; symbol += 1) {
      const delta = desired[symbol] - position[symbol];
      if (delta >= 0) continue;
      const executed = price[symbol] * (1 - slip);
      const commission = commissionFor(-delta * executed);
      cash += -delta * executed - commission;
      position[symbol] = desired[symbol];
      fills.push(bar, symbol, delta, executed, commission, -delta * price[symbol] * slip);
    }
    const tolerance = 1e-9 * Math.max(1, Math.abs(equity));
    for (let symbol = 0; symbol < symbols; symbol += 1) {
      let delta = desired[symbol] - position[symbol];
      if (delta <= 0) continue;
      const executed = price[symbol] * (1 + slip);
      if (delta * executed + commissionFor(delta * executed) > cash + tolerance) {
        const affordable = Math.min(cash / (executed * (1 + commissionRate)), (cash - costs.min_commission) / executed);
        // Strict floor here: rounding up by even a hair would overspend.
        delta = lotSize > 0 ? Math.floor(affordable / lotSize) * lotSize : affordable;
        if (delta <= 0) continue;
      }
      const commission = commissionFor(delta * executed);
      cash -= delta * executed + commission;
      position[symbol] += delta;
      fills.push(bar, symbol, delta, executed, commission, delta * price[symbol] * slip);
    }
  }
  return { engine: 'builtin', version: QRAFT_VERSION, fills };
}

export const builtinEngine: Engine = {
  name: 'builtin',
  run: async (input) => runBuiltin(input),
};
