// `npm run bench`: throughput of the hot paths on generated data (see README "Benchmarks").
// Each figure is the best of a few runs after a warm-up, in one process, on this machine.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PriceFrame } from '../src/core/backtest/data/frame';
import { loadPrices } from '../src/core/backtest/data/load';
import { runBuiltin } from '../src/core/backtest/engines/builtin';
import { replayFills } from '../src/core/backtest/engines/ledger';
import { computeMetrics } from '../src/core/backtest/metrics';
import { runQuick } from '../src/core/backtest/engines/quick';
import type { EngineInput } from '../src/core/backtest/engines/types';
import { builtinEngine } from '../src/core/backtest/engines/builtin';
import { GateConfigSchema } from '../src/core/evidence/gates/config';
import { runPrecheck } from '../src/core/evidence/precheck';
import { computeTargets } from '../src/core/backtest/signals';
import type { TargetWeights } from '../src/core/backtest/signals/types';
import { parseStrategy } from '../src/core/backtest/strategy/load';
import { seededRandom } from '../test/support/frames';
import { extraBenchmarks } from './benchExtra';

const DAY = 86_400_000;

/** Random-walk daily bars for `symbols` × `bars` as a long CSV file, written in chunks. */
function writeCsv(path: string, symbols: number, bars: number, seed = 1): void {
  const random = seededRandom(seed);
  const prices = Array.from({ length: symbols }, () => 20 + 200 * random());
  const start = Date.UTC(1990, 0, 1);
  const fd = openSync(path, 'w');
  let chunk = 'date,symbol,open,high,low,close,volume\n';
  for (let bar = 0; bar < bars; bar += 1) {
    const date = new Date(start + bar * DAY).toISOString().slice(0, 10);
    for (let s = 0; s < symbols; s += 1) {
      const open = prices[s];
      const close = open * (1 + (random() - 0.5) * 0.04);
      prices[s] = close;
      const high = Math.max(open, close) * (1 + random() * 0.01);
      const low = Math.min(open, close) * (1 - random() * 0.01);
      chunk += `${date},S${s},${open.toFixed(4)},${high.toFixed(4)},${low.toFixed(4)},${close.toFixed(4)},${Math.floor(random() * 1e6)}\n`;
    }
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}

/** The same random walk built straight into a frame (engine benchmarks need no CSV round trip). */
function generateFrame(symbols: number, bars: number, seed = 1): PriceFrame {
  const random = seededRandom(seed);
  const column = () => Array.from({ length: symbols }, () => new Float64Array(bars));
  const [open, high, low, close, volume] = [column(), column(), column(), column(), column()];
  for (let s = 0; s < symbols; s += 1) {
    let price = 20 + 200 * random();
    for (let bar = 0; bar < bars; bar += 1) {
      open[s][bar] = price;
      price *= 1 + (random() - 0.5) * 0.04;
      close[s][bar] = price;
      high[s][bar] = Math.max(open[s][bar], price) * 1.005;
      low[s][bar] = Math.min(open[s][bar], price) * 0.995;
      volume[s][bar] = 1e6;
    }
  }
  const times = Float64Array.from({ length: bars }, (_, bar) => Date.UTC(1990, 0, 1) + bar * DAY);
  return { symbols: universe(symbols), times, open, high, low, close, volume, source: { paths: ['(generated)'], fingerprint: '0'.repeat(64), rows: {}, dropped: {} } };
}

function best(runs: number, work: () => void): number {
  work(); // warm-up: lets the JIT compile the hot loops
  let fastest = Infinity;
  for (let run = 0; run < runs; run += 1) {
    const started = process.hrtime.bigint();
    work();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return fastest;
}

const rate = (count: number, ms: number) => `${((count / ms) * 1000 / 1e6).toFixed(1)} M/s`;
const universe = (n: number) => Array.from({ length: n }, (_, i) => `S${i}`);
const dir = mkdtempSync(join(tmpdir(), 'qraft-bench-'));


function strategyFor(symbols: number, signal: Record<string, unknown>) {
  return parseStrategy(
    { name: 'bench', version: '1', universe: universe(symbols), signal, costs: { commission_bps: 1, slippage_bps: 2, min_commission: 1 }, grid: { 'signal.fast': [5, 10, 20], 'signal.slow': [50, 100, 200] } },
    'bench.json',
    dir,
  );
}

/** Every bar a new random target vector: the worst case for the engines (orders on every bar). */
function denseTargets(symbols: number, bars: number): TargetWeights {
  const random = seededRandom(3);
  const weights = Array.from({ length: symbols }, () => Float64Array.from({ length: bars }, () => random() / symbols));
  return { weights, rebalance: new Uint8Array(bars).fill(1) };
}

async function main(): Promise<void> {
  const rows: string[][] = [['case', 'work', 'time', 'throughput']];
  try {
    for (const [symbols, bars] of [[1, 100_000], [10, 100_000], [100, 10_000], [100, 20_000]] as const) {
      const path = join(dir, `csv-${symbols}x${bars}.csv`);
      writeCsv(path, symbols, bars);
      const ms = best(3, () => loadPrices(path, { universe: universe(symbols) }));
      rows.push([`CSV load ${symbols} sym × ${bars / 1000}k bars`, `${symbols * bars} rows`, `${ms.toFixed(0)} ms`, rate(symbols * bars, ms) + ' rows']);
    }
    for (const [symbols, bars] of [[1, 100_000], [10, 100_000], [100, 100_000]] as const) {
      const frame = generateFrame(symbols, bars);
      const strategy = strategyFor(symbols, { type: 'sma_cross', fast: 10, slow: 50, mode: 'state' }).strategy;
      const signalTargets = computeTargets(strategy, { frame, strategyDir: dir });
      for (const [label, targets] of [['sma_cross', signalTargets], ['dense', denseTargets(symbols, bars)]] as const) {
        const input: EngineInput = { frame, targets, costs: strategy.costs, timing: 'next_close', lotSize: 1, cash: 1e6 };
        const work = symbols * bars;
        const quick = best(3, () => runQuick(input));
        rows.push([`quick ${label} ${symbols} sym × ${bars / 1000}k`, `${work} bar·sym`, `${quick.toFixed(1)} ms`, rate(work, quick) + ' bar·sym']);
        const precise = best(3, () => runBuiltin(input));
        rows.push([`builtin ${label} ${symbols} sym × ${bars / 1000}k`, `${work} bar·sym`, `${precise.toFixed(1)} ms`, rate(work, precise) + ' bar·sym']);
      }
      if (symbols === 10) {
        const whole = best(2, () => {
          const targets = computeTargets(strategy, { frame, strategyDir: dir });
          const run = runBuiltin({ frame, targets, costs: strategy.costs, timing: 'next_close', lotSize: 1, cash: 1e6 });
          computeMetrics({ ledger: replayFills(frame, run.fills, 1e6), fills: run.fills, initialCash: 1e6, barsPerYear: 252 });
        });
        rows.push([`signal+builtin+ledger+metrics 10 sym × 100k`, `${10 * bars} bar·sym`, `${whole.toFixed(1)} ms`, rate(10 * bars, whole) + ' bar·sym']);
      }
    }
    // The yardstick: a whole precheck of 10 symbols × 20 years of daily bars.
    const frame = generateFrame(10, 252 * 20);
    const strategy = strategyFor(10, { type: 'sma_cross', fast: 10, slow: 50 });
    const config = GateConfigSchema.parse({});
    let total = Infinity;
    for (let run = 0; run < 3; run += 1) {
      const started = Date.now();
      await runPrecheck({ strategy, frame, precise: builtinEngine, config, cash: 1e6 });
      total = Math.min(total, Date.now() - started);
    }
    rows.push(['precheck 10 sym × 20 y daily (9-variant grid)', `${10 * 252 * 20} bar·sym`, `${total} ms`, '(target < 2000 ms)']);
    for (const row of await extraBenchmarks({ dir, generateFrame })) rows.push(row);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  '));
}

void main();
