/**
 * Indices that keep a series' shape in at most ~`maxPoints` points: the first and last, and each
 * bucket's minimum and maximum, so no peak or trough is lost.
 */
export function minMaxIndices(values: ArrayLike<number>, maxPoints: number): number[] {
  const length = values.length;
  if (length <= maxPoints || maxPoints < 4) return Array.from({ length }, (_, index) => index);
  const indices: number[] = [0];
  const buckets = Math.floor((maxPoints - 2) / 2);
  const size = (length - 2) / buckets;
  for (let bucket = 0; bucket < buckets; bucket += 1) {
    const from = 1 + Math.floor(bucket * size);
    const to = Math.min(length - 1, 1 + Math.floor((bucket + 1) * size));
    if (from >= to) continue;
    let min = from;
    let max = from;
    for (let index = from + 1; index < to; index += 1) {
      if (values[index] < values[min]) min = index;
      if (values[index] > values[max]) max = index;
    }
    if (min === max) indices.push(min);
    else indices.push(Math.min(min, max), Math.max(min, max));
  }
  indices.push(length - 1);
  return indices;
}

/** Sorted union of several index lists (e.g. equity's and drawdown's extremes), for one time axis. */
export function unionIndices(...lists: number[][]): number[] {
  return [...new Set(lists.flat())].sort((a, b) => a - b);
}

export interface ChartSeries {
  times: string[];
  equity: number[];
  drawdown: number[];
}

/** Equity and drawdown on one downsampled time axis that keeps the extremes of both. */
export function chartSeries(times: Float64Array, equity: Float64Array, drawdown: Float64Array, maxPoints: number): ChartSeries {
  const indices = unionIndices(minMaxIndices(equity, maxPoints / 2), minMaxIndices(drawdown, maxPoints / 2));
  return {
    times: indices.map((index) => new Date(times[index]).toISOString()),
    equity: indices.map((index) => equity[index]),
    drawdown: indices.map((index) => drawdown[index]),
  };
}
