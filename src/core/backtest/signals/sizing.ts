import { InputError } from '../../shared/errors';
import type { Strategy } from '../strategy/schema';

/**
 * Sides are what a signal decides per bar: +1 long, −1 the short side, 0 flat. Sizing turns a
 * side into a weight; the short side is flat (0) unless `sizing.allow_short`.
 */
export type Sides = Int8Array;

export interface Leg {
  long: number;
  /** Weight of the short side: −gross/n, or 0 without allow_short. */
  short: number;
}

/** Equal weight: gross/n per long, −gross/n per short (n = universe size, or top_n for momentum). */
export function equalWeightLeg(sizing: Strategy['sizing'], n: number): Leg {
  const each = sizing.gross / n;
  return { long: each, short: sizing.allow_short ? -each : 0 };
}

/** One symbol's weights from its sides (into `out`, `bars` long, when given). */
export function weightsFromSides(sides: Sides, leg: Leg, bars: number, out: Float64Array = new Float64Array(bars)): Float64Array {
  const long = leg.long;
  const short = leg.short;
  for (let bar = 0; bar < bars; bar += 1) {
    const side = sides[bar];
    out[bar] = side > 0 ? long : side < 0 ? short : 0;
  }
  return out;
}

/**
 * Guards the loops against parameters the schema would have refused (a hand-built Strategy):
 * a window of 0 or 2.5 bars would loop forever or read between bars.
 */
export function integerParam(value: number, name: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new InputError(`signal.${name} must be an integer of at least ${min} (it is ${value}).`);
  return value;
}
