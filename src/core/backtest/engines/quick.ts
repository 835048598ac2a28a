import { REBALANCE_ALL } from '../signals/types';
import { QRAFT_VERSION } from '../../shared/version';
import { FillLog } from './fills';
import type { Engine, EngineInput, EngineRun } from './types';

const EPSILON = 1e-12;

/**
 * The vectorized engine: fractional quantities, fill price × (1 ± slippage), commission = bps ×
 * notional, no cash constraint beyond gross exposure. Columnar loops over typed arrays; it only
 * does per-symbol work on bars where an order is due, and values only the symbols it holds.
 */
export function runQuick(input: EngineInput): EngineRun {
  const { frame, targets, costs, timing } = input;
  const bars = frame.times.length;
  const symbols = frame.symbols.length;
  const prices = timing === 'next_open' ? frame.open : frame.close;
  const weights = targets.weights;
  const flags = targets.rebalance;
  const lag = timing === 'close' ? 0 : 1;
  const position = new Float64Array(symbols);
  // Symbols with a non-zero position, so valuing the book costs O(held), not O(universe).
  const held = new Int32Array(symbols);
  const heldAt = new Int32Array(symbols).fill(-1);
  let heldCount = 0;
  const slip = costs.slippage_bps / 1e4;
  const commissionRate = costs.commission_bps / 1e4;
  const fills = new FillLog();
  let cash = input.cash;
  for (let bar = lag; bar < bars; bar += 1) {
    const signalBar = bar - lag;
    const flag = flags[signalBar];
    if (flag === 0) continue;
    let equity = cash;
    for (let k = 0; k < heldCount; k += 1) {
      const symbol = held[k];
      equity += position[symbol] * prices[symbol][bar];
    }
    const tolerance = EPSILON * Math.max(1, Math.abs(equity));
    for (let symbol = 0; symbol < symbols; symbol += 1) {
      const column = weights[symbol];
      const weight = column[signalBar];
      // targetChanged() inlined: calling it here halves this loop's throughput (npm run bench).
      if (flag !== REBALANCE_ALL && weight === (signalBar > 0 ? column[signalBar - 1] : 0)) continue;
      const price = prices[symbol][bar];
      const target = (weight * equity) / price;
      const delta = target - position[symbol];
      if (Math.abs(delta) * price <= tolerance) continue;
      const executed = price * (delta > 0 ? 1 + slip : 1 - slip);
      const commission = commissionRate * Math.abs(delta) * executed;
      cash -= delta * executed + commission;
      if (position[symbol] === 0 && target !== 0) {
        heldAt[symbol] = heldCount;
        held[heldCount++] = symbol;
      } else if (target === 0 && heldAt[symbol] >= 0) {
        const last = held[--heldCount];
        held[heldAt[symbol]] = last;
        heldAt[last] = heldAt[symbol];
        heldAt[symbol] = -1;
      }
      position[symbol] = target;
      fills.push(bar, symbol, delta, executed, commission, Math.abs(delta) * price * slip);
    }
  }
  return { engine: 'quick', version: QRAFT_VERSION, fills };
}

export const quickEngine: Engine = {
  name: 'quick',
  run: async (input) => runQuick(input),
};
