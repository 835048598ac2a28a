import { REBALANCE_ALL, type TargetWeights } from '../signals/types';
import { QRAFT_VERSION } from '../../shared/version';
import { FillLog } from './fills';
import type { Engine, EngineInput, EngineRun } from './types';

const EPSILON = 1e-12;

/** vectorbt's closeness test (relative 1e-9, absolute 1e-12), used where it decides a buy's size. */
function isClose(a: number, b: number): boolean {
  return a === b || Math.abs(a - b) <= Math.max(1e-9 * Math.max(Math.abs(a), Math.abs(b)), 1e-12);
}

/** position + quantity, or 0 when the two cancel within floating error (vectorbt's add_nb). */
function addQuantity(position: number, quantity: number): number {
  const sum = position + quantity;
  return position !== 0 && position > 0 !== quantity > 0 && isClose(Math.abs(position), Math.abs(quantity)) ? 0 : sum;
}

/**
 * Sets a position and keeps the list of held symbols (held[0..count), heldAt = index or −1) with,
 * in the same slots, each one's quantity and price column (valuing the book then reads two
 * arrays in order instead of chasing each symbol's); returns the new count. A module function,
 * not a closure: a closure over the count would move it to the heap and slow every loop that reads it.
 */
function setPosition(
  position: Float64Array,
  held: Int32Array,
  heldAt: Int32Array,
  heldQuantity: Float64Array,
  heldPrices: Float64Array[],
  prices: Float64Array[],
  count: number,
  symbol: number,
  quantity: number,
): number {
  const before = position[symbol];
  position[symbol] = quantity;
  if (before === 0) {
    if (quantity !== 0) {
      heldAt[symbol] = count;
      held[count] = symbol;
      heldQuantity[count] = quantity;
      heldPrices[count] = prices[symbol];
      count += 1;
    }
  } else if (quantity === 0) {
    const slot = heldAt[symbol];
    count -= 1;
    const last = held[count];
    held[slot] = last;
    heldQuantity[slot] = heldQuantity[count];
    heldPrices[slot] = heldPrices[count];
    heldAt[last] = slot;
    heldAt[symbol] = -1;
  } else {
    heldQuantity[heldAt[symbol]] = quantity;
  }
  return count;
}

/**
 * Orders the first `count` pending buys by their value (target value − value held), smallest
 * first and stable, as vectorbt's `call_seq='auto'` does: when the cash runs out, it is the largest
 * buy that is cut.
 */
function sortBuys(count: number, order: Int32Array, value: Float64Array): void {
  if (count <= 16) {
    // Insertion sort, vectorbt's own: stable, and the fastest for the usual one or two buys.
    for (let j = 1; j < count; j += 1) {
      const item = order[j];
      let i = j - 1;
      while (i >= 0 && value[order[i]] > value[item]) {
        order[i + 1] = order[i];
        i -= 1;
      }
      order[i + 1] = item;
    }
    return;
  }
  order.subarray(0, count).sort((a, b) => value[a] - value[b] || a - b);
}

/**
 * The (signal bar, symbol) pairs where an order is due, grouped by signal bar (CSR: the symbols of
 * bar b are symbol[start[b] .. start[b + 1]), ascending): every symbol on a full rebalance, else
 * those whose target changed from the bar before. Built column by column (weights are stored per
 * symbol) and kept per targets object: the cost gate runs the same targets at many cost levels.
 * Targets are not changed once computed.
 */
interface DueOrders {
  start: Int32Array;
  symbol: Int32Array;
  /** The target weight of each (bar, symbol) pair, read here once in column order: the engine then reads them in sequence. */
  weight: Float64Array;
}

const dueCache = new WeakMap<TargetWeights, DueOrders>();

