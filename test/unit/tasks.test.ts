// The precheck's precise runs as tasks: a local process pool (--jobs N) and a real Ray cluster give
// the same reports as one process (every gate value, metric and fill; timestamps and timings aside);
// a runner killed mid-task (kill -9) runs again; cancel kills every task; bad --jobs, an unreachable
// Ray address and an interpreter without Ray are exit 2 with one sentence.
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { GateConfigSchema } from '../../src/core/evidence/gates/config';
import { precheckFiles } from '../../src/core/evidence/runFiles';
import { LocalExecutor } from '../../src/core/backtest/tasks/local';
import { CancelledError, InternalError } from '../../src/core/shared/errors';
import { DAILY, REPO_ROOT, cleanupTempDirs, runCli, runCliAsync, tempDir, writeJson } from '../support/fixtures';

const VENV_PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
const RAY = join(REPO_ROOT, '.venv', 'bin', 'ray');
/** A long/short strategy on two of the shared daily files, with a 2 × 2 grid ranked on the precise engine. */
const LONG_SHORT = {
  name: 'long-short',
  version: '1.0.0',
  universe: ['SPY', 'TLT'],
  signal: { type: 'sma_cross', fast: 10, slow: 50 },
  sizing: { allow_short: true },
  costs: { commission_bps: 2, slippage_bps: 1, min_commission: 1 },
  execution: { timing: 'next_close', lot_size: 1 },
  grid: { 'signal.fast': [5, 10], 'signal.slow': [50, 100] },
};
const WINDOW = ['--start', '2016-01-01', '--end', '2020-12-31'];

/** The report without what may differ between two runs of the same inputs: when and how long, and where it was saved. */
function comparable(stdout: string): unknown {
  const { created_at: _c, timings_ms: _t, report_hash: _h, report_path: _p, staged: _s, strategy, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
  // The strategy file's path is the workspace's (each test has its own); its hash is compared.
  const { path: _path, ...named } = strategy as Record<string, unknown>;
  return { ...rest, strategy: named };
}

interface Proc {
  pid: number;
  ppid: number;
  args: string;
}

function processes(): Proc[] {
  return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line) as RegExpExecArray;
      return { pid: Number(match[1]), ppid: Number(match[2]), args: match[3] };
    });
}

/** Every process below `root` (children, grandchildren, …). */
function descendants(root: number, all = processes()): Proc[] {
  const found: Proc[] = [];
  let frontier = new Set([root]);
  while (frontier.size) {
    const next = all.filter((p) => frontier.has(p.ppid));
    found.push(...next);
    frontier = new Set(next.map((p) => p.pid));
  }
  return found;
}

/** A live process: present and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const runnerOf = (p: Proc) => / -m qraft_nautilus \S+job\.json/.test(p.args);

/** Watches for runner processes below `root` and calls `onRunner` with each new one. */
function watchRunners(root: number, onRunner: (p: Proc) => void, matches: (p: Proc) => boolean = () => true): () => void {
  const seen = new Set<number>();
  const timer = setInterval(() => {
    for (const p of descendants(root)) {
      if (runnerOf(p) && matches(p) && !seen.has(p.pid)) {
        seen.add(p.pid);
        onRunner(p);
      }
    }
  }, 100);
  return () => clearInterval(timer);
}

function workspace(): { dir: string; strategy: string } {
  const dir = tempDir('qraft-tasks-');
  return { dir, strategy: writeJson(join(dir, 'strategy.json'), LONG_SHORT) };
}

const precheckArgs = (strategy: string, more: string[]) => ['deploy', 'precheck', '--strategy', strategy, '--prices', DAILY, ...WINDOW, '--engine', 'nautilus', '--python', VENV_PYTHON, '--set', 'gates.cost_sensitivity.engine=precise', '--fmt', 'json', ...more];

