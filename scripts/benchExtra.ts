// NautilusTrader beside the built-in engine on the same data: wall time (process start included)
// and bars/s, plus how far their final equities are apart. Needs .venv (npm run setup:python).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { backtest } from '../src/core/backtest/run';
import type { PriceFrame } from '../src/core/backtest/data/frame';
import { loadPrices } from '../src/core/backtest/data/load';
import { builtinEngine } from '../src/core/backtest/engines/builtin';
import { nautilusEngine, probeNautilus } from '../src/core/backtest/engines/nautilus';
import { computeTargets } from '../src/core/backtest/signals';
import { parseStrategy } from '../src/core/backtest/strategy/load';

export interface BenchContext {
  dir: string;
  generateFrame(symbols: number, bars: number, seed?: number): PriceFrame;
}

const ROOT = join(__dirname, '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');

export async function extraBenchmarks(context: BenchContext): Promise<string[][]> {
  if (!existsSync(PYTHON) || !(await probeNautilus(PYTHON)).ok) return [['nautilus', 'skipped', '-', 'run npm run setup:python first']];
  const nautilus = nautilusEngine({ python: PYTHON });
  const rows: string[][] = [];
  const cases: { label: string; frame: PriceFrame; signal: Record<string, unknown> }[] = [
    { label: 'SPY daily 1993–2024, sma_cross 10/30', frame: loadPrices(join(ROOT, 'test', 'data', 'daily', 'SPY.csv'), { universe: ['SPY'] }), signal: { type: 'sma_cross', fast: 10, slow: 30 } },
    { label: '10 sym × 20 y generated, sma_cross 10/50', frame: context.generateFrame(10, 5040), signal: { type: 'sma_cross', fast: 10, slow: 50 } },
  ];
  for (const { label, frame, signal } of cases) {
    const { strategy } = parseStrategy({ name: 'bench', version: '1', universe: frame.symbols, signal, costs: { commission_bps: 1, slippage_bps: 2, min_commission: 1 } }, 'bench.json', context.dir);
    const targets = computeTargets(strategy, { frame, strategyDir: context.dir });
    const work = frame.times.length * frame.symbols.length;
    let builtinMs = Infinity;
    let builtinFinal = 0;
    for (let run = 0; run < 3; run += 1) {
      const started = performance.now();
      const result = await backtest(strategy, frame, targets, builtinEngine, 1e6);
      builtinMs = Math.min(builtinMs, performance.now() - started);
      builtinFinal = result.ledger.equity.at(-1)!;
    }
    let nautilusMs = Infinity;
    let nautilusFinal = 0;
    let fills = 0;
    for (let run = 0; run < 2; run += 1) {
      const started = performance.now();
      const result = await backtest(strategy, frame, targets, nautilus, 1e6);
      nautilusMs = Math.min(nautilusMs, performance.now() - started);
      nautilusFinal = result.ledger.equity.at(-1)!;
      fills = result.fills.length;
    }
    const bars = frame.times.length;
    rows.push([`builtin  ${label}`, `${bars} bars × ${frame.symbols.length}`, `${builtinMs.toFixed(1)} ms`, `${((bars / builtinMs) * 1000 / 1e6).toFixed(2)} M bars/s (${((work / builtinMs) * 1000 / 1e6).toFixed(1)} M bar·sym/s)`]);
    rows.push([`nautilus ${label}`, `${bars} bars × ${frame.symbols.length}, ${fills} fills`, `${nautilusMs.toFixed(0)} ms`, `${((bars / nautilusMs) * 1000 / 1e3).toFixed(1)} k bars/s incl. Python start`]);
    rows.push([`parity   ${label}`, 'final equity', `${builtinFinal.toFixed(2)} vs ${nautilusFinal.toFixed(2)}`, `${((Math.abs(nautilusFinal - builtinFinal) / builtinFinal) * 100).toFixed(5)}% apart`]);
  }
  return rows;
}
