/** Binary searches over a frame's strictly increasing bar times. */

/** The first index whose time is ≥ `ms` (times.length when none is). */
export function firstIndexAtOrAfter(times: Float64Array, ms: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle] < ms) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The first index whose time is > `ms` (times.length when none is). */
export function firstIndexAfter(times: Float64Array, ms: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle] <= ms) low = middle + 1;
    else high = middle;
  }
  return low;
}
