import { z } from 'zod';
import { ENGINE_NAMES, FALLBACK_CODES } from '../../backtest/engines/types';
import { METRICS, METRIC_NAMES, type MetricName } from '../../backtest/metrics';
import { TIMINGS } from '../../backtest/strategy/schema';
import { GATE_NAMES } from '../gates/types';
import { Sha256 } from '../../shared/hashing';

/** Every metric of backtest/metrics.ts, by its one definition there. */
export const MetricsSchema = z.object(
  Object.fromEntries(METRIC_NAMES.map((name) => [name, z.number().describe(METRICS[name])])) as Record<MetricName, z.ZodNumber>,
);

/** Why `auto` ran the built-in engine (reports written before it existed have only the note). */
export const EngineFallbackSchema = z.object({
  code: z.enum(FALLBACK_CODES),
  message: z.string(),
  detail: z.string().optional(),
});

/** One symbol's share of a run (evidence/breakdown.ts defines each figure). */
export const SymbolBreakdownSchema = z.object({
  symbol: z.string(),
  contribution: z.number().describe('pnl over the starting cash; the symbols add up to total_return'),
  pnl: z.number().describe('cash from its fills plus the position held at the last close, in cash'),
  round_trips: z.number().int().describe('positions opened, as the trades metric counts them'),
  fills: z.number().int().describe('orders filled'),
  fees: z.number().describe('commissions plus slippage, in cash'),
  exposure: z.number().describe('time in market: fraction of bars at whose close the symbol is held'),
  gross_exposure: z.number().describe('mean over all bars of |position × close| / equity'),
});
export type SymbolBreakdownRow = z.output<typeof SymbolBreakdownSchema>;

export const EngineSummarySchema = z.object({
  engine: z.enum(ENGINE_NAMES),
  version: z.string(),
  note: z.string().optional(),
  fallback: EngineFallbackSchema.optional(),
  metrics: MetricsSchema,
  /** Per symbol, in universe order (reports written before it existed have none). */
  breakdown: z.array(SymbolBreakdownSchema).optional(),
});

/** Equity (and drawdown) downsampled for charts; times are ISO strings. */
export const SeriesSchema = z.object({
  times: z.array(z.string()),
  equity: z.array(z.number()),
  drawdown: z.array(z.number()),
});

export const GateResultSchema = z.object({
  name: z.enum(GATE_NAMES),
  passed: z.boolean(),
  value: z.number(),
  threshold: z.number(),
  summary: z.string(),
  details: z.record(z.string(), z.unknown()),
});

export const DataSummarySchema = z.object({
  fingerprint: Sha256,
  paths: z.array(z.string()),
  symbols: z.array(z.string()),
  bars: z.number().int(),
  start: z.string(),
  end: z.string(),
});

const StrategySummarySchema = z.object({ name: z.string(), version: z.string(), path: z.string() });

/**
 * What the run was given, so approval can run it again: the price file or folder (absolute), the
 * symbol of a single-symbol file, and the window as the user wrote it.
 */
export const RunInputsSchema = z.object({
  prices: z.string(),
  symbol: z.string().optional(),
  start: z.string().optional(),
  end: z.string().optional(),
});
export type RunInputs = z.output<typeof RunInputsSchema>;

export const PrecheckReportSchema = z.object({
  kind: z.literal('qraft.precheck'),
  passed: z.boolean(),
  created_at: z.string(),
  strategy: StrategySummarySchema,
  strategy_hash: Sha256,
  data: DataSummarySchema,
  inputs: RunInputsSchema.optional(),
  timing: z.enum(TIMINGS),
  cash: z.number(),
  gates: z.array(GateResultSchema),
  quick: EngineSummarySchema.extend({ series: SeriesSchema }),
  precise: EngineSummarySchema.extend({ series: SeriesSchema }),
  timings_ms: z.record(z.string(), z.number()),
});
export type PrecheckReport = z.output<typeof PrecheckReportSchema>;

export const CanaryVerdictSchema = z.enum(['pass', 'marginal', 'fail']);
export type CanaryVerdict = z.output<typeof CanaryVerdictSchema>;

/** How the canary compared the candidate's per-bar returns with CURRENT's (Kayenta-style). */
export const CanaryStatisticsSchema = z.object({
  mann_whitney: z.object({ u: z.number(), n1: z.number(), n2: z.number(), z: z.number(), p_less: z.number(), p_two_sided: z.number() }),
  sharpe_difference: z.object({ estimate: z.number(), low: z.number(), high: z.number(), confidence: z.number(), resamples: z.number(), seed: z.number() }),
});
export type CanaryStatistics = z.output<typeof CanaryStatisticsSchema>;

export const CanaryCheckSchema = z.object({ name: z.string(), score: z.number().min(0).max(1), detail: z.string() });

export const CanaryReportSchema = z.object({
  kind: z.literal('qraft.canary'),
  verdict: CanaryVerdictSchema,
  reasons: z.array(z.string()),
  created_at: z.string(),
  strategy: StrategySummarySchema,
  strategy_hash: Sha256,
  data: DataSummarySchema,
  inputs: RunInputsSchema.optional(),
  window: z.object({ start: z.string(), end: z.string(), bars: z.number().int() }),
  cash: z.number(),
  limits: z.record(z.string(), z.number()),
  candidate: EngineSummarySchema.extend({ series: SeriesSchema }),
  baseline: EngineSummarySchema.extend({ series: SeriesSchema, manifest_hash: Sha256, strategy: z.object({ name: z.string(), version: z.string() }) }).nullable(),
  baseline_note: z.string().optional(),
  deltas: z.record(z.string(), z.number()).nullable(),
  /** The statistical comparison with CURRENT, its checks and the 0–100 score (null without a baseline). */
  statistics: CanaryStatisticsSchema.nullable().optional(),
  checks: z.array(CanaryCheckSchema).optional(),
  score: z.number().nullable().optional(),
  timings_ms: z.record(z.string(), z.number()),
});
export type CanaryReport = z.output<typeof CanaryReportSchema>;

export const AnyReportSchema = z.discriminatedUnion('kind', [PrecheckReportSchema, CanaryReportSchema]);
export type AnyReport = z.output<typeof AnyReportSchema>;
