/**
 * Puts several downsampled series on one time axis for uPlot (which wants aligned data). Each
 * engine's series was downsampled on its own, so their times differ; the union keeps every
 * point of every series and leaves gaps (null) where a series has no point.
 *
 * Pure (no DOM), so it is unit-tested from test/unit/reportHtml.test.ts.
 */
export interface TimedValues {
  /** ISO timestamps, ascending. */
  times: readonly string[];
  values: readonly number[];
}

export interface AlignedSeries {
  /** Seconds since the epoch (uPlot's time unit). */
  xs: number[];
  ys: (number | null)[][];
}

export function alignSeries(series: readonly TimedValues[], transform: (value: number) => number = (value) => value): AlignedSeries {
  const seconds = series.map((one) => one.times.map((time) => Date.parse(time) / 1000));
  const all = new Set<number>();
  for (const list of seconds) for (const x of list) if (Number.isFinite(x)) all.add(x);
  const xs = [...all].sort((a, b) => a - b);
  const position = new Map(xs.map((x, index) => [x, index]));
  const ys = series.map((one, which) => {
    const column: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    const times = seconds[which];
    const count = Math.min(times.length, one.values.length);
    for (let index = 0; index < count; index += 1) {
      const at = position.get(times[index]);
      const value = one.values[index];
      if (at !== undefined && Number.isFinite(value)) column[at] = transform(value);
    }
    return column;
  });
  return { xs, ys };
}

/** First, last, lowest and highest of a series (for the chart's text summary). */
export function seriesSummary(values: readonly number[]): { first: number; last: number; min: number; max: number } | undefined {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return undefined;
  return { first: finite[0], last: finite[finite.length - 1], min: Math.min(...finite), max: Math.max(...finite) };
}
