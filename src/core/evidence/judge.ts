import { z } from 'zod';
import type { CanaryConfig, GateConfig } from './gates/config';
import { judgeCanary } from './canary';
import { COMPARED, judgeConsistency } from './gates/consistency';
import { judgeColdStart } from './gates/coldStart';
import { judgeCostSensitivity } from './gates/costSensitivity';
import { judgeLeakage } from './gates/leakage';
import { judgeEvidence } from './gates/evidence';
import { GATE_NAMES, type GateName } from './gates/types';
import type { CanaryReport, CanaryVerdict, PrecheckReport } from './reports/schema';

/**
 * Verdicts recomputed from what a report measured, under the thresholds in force now, by the same
 * rules the gates apply when they run. A report's own `passed` and `verdict` are never read: they
 * are what a forger would edit.
 */

type GateRecord = PrecheckReport['gates'][number];

const ConsistencyDetails = z.object({
  metrics: z.array(z.object({ metric: z.enum(COMPARED), quick: z.number(), precise: z.number() })).min(1),
});
const ColdStartDetails = z.object({ metrics: z.array(z.object({ relative_difference: z.number() })).min(1) });
const LeakageDetails = z.object({
  cuts: z.array(z.object({ identical: z.boolean() })).min(1),
  data_problems: z.array(z.unknown()),
  statistic: z.object({ p_value: z.number(), delayed_r: z.number() }),
  delay: z.object({ baseline_sharpe: z.number(), delayed_sharpe: z.number() }),
});

const EvidenceDetails = z.object({ bars: z.number(), warmup: z.number(), round_trips: z.number(), sharpe: z.number(), years: z.number() });

const JUDGES: Record<GateName, (gate: GateRecord, config: GateConfig) => boolean | undefined> = {
  consistency: (gate, config) => {
    const details = ConsistencyDetails.safeParse(gate.details);
    return details.success ? judgeConsistency(details.data.metrics, config.consistency).passed : undefined;
  },
  cold_start: (gate, config) => {
    const details = ColdStartDetails.safeParse(gate.details);
    return details.success ? judgeColdStart(details.data.metrics.map((m) => m.relative_difference), config.cold_start) : undefined;
  },
  cost_sensitivity: (gate, config) => judgeCostSensitivity(gate.value, config.cost_sensitivity),
  evidence: (gate, config) => {
    const details = EvidenceDetails.safeParse(gate.details);
    return details.success ? judgeEvidence(details.data, config.evidence).length === 0 : undefined;
  },
  leakage: (gate, config) => {
    const details = LeakageDetails.safeParse(gate.details);
    if (!details.success) return undefined;
    const truncationLeaks = details.data.cuts.filter((cut) => !cut.identical).length;
    const { statistic, delay } = details.data;
    return judgeLeakage(
      { dataProblems: details.data.data_problems.length, truncationLeaks, correlation: gate.value, pValue: statistic.p_value, delayedCorrelation: statistic.delayed_r, delay: { baseline: delay.baseline_sharpe, delayed: delay.delayed_sharpe } },
      config.leakage,
    );
  },
};

export interface PrecheckJudgement {
  passed: boolean;
  /** One sentence per gate that does not pass now (failed, missing, or unreadable). */
  problems: string[];
}

/** Every gate must be in the report and pass under `config`, judged from its measured values. */
export function judgePrecheckReport(report: PrecheckReport, config: GateConfig): PrecheckJudgement {
  const problems: string[] = [];
  for (const name of GATE_NAMES) {
    const records = report.gates.filter((gate) => gate.name === name);
    if (records.length !== 1) {
      problems.push(records.length === 0 ? `it has no ${name} gate` : `it has ${records.length} ${name} gates`);
      continue;
    }
    const passed = JUDGES[name](records[0], config);
    if (passed === undefined) problems.push(`its ${name} gate does not record what it measured`);
    else if (!passed) problems.push(`its ${name} gate fails under the current thresholds`);
  }
  return { passed: problems.length === 0, problems };
}

/** The canary's verdict from its candidate's and baseline's metrics, under the limits in force now. */
export function judgeCanaryReport(report: CanaryReport, config: CanaryConfig): { verdict: CanaryVerdict; reasons: string[] } {
  if (report.baseline && !report.statistics) return { verdict: 'fail', reasons: ['it does not record its statistical comparison with CURRENT'] };
  return judgeCanary(report.candidate.metrics, report.baseline && report.statistics ? { metrics: report.baseline.metrics, statistics: report.statistics } : null, config);
}
