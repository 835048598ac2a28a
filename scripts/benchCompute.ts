// The precise cost grid fanned out (README "Scale-out compute"): one precheck with
// gates.cost_sensitivity.engine precise (9 variants × 3 cost levels on NautilusTrader, plus the
// precise run and its cold start: 28 distinct tasks) on 10 symbols × 20 years of daily bars, run
// serially (one process), on the local pool with 2 processes, and on a Ray cluster with 2 CPUs
// started here (`ray start --head --num-cpus 2`, stopped by pid afterwards). The reports must be
// identical; the rows give the wall times, the speed-ups and Ray's overhead per task.
// Run alone: `npx tsx scripts/benchCompute.ts`; `npm run bench` runs it too.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GateConfigSchema, CanaryConfigSchema } from '../src/core/evidence/gates/config';
import { precheckFiles } from '../src/core/evidence/runFiles';
import { LocalExecutor } from '../src/core/backtest/tasks/local';
import { RayExecutor } from '../src/core/backtest/tasks/ray';
import type { TaskExecutor } from '../src/core/backtest/tasks/task';
import { seededRandom } from '../test/support/frames';

const ROOT = resolve(__dirname, '..');
const SHARED = resolve(ROOT, '..', 'shared', 'data', 'daily');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const RAY = join(ROOT, '.venv', 'bin', 'ray');
/** The shared daily files that cover the whole 20 years. */
const REAL = ['AAPL', 'MSFT', 'QQQ', 'SPY'];
const START = '2000-09-25';
const END = '2020-09-25';

export type ComputeRow = string[];

/** The 4 shared files, and 6 seeded random walks on SPY's dates: 10 symbols × 20 years. */
function pricesFolder(dir: string): string[] {
  const folder = join(dir, 'prices');
  mkdirSync(folder, { recursive: true });
  for (const symbol of REAL) writeFileSync(join(folder, `${symbol}.csv`), readFileSync(join(SHARED, `${symbol}.csv`)));
  const dates = readFileSync(join(SHARED, 'SPY.csv'), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split(',')[0]);
  const random = seededRandom(17);
  const symbols = [...REAL];
  for (let s = 0; s < 6; s += 1) {
    const symbol = `W${s}`;
    let price = 20 + 80 * random();
    const lines = ['date,open,high,low,close,volume'];
    for (const date of dates) {
      const open = price;
      price = Math.max(1, price * (1 + (random() - 0.495) * 0.03));
      lines.push(`${date},${open.toFixed(2)},${(Math.max(open, price) * 1.004).toFixed(2)},${(Math.min(open, price) * 0.996).toFixed(2)},${price.toFixed(2)},${Math.floor(1e5 + random() * 1e6)}`);
    }
    writeFileSync(join(folder, `${symbol}.csv`), lines.join('\n') + '\n');
    symbols.push(symbol);
  }
  return symbols;
}

function comparable(report: Record<string, unknown>): string {
  const { created_at: _c, timings_ms: _t, ...rest } = report;
  return JSON.stringify(rest);
}

/** Kills a `ray start` cluster by pid: the processes naming its temp dir and everything below them. */
function stopCluster(temp: string, address: string): void {
  const all = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line) as RegExpExecArray)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }));
  // (The Ray Client server names the GCS address, not the temp dir.)
  const doomed = new Set(all.filter((p) => p.args.includes(temp) || (address !== '' && p.args.includes(`--address=${address}`))).map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (doomed.has(p.ppid) && !doomed.has(p.pid)) grew = doomed.add(p.pid) !== undefined;
  }
  for (const pid of doomed) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  rmSync(temp, { recursive: true, force: true });
}

