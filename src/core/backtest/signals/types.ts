import type { PriceFrame } from '../data/frame';

/**
 * Target weights per symbol and bar. weights[i][t] is the fraction of equity symbol i should hold
 * after the order implied by bar t's signal fills; it uses data up to and including bar t only.
 * rebalance[t] says whether orders are due for bar t's signal:
 *  - REBALANCE_CHANGED (1): some target changed from bar t-1 (bar -1 counts as all zeros); only the
 *    symbols whose target changed trade, so an unchanged sleeve is never traded for drift alone;
 *  - REBALANCE_ALL (2): the signal's own schedule (or the canary's first bar) brings every symbol
 *    back to its target.
 */
export const REBALANCE_NONE = 0;
export const REBALANCE_CHANGED = 1;
export const REBALANCE_ALL = 2;

export interface TargetWeights {
  weights: Float64Array[];
  rebalance: Uint8Array;
}

export interface SignalContext {
  frame: PriceFrame;
  /** Folder of the strategy file: `weights.file` is relative to it. */
  strategyDir: string;
  /** The workspace root, where a weights file may also live (besides the strategy's folder). */
  workspaceRoot?: string;
  /**
   * Columns the per-symbol signals write their weights into instead of allocating new ones (made
   * on first use, one per symbol, frame-long): for a caller that is done with one set of targets
   * before it computes the next (the cost gate's variants, the leakage gate's truncations). Targets
   * computed with it are overwritten by the next computation that shares it.
   */
  scratch?: TargetScratch;
}

export interface TargetScratch {
  columns?: Float64Array[];
}
