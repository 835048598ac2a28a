import type { PriceFrame } from '../data/frame';

/**
 * Target weights per symbol and bar. weights[i][t] is the fraction of equity symbol i should hold
 * after the order implied by bar t's signal fills; it uses data up to and including bar t only.
 * rebalance[t] = 1 where an order is due: the target vector changed from bar t-1 (the first
 * non-zero target counts as a change), or the signal's own rebalance schedule falls on t.
 */
export interface TargetWeights {
  weights: Float64Array[];
  rebalance: Uint8Array;
}

export interface SignalContext {
  frame: PriceFrame;
  /** Folder of the strategy file: `weights.file` is relative to it. */
  strategyDir: string;
}
