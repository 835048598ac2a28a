// `npm run bench`: throughput of the hot paths on generated data (see README "Benchmarks"), each
// beside the peer measured in the same run: pandas 3.x / pyarrow (CSV), vectorbt (quick engine),
// backtesting.py (built-in engine) from the bench venv (`npm run bench:peers`), NautilusTrader
// from .venv. Each figure is the best of a few runs after a warm-up, on this machine. The whole
// precheck at 100 × 100k runs in a fresh child process, which reports its peak RSS.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
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
import { REBALANCE_ALL } from '../src/core/backtest/signals/types';
import { type Row, extraBenchmarks, ratio } from './benchExtra';
import { bundleBenchmarks } from './benchBundle';
import { releaseBenchmarks } from './benchRelease';
import { storeBenchmarks } from './benchStore';
import { computeBenchmarks } from './benchCompute';

const DAY = 86_400_000;

/** Random-walk daily bars for `symbols` × `bars` as a long CSV file, written in chunks. */
function writeCsv(path: string, symbols: number, bars: number, seed = 1, single = false): void {
  const random = seededRandom(seed);
  const prices = Array.from({ length: symbols }, () => 20 + 200 * random());
  const start = Date.UTC(1990, 0, 1);
  const fd = openSync(path, 'w');
  let chunk = single ? 'date,open,high,low,close,volume\n' : 'date,symbol,open,high,low,close,volume\n';
  for (let bar = 0; bar < bars; bar += 1) {
    const date = new Date(start + bar * DAY).toISOString().slice(0, 10);
    for (let s = 0; s < symbols; s += 1) {
      const open = prices[s];
      const close = open * (1 + (random() - 0.5) * 0.04);
      // A split (÷/× 10) keeps the walk away from 0 and from huge prices over 100k bars.
      prices[s] = close < 5 ? close * 10 : close > 5000 ? close / 10 : close;
      const high = Math.max(open, close) * (1 + random() * 0.01);
      const low = Math.min(open, close) * (1 - random() * 0.01);
      chunk += `${date},${single ? '' : `S${s},`}${open.toFixed(4)},${high.toFixed(4)},${low.toFixed(4)},${close.toFixed(4)},${Math.floor(random() * 1e6)}\n`;
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

const ROOT = join(__dirname, '..');
const PEER_PYTHON = join(ROOT, '.venv-bench', 'bin', 'python');
const PEERS = join(ROOT, 'scripts', 'peers');
const NO_PEER_VENV = 'peer missing: run npm run bench:peers';

/** Runs scripts/peers/<script> in the bench venv; its JSON, or the reason it has none. */
function peer<T>(script: string, args: string[]): T | string {
  if (!existsSync(PEER_PYTHON)) return NO_PEER_VENV;
  const run = spawnSync(PEER_PYTHON, [join(PEERS, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 26, cwd: PEERS });
  if (run.status !== 0) return `peer failed: ${(run.stderr || run.error?.message || '').trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as T;
}

/** The quick engine's orders as vectorbt takes them: bars × symbols, row-major, a target weight where one is due, NaN elsewhere. */
function ordersMatrix(targets: TargetWeights, bars: number, symbols: number): Float64Array {
  const out = new Float64Array(bars * symbols).fill(NaN);
  for (let bar = 1; bar < bars; bar += 1) {
    const flag = targets.rebalance[bar - 1];
    if (flag === 0) continue;
    for (let s = 0; s < symbols; s += 1) {
      const column = targets.weights[s];
      const weight = column[bar - 1];
      if (flag === REBALANCE_ALL || weight !== (bar > 1 ? column[bar - 2] : 0)) out[bar * symbols + s] = weight;
    }
  }
  return out;
}

function rowMajor(columns: Float64Array[], bars: number): Float64Array {
  const out = new Float64Array(bars * columns.length);
  for (let s = 0; s < columns.length; s += 1) for (let bar = 0; bar < bars; bar += 1) out[bar * columns.length + s] = columns[s][bar];
  return out;
}

const f64 = (path: string, data: Float64Array) => writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));

/** Child mode: load 100 per-symbol CSVs and run a whole precheck; prints times and peak RSS. */
async function precheckChild(pricesDir: string, symbols: number): Promise<void> {
  const started = performance.now();
  const strategy = strategyFor(symbols, { type: 'sma_cross', fast: 10, slow: 50 });
  const frame = loadPrices(pricesDir, { universe: universe(symbols) });
  const loaded = performance.now();
  const report = await runPrecheck({ strategy, frame, precise: builtinEngine, config: GateConfigSchema.parse({}), cash: 1e6 });
  const total = performance.now() - started;
  console.log(JSON.stringify({ total_ms: total, load_ms: loaded - started, timings: report.timings_ms, max_rss_kib: process.resourceUsage().maxRSS }));
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)) + ' ms';

async function main(): Promise<void> {
  const rows: Row[] = [['case', 'work', 'time', 'throughput', 'peer (same run)', 'ratio']];
  try {
    const csvFiles: { path: string; label: string; rowsCount: number; ms: number }[] = [];
    for (const [symbols, bars] of [[1, 100_000], [10, 100_000], [100, 10_000], [100, 20_000]] as const) {
      const path = join(dir, `csv-${symbols}x${bars}.csv`);
      writeCsv(path, symbols, bars);
      const ms = best(3, () => loadPrices(path, { universe: universe(symbols) }));
      csvFiles.push({ path, label: `CSV load ${symbols} sym × ${bars / 1000}k bars`, rowsCount: symbols * bars, ms });
    }
    const csvPeer = peer<{ versions: Record<string, string>; files: Record<string, { pandas_ms: number; pyarrow_ms: number }> }>('csv_read.py', ['3', ...csvFiles.map((f) => f.path)]);
    for (const file of csvFiles) {
      const row: Row = [file.label, `${file.rowsCount} rows`, fmt(file.ms), rate(file.rowsCount, file.ms) + ' rows'];
      if (typeof csvPeer === 'string') rows.push([...row, csvPeer, '-']);
      else {
        const { pandas_ms, pyarrow_ms } = csvPeer.files[file.path];
        rows.push([...row, `pandas ${csvPeer.versions.pandas} read_csv+to_datetime+pivot ${fmt(pandas_ms)}`, ratio(pandas_ms, file.ms)]);
        rows.push([`  ${file.label} vs pyarrow`, '', '', '', `pyarrow ${csvPeer.versions.pyarrow} read_csv (multi-threaded) ${fmt(pyarrow_ms)}`, ratio(pyarrow_ms, file.ms)]);
      }
    }

    const quickCases: { label: string; ms: number; fills: number; file: string }[] = [];
    const manifest: Record<string, unknown>[] = [];
    for (const [symbols, bars] of [[1, 100_000], [10, 100_000], [100, 100_000]] as const) {
      const frame = generateFrame(symbols, bars);
      const strategy = strategyFor(symbols, { type: 'sma_cross', fast: 10, slow: 50, mode: 'state' }).strategy;
      const signalTargets = computeTargets(strategy, { frame, strategyDir: dir });
      const priceFile = join(dir, `close-${symbols}x${bars}.f64`);
      f64(priceFile, rowMajor(frame.close, bars));
      for (const [label, targets] of [['sma_cross', signalTargets], ['dense', denseTargets(symbols, bars)]] as const) {
        const input: EngineInput = { frame, targets, costs: strategy.costs, timing: 'next_close', lotSize: 1, cash: 1e6 };
        const work = symbols * bars;
        const quick = best(3, () => runQuick(input));
        const caseLabel = `quick ${label} ${symbols} sym × ${bars / 1000}k`;
        const ordersFile = join(dir, `orders-${label}-${symbols}x${bars}.f64`);
        f64(ordersFile, ordersMatrix(targets, bars, symbols));
        manifest.push({ label: caseLabel, bars, symbols, price: priceFile, orders: ordersFile, fees: strategy.costs.commission_bps / 1e4, slippage: strategy.costs.slippage_bps / 1e4, cash: 1e6 });
        quickCases.push({ label: caseLabel, ms: quick, fills: runQuick(input).fills.length, file: ordersFile });
        rows.push([caseLabel, `${work} bar·sym`, fmt(quick), rate(work, quick) + ' bar·sym']);
        const precise = best(3, () => runBuiltin(input));
        rows.push([`builtin ${label} ${symbols} sym × ${bars / 1000}k`, `${work} bar·sym`, fmt(precise), rate(work, precise) + ' bar·sym', `quick ${fmt(quick)}`, `quick is ${ratio(precise, quick)} the builtin speed`]);
      }
      if (symbols === 10) {
        const whole = best(2, () => {
          const targets = computeTargets(strategy, { frame, strategyDir: dir });
          const run = runBuiltin({ frame, targets, costs: strategy.costs, timing: 'next_close', lotSize: 1, cash: 1e6 });
          computeMetrics({ ledger: replayFills(frame, run.fills, 1e6), fills: run.fills, initialCash: 1e6, barsPerYear: 252 });
        });
        rows.push([`signal+builtin+ledger+metrics 10 sym × 100k`, `${10 * bars} bar·sym`, fmt(whole), rate(10 * bars, whole) + ' bar·sym']);
      }
    }
    const manifestPath = join(dir, 'vectorbt-cases.json');
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const vbt = peer<{ version: string; cases: Record<string, { ms: number; orders: number }> }>('vectorbt_orders.py', ['3', manifestPath]);
    for (const quick of quickCases) {
      const row = rows.find((r) => r[0] === quick.label)!;
      if (typeof vbt === 'string') row.push(vbt, '-');
      else {
        const peerCase = vbt.cases[quick.label];
        row.push(`vectorbt ${vbt.version} from_orders ${fmt(peerCase.ms)} (${peerCase.orders} vs ${quick.fills} fills)`, `${ratio(peerCase.ms, quick.ms)} faster`);
      }
      rmSync(quick.file, { force: true });
    }

    // The issue's yardstick: a whole precheck of 10 symbols × 20 years of daily bars.
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

    // A whole precheck at 100 × 100k from 100 per-symbol CSV files, in a fresh process (peak RSS).
    const pricesDir = join(dir, 'prices-100x100k');
    mkdirSync(pricesDir);
    for (let s = 0; s < 100; s += 1) writeCsv(join(pricesDir, `S${s}.csv`), 1, 100_000, 100 + s, true);
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--precheck-child', pricesDir, '100'], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (child.status === 0) {
      const result = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { total_ms: number; load_ms: number; timings: Record<string, number>; max_rss_kib: number };
      const steps = Object.entries(result.timings).filter(([name]) => name !== 'total').map(([name, ms]) => `${name} ${ms}`).join(', ');
      rows.push(['precheck 100 sym × 100k, load + builtin (child process)', '10000000 bar·sym', fmt(result.total_ms), `peak RSS ${(result.max_rss_kib / 1024).toFixed(0)} MiB; load ${result.load_ms.toFixed(0)} ms, ${steps} ms`, '(target ≤ 5000 ms, ≤ 450 MiB)']);
    } else {
      rows.push(['precheck 100 sym × 100k (child process)', 'failed', '-', (child.stderr || '').trim().split('\n').at(-1) ?? '']);
    }
    rmSync(pricesDir, { recursive: true, force: true });

    const btPeer = (cases: Record<string, unknown>[]) => {
      const path = join(dir, 'backtesting-cases.json');
      writeFileSync(path, JSON.stringify(cases));
      return peer<{ version: string; cases: Record<string, { ms: number; trades: number; final_equity: number }> }>('backtesting_sma.py', ['3', path]);
    };
    for (const row of await extraBenchmarks({ dir, generateFrame, writeCsv, backtestingPy: btPeer, noPeer: NO_PEER_VENV })) rows.push(row);
    // The release store's growth and the extension bundle (scripts/benchRelease.ts, scripts/benchBundle.ts).
    const met = (ok: boolean) => (ok ? 'met' : 'MISSED');
    for (const row of await releaseBenchmarks()) rows.push([row.what, '', row.figure, met(row.met), `(target ${row.target})`]);
    // The PostgreSQL store beside the file store (scripts/benchStore.ts: the test harness's throwaway server).
    for (const row of await storeBenchmarks()) rows.push([row.what, '', row.figure, met(row.met), `(target ${row.target})`]);
    for (const row of await bundleBenchmarks()) rows.push([row.what, '', row.figure, met(row.met), `(target ${row.target})`]);
    // The precise cost grid serially, on the local pool and on Ray (scripts/benchCompute.ts).
    for (const [what, how, time, speedUp] of await computeBenchmarks()) rows.push([what, how, time, speedUp]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  for (const row of rows) console.log(row.map((cell, column) => (cell ?? '').padEnd(widths[column])).join('  ').trimEnd());
}

if (process.argv[2] === '--precheck-child') {
  void precheckChild(process.argv[3], Number(process.argv[4])).finally(() => rmSync(dir, { recursive: true, force: true }));
} else {
  void main();
}
