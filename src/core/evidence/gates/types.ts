export const GATE_NAMES = ['consistency', 'cold_start', 'cost_sensitivity', 'leakage', 'evidence'] as const;
export type GateName = (typeof GATE_NAMES)[number];

export interface GateResult {
  name: GateName;
  passed: boolean;
  /** The measured figure compared with the threshold (see each gate for its meaning). */
  value: number;
  threshold: number;
  /** One line a reviewer reads first. */
  summary: string;
  details: Record<string, unknown>;
}

/** |a − b| / max(|reference|, floor): the relative difference every comparing gate uses. */
export function relativeDifference(value: number, reference: number, floor = 1e-12): number {
  return Math.abs(value - reference) / Math.max(Math.abs(reference), floor);
}