export async function computeBenchmarks(): Promise<ComputeRow[]> {
  if (!existsSync(PYTHON) || !existsSync(SHARED)) return [['precise cost grid 10 sym × 20 y', 'skipped', `needs ${PYTHON} and ${SHARED}`]];
  const dir = mkdtempSync(join(tmpdir(), 'qraft-bench-compute-'));
  const rows: ComputeRow[] = [];
  let temp = '';
  let address = '';
  try {
    const universe = pricesFolder(dir);
    const strategyPath = join(dir, 'strategy.json');
    writeFileSync(
      strategyPath,
      JSON.stringify({
        name: 'bench-grid',
        version: '1.0.0',
        universe,
        signal: { type: 'sma_cross', fast: 10, slow: 100 },
        sizing: { allow_short: true },
        costs: { commission_bps: 2, slippage_bps: 1, min_commission: 1 },
        execution: { timing: 'next_close', lot_size: 1 },
        grid: { 'signal.fast': [5, 10, 20], 'signal.slow': [50, 100, 200] },
      }),
    );
    const config = { gates: GateConfigSchema.parse({ cost_sensitivity: { engine: 'precise' } }), canary: CanaryConfigSchema.parse({}) };
    let tasks = 0;
    const run = async (executor: TaskExecutor) => {
      const started = Date.now();
      const saved = await precheckFiles({ strategyPath, pricesPath: join(dir, 'prices'), start: START, end: END, config, reportsDir: join(dir, 'reports'), engine: 'nautilus', python: PYTHON, executor });
      await executor.close();
      return { ms: Date.now() - started, report: saved.report as unknown as Record<string, unknown>, bars: saved.report.data.bars };
    };
    const serial = await run(new LocalExecutor({ jobs: 1, onProgress: (_done, total) => (tasks = total) }));
    const label = `precise grid 9 × 3 costs, ${universe.length} sym × ${serial.bars} bars (${tasks} tasks)`;
    rows.push([label, 'serial (--jobs 1)', `${(serial.ms / 1000).toFixed(1)} s`, '1.00×']);
    const pool = await run(new LocalExecutor({ jobs: 2 }));
    if (comparable(pool.report) !== comparable(serial.report)) throw new Error('--jobs 2 gave another report than the serial run');
    rows.push([label, '--jobs 2', `${(pool.ms / 1000).toFixed(1)} s`, `${(serial.ms / pool.ms).toFixed(2)}×`]);

    if (existsSync(RAY)) {
      temp = mkdtempSync('/tmp/qb');
      const clusterStarted = Date.now();
      const port = 20000 + Math.floor(Math.random() * 20000);
      const out = execFileSync(RAY, ['start', '--head', '--num-cpus', '2', '--temp-dir', temp, '--port', String(port), '--ray-client-server-port', String(port + 1), '--include-dashboard=false', '--disable-usage-stats'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, RAY_USAGE_STATS_ENABLED: '0' },
      });
      const clusterMs = Date.now() - clusterStarted;
      address = /ray start --address='([^']+)'/.exec(out)?.[1] ?? '';
      if (!address) throw new Error('ray start printed no address');
      const local = new LocalExecutor({ jobs: 2 });
      const connectStarted = Date.now();
      const probe = new RayExecutor({ address, python: PYTHON, local });
      await probe.connect();
      const connectMs = Date.now() - connectStarted;
      await probe.close();
      const ray = await run(new RayExecutor({ address, python: PYTHON, local }));
      if (comparable(ray.report) !== comparable(serial.report)) throw new Error('Ray gave another report than the serial run');
      rows.push([label, `--ray (2 CPUs)`, `${(ray.ms / 1000).toFixed(1)} s`, `${(serial.ms / ray.ms).toFixed(2)}×`]);
      rows.push(['Ray overhead', `cluster start ${(clusterMs / 1000).toFixed(1)} s; driver connect ${(connectMs / 1000).toFixed(1)} s`, `${((ray.ms - pool.ms) / tasks).toFixed(0)} ms/task`, 'vs --jobs 2, same 2 CPUs']);
    } else rows.push([label, '--ray', 'skipped', `Ray is not installed in ${PYTHON}`]);
  } finally {
    if (temp) stopCluster(temp, address);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (require.main === module) {
  void computeBenchmarks().then((rows) => {
    for (const row of rows) console.log(row.join('  |  '));
  });
}
