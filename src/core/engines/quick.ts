import { QRAFT_VERSION } from '../version';
import { FillLog } from './fills';
import { type Engine, type EngineInput, type EngineRun, fillPrices, signalBarFor } from './types';

const EPSILON = 1e-12;

/**
 * The vectorized engine: fractional quantities, fill price × (1 ± slippage), commission = bps ×
 * notional, no cash constraint beyond gross exposure. Columnar loops over typed arrays; it only
 * does per-symbol work on bars where an order is due.
 */
export function runQuick(input: EngineInput): EngineRun {
  const { frame, targets, costs, timing } = input;
  const bars = frame.times.length;
  const symbols = frame.symbols.length;
  const position = new Float64Array(symbols);
  const price = new Float64Array(symbols);
  const slip = costs.slippage_bps / 1e4;
  const commissionRate = costs.commission_bps / 1e4;
  const fills = new FillLog();
  let cash = input.cash;
  for (let bar = 0; bar < bars; bar += 1) {
    const signalBar = signalBarFor(timing, bar);
    if (signalBar < 0 || targets.rebalance[signalBar] === 0) continue;
    fillPrices(input, bar, price);
    let equity = cash;
    for (let symbol = 0; symbol < symbols; symbol += 1) equity += position[symbol] * price[symbol];
    for (let symbol = 0; symbol < symbols; symbol += 1) {
      const target = (targets.weights[symbol][signalBar] * equity) / price[symbol];
      const delta = target - position[symbol];
      if (Math.abs(delta) * price[symbol] <= EPSILON * Math.max(1, Math.abs(equity))) continue;
      const executed = price[symbol] * (delta > 0 ? 1 + slip : 1 - slip);
      const commission = commissionRate * Math.abs(delta) * executed;
      cash -= delta * executed + commission;
      position[symbol] = target;
      fills.push(bar, symbol, delta, executed, commission, Math.abs(delta) * price[symbol] * slip);
    }
  }
  return { engine: 'quick', version: QRAFT_VERSION, fills };
}

export const quickEngine: Engine = {
  name: 'quick',
  run: async (input) => runQuick(input),
};