describe('precheck tasks: local pool and Ray', function () {
  this.timeout(600_000);
  let serial: unknown;
  let ws: { dir: string; strategy: string };

  before(async function () {
    ws = workspace();
    const run = await runCliAsync(precheckArgs(ws.strategy, ['--jobs', '1']), ws.dir);
    assert.equal(run.stderr, '');
    assert.ok(run.code === 0 || run.code === 1, run.stderr);
    serial = comparable(run.stdout);
    const report = serial as { precise: { engine: string; metrics: { trades: number } }; gates: { name: string; details: { engine?: string } }[] };
    assert.equal(report.precise.engine, 'nautilus');
    assert.equal(report.gates.find((gate) => gate.name === 'cost_sensitivity')?.details.engine, 'precise');
  });
  after(() => cleanupTempDirs());

  it('--jobs 2 gives the same report as one process: every gate value, metric and fill', async () => {
    const run = await runCliAsync(precheckArgs(ws.strategy, ['--jobs', '2']), ws.dir);
    assert.equal(run.stderr, '');
    assert.deepEqual(comparable(run.stdout), serial);
  });

  it('a runner killed with SIGKILL mid-task runs again, and the report is the same', async () => {
    const { dir, strategy } = workspace();
    let killed = 0;
    // Kill the first runner this precheck starts, once it has had time to start working.
    const cli = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), ...precheckArgs(strategy, ['--jobs', '2'])], { cwd: dir });
    let stdout = '';
    let stderr = '';
    cli.stdout.on('data', (chunk) => (stdout += chunk));
    cli.stderr.on('data', (chunk) => (stderr += chunk));
    const stop = watchRunners(cli.pid as number, (p) => {
      if (killed === 0) {
        killed += 1;
        setTimeout(() => process.kill(p.pid, 'SIGKILL'), 300);
      }
    });
    const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
    stop();
    assert.equal(killed, 1);
    assert.ok(code === 0 || code === 1, stderr);
    assert.deepEqual(comparable(stdout), serial);
  });

  it('a task whose runner is killed every time fails after the retries with one clear sentence', async () => {
    const { dir, strategy } = workspace();
    const controller = new AbortController();
    const stop = watchRunners(process.pid, (p) => process.kill(p.pid, 'SIGKILL'));
    try {
      await assert.rejects(
        precheckFiles({
          strategyPath: strategy,
          pricesPath: DAILY,
          start: '2016-01-01',
          end: '2020-12-31',
          config: { gates: GateConfigSchema.parse({}), canary: {} as never },
          reportsDir: join(dir, 'reports'),
          engine: 'nautilus',
          python: VENV_PYTHON,
          executor: new LocalExecutor({ jobs: 1, retries: 1 }),
          signal: controller.signal,
        }),
        (err: unknown) => err instanceof InternalError && /^The precise run's process was killed 2 times, so the precheck stopped; the last time: The NautilusTrader runner was killed by SIGKILL/.test(err.message),
      );
    } finally {
      stop();
    }
  });

  it('cancel kills every task: no runner process is left (checked by pid)', async () => {
    const { dir, strategy } = workspace();
    const controller = new AbortController();
    const seen: number[] = [];
    const stop = watchRunners(process.pid, (p) => {
      seen.push(p.pid);
      if (seen.length === 2) setTimeout(() => controller.abort(), 200);
    });
    try {
      await assert.rejects(
        precheckFiles({
          strategyPath: strategy,
          pricesPath: DAILY,
          start: '2016-01-01',
          end: '2020-12-31',
          config: { gates: GateConfigSchema.parse({ cost_sensitivity: { engine: 'precise' } }), canary: {} as never },
          reportsDir: join(dir, 'reports'),
          engine: 'nautilus',
          python: VENV_PYTHON,
          executor: new LocalExecutor({ jobs: 2 }),
          signal: controller.signal,
        }),
        CancelledError,
      );
    } finally {
      stop();
    }
    assert.ok(seen.length >= 2, `saw ${seen.length} runner processes`);
    for (let i = 0; i < 20 && seen.some(alive); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(seen.filter(alive), [], 'runner processes still alive after the cancel');
    assert.deepEqual(descendants(process.pid).filter(runnerOf), []);
  });

  it('progress: "tasks done/total" on stderr on a terminal (script gives it one), nothing otherwise', function () {
    if (spawnStatus('script', ['--version']) !== 0) this.skip(); // no `script` (util-linux) to lend a terminal
    const args = ['deploy', 'precheck', '--strategy', ws.strategy, '--prices', DAILY, ...WINDOW, '--engine', 'builtin', '--jobs', '2'];
    const quoted = [process.execPath, join(REPO_ROOT, 'dist', 'cli.js'), ...args].map((arg) => `'${arg}'`).join(' ');
    // stdout to a file, so that what reaches the terminal is stderr only.
    const out = join(ws.dir, 'stdout.txt');
    const terminal = execFileSync('script', ['-qec', `${quoted} > '${out}' || true`, '/dev/null'], { cwd: ws.dir, encoding: 'utf8' });
    assert.match(terminal, /precheck: tasks 2\/2/);
    assert.match(readFileSync(out, 'utf8'), /cost_sensitivity/);
    const piped = runCli(args, ws.dir);
    assert.equal(piped.stderr, '');
    const json = execFileSync('script', ['-qec', `${quoted} --fmt json > '${out}' || true`, '/dev/null'], { cwd: ws.dir, encoding: 'utf8' });
    assert.doesNotMatch(json, /tasks/);
  });

  it('several --strategy, or a folder of them: one report each on one pool, exit 1 when any fails', () => {
    const dir = tempDir('qraft-tasks-many-');
    const a = writeJson(join(dir, 'a.strategy.json'), LONG_SHORT);
    // Buy and hold makes at most one round trip: the evidence gate (3 round trips) fails it.
    mkdirSync(join(dir, 'hold'));
    writeJson(join(dir, 'hold', 'strategy.json'), { name: 'hold', version: '1.0.0', universe: ['SPY'], signal: { type: 'buy_and_hold' } });
    const b = join(dir, 'hold', 'strategy.json');
    const common = ['--prices', DAILY, ...WINDOW, '--engine', 'builtin', '--jobs', '2', '--set', 'gates.evidence.min_trades=3', '--fmt', 'json'];
    const listed = runCli(['deploy', 'precheck', '--strategy', a, '--strategy', b, ...common], dir);
    const folder = runCli(['deploy', 'precheck', '--strategy', dir, ...common], dir);
    for (const run of [listed, folder]) {
      const out = JSON.parse(run.stdout) as { passed: boolean; reports: { strategy: { name: string }; passed: boolean; gates: { name: string; passed: boolean }[] }[] };
      assert.deepEqual(out.reports.map((report) => report.strategy.name), ['long-short', 'hold']);
      assert.equal(out.reports[1].gates.find((gate) => gate.name === 'evidence')?.passed, false);
      assert.equal(out.reports[1].passed, false);
      assert.equal(out.passed, false);
      assert.equal(run.code, 1, run.stderr);
    }
    // The same reports whichever way the strategies were named.
    const strip = (stdout: string) => (JSON.parse(stdout) as { reports: Record<string, unknown>[] }).reports.map((report) => JSON.stringify({ ...report, created_at: 0, timings_ms: 0, report_hash: 0, report_path: 0 }));
    assert.deepEqual(strip(folder.stdout), strip(listed.stdout));
  });

  it('bad --jobs is exit 2 with one sentence', () => {
    for (const bad of ['0', '-1', '1.5', 'two']) {
      const run = runCli(['deploy', 'precheck', '--strategy', ws.strategy, '--prices', DAILY, '--jobs', bad], ws.dir);
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr, `qraft: --jobs must be a positive whole number of processes, not "${bad}".\n`);
    }
  });

  it('an unreachable or malformed Ray address is exit 2 with one sentence', async () => {
    // A port nobody listens on: bind one, note it, close it.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const run = runCli(['deploy', 'precheck', '--strategy', ws.strategy, '--prices', DAILY, '--python', VENV_PYTHON, '--ray', `127.0.0.1:${port}`], ws.dir);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`^qraft: The Ray cluster at 127\\.0\\.0\\.1:${port} cannot be reached: nothing answers at 127\\.0\\.0\\.1:${port} \\([^)]*\\)\\.\\n$`));
    const malformed = runCli(['deploy', 'precheck', '--strategy', ws.strategy, '--prices', DAILY, '--python', VENV_PYTHON, '--ray', 'not-an-address'], ws.dir);
    assert.equal(malformed.code, 2, malformed.stderr);
    assert.match(malformed.stderr, /^qraft: The Ray cluster at not-an-address cannot be reached: "not-an-address" is not a Ray address \(expected auto, ray:\/\/HOST:PORT or HOST:PORT\)\.\n$/);
  });

  it('Ray not installed in the interpreter (system python3) is exit 2 with one sentence, also through $QRAFT_RAY', function () {
    const python3 = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const probe = spawnStatus(python3, ['-c', 'import ray']);
    if (probe === 0) this.skip(); // this machine's python3 has Ray: no interpreter without it to point at
    const run = runCli(['deploy', 'precheck', '--strategy', ws.strategy, '--prices', DAILY, '--python', python3], ws.dir, { QRAFT_RAY: 'auto' });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stderr, `qraft: Ray is not installed in ${python3}; install it with ${python3} -m pip install "ray[default]==2.60.0".\n`);
  });

  describe('on a real local Ray cluster (ray start --head --num-cpus 2), run once', function () {
    let temp = '';
    let address = '';
    before(function () {
      if (!existsSync(RAY)) throw new Error(`Ray is not installed in ${VENV_PYTHON}: run npm run setup:python`);
      // Ray's socket paths must stay short: a temp dir right under /tmp.
      temp = mkdtempSync('/tmp/qr');
      const port = 20000 + Math.floor(Math.random() * 20000);
      const started = execFileSync(RAY, ['start', '--head', '--num-cpus', '2', '--temp-dir', temp, '--port', String(port), '--ray-client-server-port', String(port + 1), '--include-dashboard=false', '--disable-usage-stats'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, RAY_USAGE_STATS_ENABLED: '0' },
        timeout: 120_000,
      });
      // The address the head prints for other nodes: its node IP and GCS port.
      address = /ray start --address='([^']+)'/.exec(started)?.[1] ?? '';
      assert.ok(address, `ray start printed no address: ${started}`);
    });
    after(() => {
      // This cluster's processes only, by pid (not `ray stop`, which stops every Ray on the machine):
      // those naming its temp dir, and everything below them (the workers).
      if (!temp) return;
      const all = processes();
      // (The Ray Client server names the GCS address, not the temp dir.)
      const roots = all.filter((p) => p.args.includes(temp) || (address !== '' && p.args.includes(`--address=${address}`)));
      const doomed = new Set([...roots, ...roots.flatMap((p) => descendants(p.pid, all))].map((p) => p.pid));
      for (const pid of doomed) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      rmSync(temp, { recursive: true, force: true });
    });

    it('gives the same report as one process, also when a runner on a worker is killed mid-task (Ray retries it)', async () => {
      const { dir, strategy } = workspace();
      const cli = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'cli.js'), ...precheckArgs(strategy, ['--ray', address])], { cwd: dir });
      let stdout = '';
      let stderr = '';
      cli.stdout.on('data', (chunk) => (stdout += chunk));
      cli.stderr.on('data', (chunk) => (stderr += chunk));
      // The runners on the cluster's workers: below this cluster's raylet, with a Ray task's job file.
      let killed = 0;
      const timer = setInterval(() => {
        const all = processes();
        const raylets = all.filter((p) => p.args.includes(temp));
        const runners = raylets.flatMap((p) => descendants(p.pid, all)).filter((p) => runnerOf(p) && p.args.includes('qraft-ray-task-'));
        if (killed === 0 && runners.length > 0) {
          killed += 1;
          setTimeout(() => process.kill(runners[0].pid, 'SIGKILL'), 300);
        }
      }, 100);
      const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
      clearInterval(timer);
      assert.ok(code === 0 || code === 1, stderr);
      assert.equal(killed, 1, 'no runner process was seen on the cluster');
      assert.deepEqual(comparable(stdout), serial);
    });
  });
});

function spawnStatus(command: string, args: string[]): number | null {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return 0;
  } catch (err) {
    return (err as { status: number | null }).status;
  }
}
