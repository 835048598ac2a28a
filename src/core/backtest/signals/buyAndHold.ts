import type { PriceFrame } from '../data/frame';
import type { Strategy } from '../strategy/schema';
import { changeFlags } from './rebalance';
import { equalWeightLeg } from './sizing';
import type { TargetWeights } from './types';

/** gross/N in every symbol from bar 0 on: one order at bar 0, none after. */
export function buyAndHoldTargets(frame: PriceFrame, sizing: Strategy['sizing']): TargetWeights {
  const bars = frame.times.length;
  const { long } = equalWeightLeg(sizing, frame.symbols.length);
  const weights = frame.symbols.map(() => new Float64Array(bars).fill(long));
  return { weights, rebalance: changeFlags(weights, bars) };
}
