import { z } from 'zod';

const Fraction = z.number().min(0);

/** Gate thresholds: DESIGN.md's defaults, overridable by a config file, settings or the command line. */
export const GateConfigSchema = z
  .strictObject({
    consistency: z
      .strictObject({
        tolerance: Fraction.default(0.02),
        floors: z
          .strictObject({
            total_return: Fraction.default(0.01),
            ann_vol: Fraction.default(0.01),
            sharpe: Fraction.default(0.1),
            max_drawdown: Fraction.default(0.01),
          })
          .prefault({}),
      })
      .prefault({}),
    cold_start: z.strictObject({ tolerance: Fraction.default(0.01) }).prefault({}),
    cost_sensitivity: z
      .strictObject({
        min_overlap: Fraction.max(1).default(0.7),
        multipliers: z.array(z.number().min(0)).min(2).default([0.5, 1, 1.5]),
        /** A grid with more variants than this is refused before any is run. */
        max_variants: z.number().int().min(1).default(1000),
        /** Variants whose Sharpe is within this of the N-th best count as in the top (ties do not flip a ranking). */
        tie_tolerance: z.number().min(0).default(0.01),
        /** The engine that ranks the variants: quick (in this process) or precise (every variant × cost level is a task of the precise engine). */
        engine: z.enum(['quick', 'precise']).default('quick'),
      })
      .prefault({}),
    evidence: z
      .strictObject({
        /** Bars the run must have after the signal's warm-up. */
        min_bars: z.number().int().min(1).default(20),
        /** Round trips the precise run must make (the README recommends more for production). */
        min_trades: z.number().int().min(0).default(1),
        /** A Sharpe ratio above this over a year or more is implausible: look for look-ahead. */
        max_sharpe: z.number().positive().default(4),
      })
      .prefault({}),
    leakage: z
      .strictObject({
        cut_points: z.number().int().min(1).max(50).default(5),
        /** Targets correlated above this with the return their position will earn, significantly, look computed from future prices. */
        max_future_correlation: Fraction.max(1).default(0.1),
        /** The one-sided p-value below which that correlation counts as significant. */
        significance: Fraction.max(1).default(0.001),
        /** A significant correlation that keeps less than this share of itself one bar later is a peek at the future. */
        min_correlation_kept: Fraction.max(1).default(0.15),
        /** Only a result with a Sharpe ratio above this is put to the delay test. */
        delay_strong_sharpe: z.number().default(2),
        /** The share of its Sharpe a strong result must keep with one more bar of delay. */
        delay_min_retained: Fraction.max(1).default(0.25),
      })
      .prefault({}),
  })
  .prefault({});
export type GateConfig = z.output<typeof GateConfigSchema>;

export const CanaryConfigSchema = z
  .strictObject({
    base_cash: z.number().positive().default(1_000_000),
    cash_ratio: z.number().positive().max(1).default(0.05),
    /** Share of the most recent bars the canary runs on, unless an explicit window is given. */
    window: z.number().positive().max(1).default(0.2),
    /** A drawdown above this fails; above marginal_share × this is marginal. */
    max_drawdown: Fraction.default(0.15),
    /** Candidate total return minus the CURRENT baseline's below this fails. */
    min_return_vs_baseline: z.number().default(-0.02),
    /** How close to a limit counts as marginal (return: this far above the floor; drawdown: this share of the limit). */
    marginal_band: Fraction.default(0.02),
    marginal_share: Fraction.max(1).default(0.8),
    /** One-sided p-value below which the candidate's per-bar returns count as lower than CURRENT's (Mann–Whitney U). */
    significance: Fraction.max(1).default(0.05),
    /** Confidence of the bootstrap interval of the Sharpe difference, and its resamples. */
    confidence: z.number().gt(0).lt(1).default(0.95),
    resamples: z.number().int().min(100).max(100_000).default(1000),
    /** Score cut-offs (0–100): at least pass_score passes, at least marginal_score is marginal. */
    pass_score: z.number().min(0).max(100).default(75),
    marginal_score: z.number().min(0).max(100).default(50),
  })
  .prefault({});
export type CanaryConfig = z.output<typeof CanaryConfigSchema>;

/** What the evidence runs read of the configuration: gate thresholds and canary limits. */
export interface EvidenceConfig {
  gates: GateConfig;
  canary: CanaryConfig;
}