function dueOrders(targets: TargetWeights, symbols: number): DueOrders {
  const cached = dueCache.get(targets);
  if (cached && cached.start.length === targets.rebalance.length + 1) return cached;
  // A local copy: an imported binding is read through a getter (tsx, tests), once per cell here.
  const ALL = REBALANCE_ALL;
  const flags = targets.rebalance;
  const weights = targets.weights;
  const bars = flags.length;
  // One pass over the cells: each symbol's due bars are listed (symbol by symbol, bars ascending),
  // then placed by bar (a counting sort, stable: symbols ascending within a bar).
  const start = new Int32Array(bars + 1);
  let dueBar = new Int32Array(Math.max(16, bars));
  const symbolEnd = new Int32Array(symbols);
  let count = 0;
  for (let s = 0; s < symbols; s += 1) {
    const column = weights[s];
    let previous = 0;
    for (let bar = 0; bar < bars; bar += 1) {
      const weight = column[bar];
      const flag = flags[bar];
      if (flag === ALL || (flag !== 0 && weight !== previous)) {
        if (count === dueBar.length) {
          const grown = new Int32Array(dueBar.length * 2);
          grown.set(dueBar);
          dueBar = grown;
        }
        dueBar[count++] = bar;
        start[bar + 1] += 1;
      }
      previous = weight;
    }
    symbolEnd[s] = count;
  }
  for (let bar = 0; bar < bars; bar += 1) start[bar + 1] += start[bar];
  const cursor = start.slice(0, bars);
  const symbol = new Int32Array(count);
  const dueWeight = new Float64Array(count);
  for (let s = 0, k = 0; s < symbols; s += 1) {
    const column = weights[s];
    for (const last = symbolEnd[s]; k < last; k += 1) {
      const bar = dueBar[k];
      const at = cursor[bar]++;
      symbol[at] = s;
      dueWeight[at] = column[bar];
    }
  }
  const due = { start, symbol, weight: dueWeight };
  dueCache.set(targets, due);
  return due;
}

/**
 * The vectorized engine, with vectorbt's `Portfolio.from_orders(size_type='targetpercent')`
 * semantics (cash shared across symbols, `call_seq='auto'`): fractional quantities, fill price ×
 * (1 ± slippage), commission = bps × notional at that price. On a bar where orders are due, equity
 * is valued once at the fill prices and each traded symbol's target quantity is weight × equity /
 * price. Sells and shorts go first and trade the full size, paying the fee from the proceeds; then
 * buys, smallest first, each sized so that its cost and its fee fit the cash on hand: a buy that
 * would spend more is cut to cash / (price × (1 + slippage) × (1 + commission)), so gross exposure
 * never exceeds the target because of fees (a buy that fits pays its fee from the spare cash).
 * Like vectorbt and the precise engines, a buy never borrows: longs beyond the cash (a long-only
 * `sizing.gross` above 1, or a sleeve that drifted up) are cut to the cash, short proceeds included.
 * test/unit/vectorbt.test.ts holds it to vectorbt's own numbers. Columnar loops over typed arrays; it only does per-symbol work on bars where an order is due,
 * and values only the symbols it holds. `reuse`: a log to write the fills into (emptied first)
 * instead of a new one.
 */
