import { z } from 'zod';

const PositiveInt = z.number().int().min(1);
const NonNegative = z.number().min(0);
const Name = z.string().trim().min(1, 'must not be empty').max(200);
const SymbolName = z.string().regex(/^[A-Za-z0-9._\-^=]{1,32}$/, 'must be 1-32 letters, digits or . _ - ^ =');

const crossSignal = <T extends string>(type: T) =>
  z
    .strictObject({
      type: z.literal(type),
      fast: PositiveInt,
      slow: z.number().int().min(2),
      mode: z.enum(['cross', 'state']).default('cross'),
    })
    .refine((signal) => signal.fast < signal.slow, { message: 'fast must be shorter than slow', path: ['fast'] });

export const SignalSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('buy_and_hold') }),
  crossSignal('sma_cross'),
  crossSignal('ema_cross'),
  z.strictObject({ type: z.literal('momentum'), lookback: PositiveInt, top_n: PositiveInt, rebalance_every: PositiveInt }),
  z
    .strictObject({ type: z.literal('mean_reversion'), lookback: z.number().int().min(2), entry_z: z.number().positive(), exit_z: NonNegative })
    .refine((signal) => signal.exit_z < signal.entry_z, { message: 'exit_z must be below entry_z', path: ['exit_z'] }),
  z
    .strictObject({ type: z.literal('rsi'), period: z.number().int().min(2), lower: z.number().min(0).max(100), upper: z.number().min(0).max(100) })
    .refine((signal) => signal.lower < signal.upper, { message: 'lower must be below upper', path: ['lower'] }),
  z.strictObject({ type: z.literal('weights'), file: z.string().min(1) }),
]);
export type Signal = z.output<typeof SignalSchema>;

export const TIMINGS = ['next_close', 'close', 'next_open'] as const;
export type Timing = (typeof TIMINGS)[number];

/** Bars per year by bar interval (US equities: 252 sessions of 6.5 hours). */
export const BARS_PER_YEAR = {
  '1m': 252 * 390,
  '5m': 252 * 78,
  '15m': 252 * 26,
  '30m': 252 * 13,
  '1h': 252 * 6.5,
  '1d': 252,
  '1w': 52,
  '1mo': 12,
} as const;
export type BarInterval = keyof typeof BARS_PER_YEAR;

export const StrategySchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: Name,
    version: Name,
    description: z.string().max(10000).optional(),
    universe: z.array(SymbolName).min(1, 'needs at least one symbol'),
    bar: z.enum(Object.keys(BARS_PER_YEAR) as [BarInterval, ...BarInterval[]]).default('1d'),
    bars_per_year: z.number().positive().optional().describe('Overrides the annualisation implied by `bar` (e.g. 365 for crypto daily bars).'),
    signal: SignalSchema,
    sizing: z
      .strictObject({
        type: z.literal('equal_weight').default('equal_weight'),
        gross: z.number().positive().max(10).default(1),
        allow_short: z.boolean().default(false),
      })
      .prefault({}),
    costs: z
      .strictObject({
        commission_bps: NonNegative.max(10000).default(0),
        slippage_bps: NonNegative.max(10000).default(0),
        min_commission: NonNegative.default(0),
      })
      .prefault({}),
    execution: z
      .strictObject({
        lot_size: NonNegative.default(1).describe('Shares per lot in the precise engine; 0 means fractional quantities.'),
        timing: z.enum(TIMINGS).default('next_close'),
      })
      .prefault({}),
    grid: z.record(z.string().regex(/^signal\.[a-z_]+$/, 'grid keys are signal parameters such as "signal.fast"'), z.array(z.number()).min(1)).optional(),
  })
  .superRefine((strategy, ctx) => {
    const seen = new Set<string>();
    strategy.universe.forEach((symbol, index) => {
      if (seen.has(symbol)) ctx.addIssue({ code: 'custom', message: `${symbol} is listed twice`, path: ['universe', index] });
      seen.add(symbol);
    });
    const signal = strategy.signal as Record<string, unknown>;
    for (const key of Object.keys(strategy.grid ?? {})) {
      const param = key.slice('signal.'.length);
      if (typeof signal[param] !== 'number') {
        ctx.addIssue({ code: 'custom', message: `${param} is not a numeric parameter of the ${strategy.signal.type} signal`, path: ['grid', key] });
      }
    }
    if (strategy.signal.type === 'momentum' && strategy.signal.top_n > strategy.universe.length) {
      ctx.addIssue({ code: 'custom', message: 'top_n is larger than the universe', path: ['signal', 'top_n'] });
    }
  });

export type Strategy = z.output<typeof StrategySchema>;
export type StrategyInput = z.input<typeof StrategySchema>;

export function barsPerYear(strategy: Pick<Strategy, 'bar' | 'bars_per_year'>): number {
  return strategy.bars_per_year ?? BARS_PER_YEAR[strategy.bar];
}
