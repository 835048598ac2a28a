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
      })
      .prefault({}),
    leakage: z
      .strictObject({
        cut_points: z.number().int().min(1).max(50).default(5),
        /** Targets correlated with the return of the bar after their own this strongly look computed from future prices. */
        max_future_correlation: Fraction.max(1).default(0.3),
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
  })
  .prefault({});
export type CanaryConfig = z.output<typeof CanaryConfigSchema>;

/** What the evidence runs read of the configuration: gate thresholds and canary limits. */
export interface EvidenceConfig {
  gates: GateConfig;
  canary: CanaryConfig;
}