export function runQuick(input: EngineInput, reuse?: FillLog): EngineRun {
  const { frame, targets, costs, timing } = input;
  const bars = frame.times.length;
  const symbols = frame.symbols.length;
  const prices = timing === 'next_open' ? frame.open : frame.close;
  const flags = targets.rebalance;
  const lag = timing === 'close' ? 0 : 1;
  const position = new Float64Array(symbols);
  // Symbols with a non-zero position, so valuing the book costs O(held), not O(universe).
  const held = new Int32Array(symbols);
  const heldAt = new Int32Array(symbols).fill(-1);
  const heldQuantity = new Float64Array(symbols);
  const heldPrices: Float64Array[] = new Array<Float64Array>(symbols).fill(prices[0]);
  let heldCount = 0;
  // Buys wait until the bar's sells have raised their cash: symbol, quantity, value.
  const buyOrder = new Int32Array(symbols);
  const buyQuantity = new Float64Array(symbols);
  const buyValue = new Float64Array(symbols);
  const slip = costs.slippage_bps / 1e4;
  const commissionRate = costs.commission_bps / 1e4;
  // The orders due, found once per targets; at most one fill each, so the log is allocated once
  // (growing it by doubling was a third of the dense case's time).
  const due = dueOrders(targets, symbols);
  const dueStart = due.start;
  const dueSymbol = due.symbol;
  const dueWeight = due.weight;
  const capacity = dueStart[Math.max(0, bars - lag)];
  const fills = reuse ? reuse.reset(capacity) : new FillLog(capacity);
  // Written in place: at most one fill per due order, so the columns never grow (no push per fill).
  const fillBar = fills.bar;
  const fillSymbol = fills.symbol;
  const fillQuantity = fills.quantity;
  const fillPrice = fills.price;
  const fillCommission = fills.commission;
  const fillSlippage = fills.slippage;
  let filled = 0;
  const buyPrice = new Float64Array(symbols);
  const barPrice = new Float64Array(symbols);
  let cash = input.cash;

  for (let bar = lag; bar < bars; bar += 1) {
    const signalBar = bar - lag;
    const flag = flags[signalBar];
    if (flag === 0) continue;
    const first = dueStart[signalBar];
    const end = dueStart[signalBar + 1];
    // When most symbols trade (a dense bar), the bar's prices are gathered once into one array;
    // otherwise each is read from its column where needed. The same values either way.
    const gather = end - first >= symbols >> 1;
    let equity = cash;
    if (gather) {
      for (let symbol = 0; symbol < symbols; symbol += 1) barPrice[symbol] = prices[symbol][bar];
      for (let k = 0; k < heldCount; k += 1) equity += heldQuantity[k] * barPrice[held[k]];
    } else {
      for (let k = 0; k < heldCount; k += 1) equity += heldQuantity[k] * heldPrices[k][bar];
    }
    const tolerance = EPSILON * Math.max(1, Math.abs(equity));
    let buys = 0;
    let buyCost = 0;
    // Only the symbols with an order due (see dueOrders), in universe order.
    for (let k = first; k < end; k += 1) {
      const symbol = dueSymbol[k];
      const weight = dueWeight[k];
      const price = gather ? barPrice[symbol] : prices[symbol][bar];
      const target = (weight * equity) / price;
      const delta = target - position[symbol];
      if (Math.abs(delta) * price <= tolerance) continue;
      if (delta > 0) {
        buyOrder[buys] = symbol;
        buyQuantity[symbol] = delta;
        buyPrice[symbol] = price;
        buyValue[symbol] = weight * equity - position[symbol] * price;
        buyCost += delta * price * (1 + slip) * (1 + commissionRate);
        buys += 1;
        continue;
      }
      // A sell (or short): the full size, the fee paid from the proceeds.
      const executed = price * (1 - slip);
      const commission = commissionRate * -delta * executed;
      cash += -delta * executed - commission;
      heldCount = setPosition(position, held, heldAt, heldQuantity, heldPrices, prices, heldCount, symbol, addQuantity(position[symbol], delta));
      fillBar[filled] = bar;
      fillSymbol[filled] = symbol;
      fillQuantity[filled] = delta;
      fillPrice[filled] = executed;
      fillCommission[filled] = commission;
      fillSlippage[filled] = -delta * price * slip;
      filled += 1;
    }
    // The order of the buys matters only when the cash cannot pay for all of them.
    if (buys > 1 && buyCost > cash * (1 - 1e-9)) sortBuys(buys, buyOrder, buyValue);
    for (let k = 0; k < buys; k += 1) {
      const symbol = buyOrder[k];
      // No cash, no buy (vectorbt rejects it); a remainder within floating error is no cash.
      if (cash <= EPSILON) break;
      const price = buyPrice[symbol];
      const executed = price * (1 + slip);
      let quantity = buyQuantity[symbol];
      let commission = quantity * executed * commissionRate;
      let spent = quantity * executed + commission;
      if (spent > cash && !isClose(spent, cash)) {
        // The cost and the fee must fit the cash: cut the buy so that they spend exactly all of it.
        const cost = cash / (1 + commissionRate);
        quantity = cost / executed;
        commission = cash - cost;
        spent = cash;
      }
      cash = isClose(cash, spent) ? 0 : cash - spent;
      heldCount = setPosition(position, held, heldAt, heldQuantity, heldPrices, prices, heldCount, symbol, addQuantity(position[symbol], quantity));
      fillBar[filled] = bar;
      fillSymbol[filled] = symbol;
      fillQuantity[filled] = quantity;
      fillPrice[filled] = executed;
      fillCommission[filled] = commission;
      fillSlippage[filled] = quantity * price * slip;
      filled += 1;
    }
  }
  fills.length = filled;
  return { engine: 'quick', version: QRAFT_VERSION, fills };
}

export const quickEngine: Engine = {
  name: 'quick',
  run: async (input) => runQuick(input),
};
