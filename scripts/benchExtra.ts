// Peers of the built-in precise engine on the same data: NautilusTrader (from .venv; wall time,
// process start included) and backtesting.py (from the bench venv; timed in-process), with their
// ratio to the built-in engine measured in the same run and how far the final equities are apart.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { backtest } from '../src/core/backtest/run';
import type { PriceFrame } from '../src/core/backtest/data/frame';
import { loadPrices } from '../src/core/backtest/data/load';
import { builtinEngine } from '../src/core/backtest/engines/builtin';
import { nautilusEngine, probeNautilus } from '../src/core/backtest/engines/nautilus';
import { computeTargets } from '../src/core/backtest/signals';
import { parseStrategy } from '../src/core/backtest/strategy/load';

export type Row = string[];

/** How many times faster `ours` is than `peer` (both ms). */
export const ratio = (peerMs: number, oursMs: number) => `${(peerMs / oursMs).toFixed(peerMs / oursMs >= 10 ? 0 : 2)}×`;

type BacktestingPeer = (cases: Record<string, unknown>[]) => { version: string; cases: Record<string, { ms: number; trades: number; final_equity: number }> } | string;

export interface BenchContext {
  dir: string;
  generateFrame(symbols: number, bars: number, seed?: number): PriceFrame;
  writeCsv(path: string, symbols: number, bars: number, seed?: number, single?: boolean): void;
  backtestingPy: BacktestingPeer;
  noPeer: string;
}

const ROOT = join(__dirname, '..');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const SPY = join(ROOT, 'test', 'data', 'daily', 'SPY.csv');

/** Best of 3 (after a warm-up) of signal + built-in engine + ledger + metrics. */
async function builtinBest(frame: PriceFrame, signal: Record<string, unknown>, dir: string) {
  const { strategy } = parseStrategy({ name: 'bench', version: '1', universe: frame.symbols, signal, costs: { commission_bps: 1, slippage_bps: 0, min_commission: 0 } }, 'bench.json', dir);
  let ms = Infinity;
  let final = 0;
  for (let run = 0; run < 4; run += 1) {
    const started = performance.now();
    const targets = computeTargets(strategy, { frame, strategyDir: dir });
    const result = await backtest(strategy, frame, targets, builtinEngine, 1e6);
    if (run > 0) ms = Math.min(ms, performance.now() - started);
    final = result.ledger.equity.at(-1)!;
  }
  return { ms, final };
}

export async function extraBenchmarks(context: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  // backtesting.py: one symbol, SMA cross long/flat, all-in, commission 1 bp, no minimum.
  const generated = join(context.dir, 'S0-20k.csv');
  context.writeCsv(generated, 1, 20_000, 7, true);
  const btCases = [
    { label: 'SPY daily 1993–2024 (7,843 bars), sma_cross 10/30', csv: SPY, fast: 10, slow: 30 },
    { label: '1 sym × 20k bars generated, sma_cross 10/50', csv: generated, fast: 10, slow: 50 },
  ];
  const bt = context.backtestingPy(btCases.map((c) => ({ ...c, commission: 1e-4, cash: 1e6 })));
  for (const c of btCases) {
    const frame = loadPrices(c.csv, { universe: [c.csv === SPY ? 'SPY' : 'S0'], symbol: c.csv === SPY ? 'SPY' : 'S0' });
    const ours = await builtinBest(frame, { type: 'sma_cross', fast: c.fast, slow: c.slow }, context.dir);
    const row: Row = [`builtin (signal+engine+ledger+metrics) ${c.label}`, `${frame.times.length} bars`, `${ours.ms.toFixed(2)} ms`, `final equity ${ours.final.toFixed(2)}`];
    if (typeof bt === 'string') rows.push([...row, bt, '-']);
    else {
      const peer = bt.cases[c.label];
      rows.push([...row, `backtesting.py ${bt.version} ${peer.ms.toFixed(0)} ms (final equity ${peer.final_equity.toFixed(2)})`, `${ratio(peer.ms, ours.ms)} faster`]);
    }
  }

  if (!existsSync(PYTHON) || !(await probeNautilus(PYTHON)).ok) {
    rows.push(['builtin vs NautilusTrader', '-', '-', '-', 'peer missing: NautilusTrader not in .venv (npm run setup:python)', '-']);
    return rows;
  }
  const nautilus = nautilusEngine({ python: PYTHON });
  const cases: { label: string; frame: PriceFrame; signal: Record<string, unknown> }[] = [
    { label: 'SPY daily 1993–2024, sma_cross 10/30', frame: loadPrices(SPY, { universe: ['SPY'] }), signal: { type: 'sma_cross', fast: 10, slow: 30 } },
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
    const gap = `${((Math.abs(nautilusFinal - builtinFinal) / builtinFinal) * 100).toFixed(5)}% apart`;
    rows.push([
      `builtin ${label}`,
      `${bars} bars × ${frame.symbols.length}, ${fills} fills`,
      `${builtinMs.toFixed(2)} ms`,
      `${((work / builtinMs) * 1000 / 1e6).toFixed(1)} M bar·sym/s; final ${builtinFinal.toFixed(2)} vs ${nautilusFinal.toFixed(2)} (${gap})`,
      `NautilusTrader ${nautilusMs.toFixed(0)} ms incl. Python start`,
      `${ratio(nautilusMs, builtinMs)} faster`,
    ]);
  }
  return rows;
}
