import { REBALANCE_CHANGED } from './types';

/**
 * Rebalance flags: REBALANCE_CHANGED where any symbol's target differs from the bar before (bar −1
 * counts as all zeros, so the first non-zero target is a change). Signals with their own schedule
 * set their scheduled bars on top. One pass per symbol column: O(bars × symbols).
 */
export function changeFlags(weights: readonly Float64Array[], bars: number): Uint8Array {
  const flags = new Uint8Array(bars);
  // A local copy: an imported binding is read through a getter (tsx, tests), once per cell here.
  const CHANGED = REBALANCE_CHANGED;
  for (const column of weights) {
    let previous = 0;
    for (let bar = 0; bar < bars; bar += 1) {
      const weight = column[bar];
      if (weight !== previous) flags[bar] = CHANGED;
      previous = weight;
    }
  }
  return flags;
}
