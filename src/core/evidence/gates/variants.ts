import { type Strategy, StrategySchema } from '../../backtest/strategy/schema';

export interface Variant {
  label: string;
  params: Record<string, number>;
  strategy: Strategy;
}

export interface Variants {
  variants: Variant[];
  /** Combinations that are not valid strategies (e.g. fast ≥ slow), with the reason. */
  skipped: { label: string; reason: string }[];
  source: 'grid' | 'neighbours' | 'none';
}

const NEIGHBOUR_FACTORS = [0.5, 0.8, 1, 1.2, 1.5];

function numericParams(strategy: Strategy): Record<string, number> {
  const params: Record<string, number> = {};
  for (const [key, value] of Object.entries(strategy.signal)) if (typeof value === 'number') params[key] = value;
  return params;
}

function labelOf(params: Record<string, number>): string {
  return Object.entries(params)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}

function cartesian(axes: [string, number[]][]): Record<string, number>[] {
  return axes.reduce<Record<string, number>[]>((combos, [key, values]) => combos.flatMap((combo) => values.map((value) => ({ ...combo, [key]: value }))), [{}]);
}

/** How many variants the strategy's grid makes, counted without making them. */
export function gridSize(strategy: Pick<Strategy, 'grid'>): number {
  return Object.values(strategy.grid ?? {}).reduce((product, values) => product * values.length, 1);
}

/**
 * The parameter variants the cost-sensitivity gate ranks: the strategy's `grid`, or else the
 * ±20% / ±50% neighbours of each numeric signal parameter (one parameter at a time).
 */
export function parameterVariants(strategy: Strategy): Variants {
  const base = numericParams(strategy);
  let combos: Record<string, number>[];
  let source: Variants['source'];
  if (strategy.grid && Object.keys(strategy.grid).length > 0) {
    source = 'grid';
    combos = cartesian(Object.entries(strategy.grid).map(([key, values]) => [key.slice('signal.'.length), values]));
  } else if (Object.keys(base).length > 0) {
    source = 'neighbours';
    combos = [{}];
    for (const [key, value] of Object.entries(base)) {
      for (const factor of NEIGHBOUR_FACTORS) {
        if (factor === 1) continue;
        const scaled = Number.isInteger(value) ? Math.round(value * factor) : value * factor;
        if (scaled !== value) combos.push({ [key]: scaled });
      }
    }
  } else {
    return { variants: [{ label: 'as written', params: {}, strategy }], skipped: [], source: 'none' };
  }
  const variants: Variant[] = [];
  const skipped: Variants['skipped'] = [];
  const seen = new Set<string>();
  for (const combo of combos) {
    const params = { ...base, ...combo };
    const label = labelOf(params);
    if (seen.has(label)) continue;
    seen.add(label);
    const parsed = StrategySchema.safeParse({ ...strategy, grid: undefined, signal: { ...strategy.signal, ...params } });
    if (parsed.success) variants.push({ label, params, strategy: parsed.data });
    else skipped.push({ label, reason: parsed.error.issues[0]?.message ?? 'invalid' });
  }
  return { variants, skipped, source };
}
