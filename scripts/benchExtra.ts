// Benchmarks that need more than Node (NautilusTrader through Python) join here.
import type { PriceFrame } from '../src/core/data/frame';

export interface BenchContext {
  dir: string;
  generateFrame(symbols: number, bars: number, seed?: number): PriceFrame;
}

export async function extraBenchmarks(_context: BenchContext): Promise<string[][]> {
  return [];
}
