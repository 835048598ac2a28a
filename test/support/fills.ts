import type { FillLog } from '../../src/core/backtest/engines/fills';

/** One fill as an object, for readable assertions (engines keep fills in columns, see FillLog). */
export interface Fill {
  bar: number;
  /** ISO timestamp of the bar the fill belongs to. */
  time: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  price: number;
  commission: number;
  /** Cost of slippage in cash (|quantity| × the price concession). */
  slippage: number;
}

export function fillsToList(log: FillLog, symbols: readonly string[], times: Float64Array): Fill[] {
  const fills: Fill[] = [];
  for (let index = 0; index < log.length; index += 1) {
    const quantity = log.quantity[index];
    fills.push({
      bar: log.bar[index],
      time: new Date(times[log.bar[index]]).toISOString(),
      symbol: symbols[log.symbol[index]],
      side: quantity > 0 ? 'buy' : 'sell',
      quantity: Math.abs(quantity),
      price: log.price[index],
      commission: log.commission[index],
      slippage: log.slippage[index],
    });
  }
  return fills;
}
