import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { CancelledError, InputError, InternalError, type QraftError } from '../../shared/errors';
import { FillLog } from './fills';
import { JOB_VERSION, RUNNER_ERRORS } from './runnerNames';
import type { Engine, EngineInput, EngineRun, RunOptions } from './types';

/** What the runner needs on each supported Python: 1.221.0 is the last for 3.11, 1.230.0 needs ≥ 3.12. */
export const NAUTILUS_PIN_PY311 = '1.221.0';
export const NAUTILUS_PIN_PY312 = '1.230.0';
export const DEFAULT_NAUTILUS_TIMEOUT_MS = 10 * 60_000;
const PROBE_TIMEOUT_MS = 60_000;

/** The folder holding the `qraft_nautilus` package: next to dist/ when bundled, the repo root in tests. */
export function runnerRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'python');
    if (existsSync(join(candidate, 'qraft_nautilus', '__main__.py'))) return candidate;
    if (dirname(dir) === dir) throw new InternalError('The NautilusTrader runner (python/qraft_nautilus) is missing from this installation.');
  }
}

const RunnerErrorSchema = z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) });
const ProbeSchema = z.union([z.object({ ok: z.literal(true), nautilus_trader: z.string(), python: z.string() }), RunnerErrorSchema]);
const RunnerFillSchema = z.object({
  bar: z.number().int().min(0),
  symbol: z.string(),
  side: z.enum(['BUY', 'SELL']),
  quantity: z.number().positive(),
  price: z.number().positive(),
  commission: z.number().min(0),
  executed_price: z.number().positive(),
  broker_commission: z.number().min(0),
  slippage: z.number().min(0),
});
const RunnerOutputSchema = z.union([
  z.object({ ok: z.literal(true), nautilus_trader: z.string(), fills: z.array(RunnerFillSchema), final_balance: z.number(), bars: z.number().int() }),
  RunnerErrorSchema,
]);

/** Why a probe failed: no interpreter, no nautilus_trader, or an answer that is not the runner's. */
export type ProbeFailureCode = 'interpreter_missing' | 'nautilus_missing' | 'nautilus_broken';
export type NautilusProbe = { ok: true; version: string; python: string } | { ok: false; code: ProbeFailureCode; message: string };

export interface NautilusOptions {
  /** Python interpreter that has nautilus_trader installed. */
  python: string;
  timeoutMs?: number;
  /** Receives the runner's stderr (NautilusTrader's own messages) for the log. */
  onStderr?: (text: string) => void;
}

/** execa is ESM-only: loaded on first use (esbuild bundles it; tests load it through Node's ESM loader). */
async function loadExeca(): Promise<typeof import('execa').execa> {
  return (await import('execa')).execa;
}

/**
 * Runs the interpreter in a process group of its own and kills the whole group (SIGKILL) at the
 * timeout, on cancel, and as soon as the interpreter itself exits: a child it left behind holding
 * the pipes open would otherwise keep the run waiting and live on as an orphan.
 */
async function runGrouped(python: string, args: string[], options: { timeoutMs: number; signal?: AbortSignal }) {
  const execa = await loadExeca();
  const child = execa(python, args, { env: runnerEnv(), detached: true, reject: false, stdin: 'ignore' });
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  };
  let timedOut = false;
  let isCanceled = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeoutMs);
  const onAbort = () => {
    isCanceled = true;
    killGroup();
  };
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  child.on('exit', killGroup);
  try {
    const result = await child;
    return Object.assign(result, { timedOut: timedOut || result.timedOut, isCanceled: isCanceled || result.isCanceled });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

export function runnerEnv(): NodeJS.ProcessEnv {
  const root = runnerRoot();
  const existing = process.env.PYTHONPATH;
  return { PYTHONPATH: existing ? `${root}:${existing}` : root, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
}

/**
 * The runner's process was killed by a signal nobody here sent (not a cancel, not the timeout):
 * an out-of-memory killer, an operator, a lost machine. The task executors run such a task again.
 */
export class RunnerLostError extends InternalError {}

/** One sentence for a process that could not run or did not finish. */
function processFailure(err: unknown, python: string, timeoutMs: number, signal?: AbortSignal): QraftError {
  const failure = err as { code?: string; timedOut?: boolean; isCanceled?: boolean; exitCode?: number; signal?: string; stderr?: string; shortMessage?: string };
  if (signal?.aborted || failure.isCanceled) return new CancelledError('The NautilusTrader run');
  if (failure.code === 'ENOENT') return new InputError(`The Python interpreter "${python}" was not found.`, 'interpreter_missing');
  if (failure.code === 'EACCES') return new InputError(`The Python interpreter "${python}" is not executable.`, 'interpreter_missing');
  if (failure.timedOut) return new InternalError(`NautilusTrader did not finish within ${Math.round(timeoutMs / 1000)} s, so the run was stopped.`);
  const lastLine = (failure.stderr ?? '').trim().split('\n').filter(Boolean).at(-1);
  if (failure.signal) return new RunnerLostError(`The NautilusTrader runner was killed by ${failure.signal}${lastLine ? `: ${lastLine}` : ''}.`);
  return new InternalError(`The NautilusTrader runner exited with code ${failure.exitCode ?? '?'}${lastLine ? `: ${lastLine}` : ''}.`);
}

/** Whether nautilus_trader imports in `python`, and its version; never throws for a missing package. */
export async function probeNautilus(python: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<NautilusProbe> {
  const timeoutMs = options.timeoutMs ?? PROBE_TIMEOUT_MS;
  let stdout: string;
  try {
    const result = await runGrouped(python, ['-m', 'qraft_nautilus', '--probe'], { timeoutMs, signal: options.signal });
    if (result.failed && result.exitCode === undefined) throw result;
    stdout = result.stdout;
  } catch (err) {
    const failure = processFailure(err, python, timeoutMs, options.signal);
    if (failure instanceof CancelledError) throw failure;
    const missing = failure instanceof InputError && failure.kind === 'interpreter_missing';
    return { ok: false, code: missing ? 'interpreter_missing' : 'nautilus_broken', message: failure.message.replace(/\.$/, '') };
  }
  const parsed = ProbeSchema.safeParse(safeJson(stdout.trim().split('\n').at(-1) ?? ''));
  if (!parsed.success) return { ok: false, code: 'nautilus_broken', message: `"${python}" did not answer the probe like a Python 3 interpreter` };
  if (!parsed.data.ok) {
    const code = parsed.data.error.code === RUNNER_ERRORS.nautilus_missing ? 'nautilus_missing' : 'nautilus_broken';
    return { ok: false, code, message: parsed.data.error.message.replace(/\.$/, '') };
  }
  return { ok: true, version: parsed.data.nautilus_trader, python: parsed.data.python };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** How to install NautilusTrader into `python`, for error messages and the editor's prompt. */
export function installHint(python: string): string {
  return `${python} -m pip install "nautilus_trader==${NAUTILUS_PIN_PY311}" (Python 3.11; on Python 3.12+ "nautilus_trader==${NAUTILUS_PIN_PY312}")`;
}

const list = (columns: readonly Float64Array[]) => columns.map((column) => Array.from(column));

/** The prices part of the runner's job: shared by every job on the same frame (Ray puts it in the object store once). */
export function jobPrices(frame: EngineInput['frame']): Record<string, unknown> {
  return {
    symbols: frame.symbols,
    times: Array.from(frame.times),
    open: list(frame.open),
    high: list(frame.high),
    low: list(frame.low),
    close: list(frame.close),
    volume: list(frame.volume),
  };
}

/** The job file the runner reads: prices, targets, costs, timing, lots and cash. */
function jobFor(input: EngineInput): unknown {
  return { ...jobPrices(input.frame), ...jobRest(input) };
}

/** Everything of the job but the prices: targets, costs, timing, lots and cash. */
export function jobRest(input: EngineInput): Record<string, unknown> {
  return {
    version: JOB_VERSION,
    weights: list(input.targets.weights),
    rebalance: Array.from(input.targets.rebalance),
    costs: input.costs,
    timing: input.timing,
    lot_size: input.lotSize,
    cash: input.cash,
  };
}

/**
 * The precise engine on NautilusTrader's BacktestEngine, run by `python/qraft_nautilus` in a
 * fresh process per run (so two runs are two cold starts). Fills come back as JSON; equity and
 * metrics are rebuilt from them by the shared ledger like every other engine's.
 */
export function nautilusEngine(options: NautilusOptions): Engine {
  const timeoutMs = options.timeoutMs ?? DEFAULT_NAUTILUS_TIMEOUT_MS;
  return {
    name: 'nautilus',
    runner: { python: options.python, timeoutMs },
    async run(input: EngineInput, runOptions: RunOptions = {}): Promise<EngineRun> {
      if (input.timing === 'next_open') {
        throw new InputError('NautilusTrader has no next-bar-open execution; use execution.timing "next_close" or "close".', 'engine_unavailable');
      }
      const dir = mkdtempSync(join(tmpdir(), 'qraft-nautilus-'));
      try {
        const jobPath = join(dir, 'job.json');
        const outPath = join(dir, 'out.json');
        writeFileSync(jobPath, JSON.stringify(jobFor(input)));
        // reject: false — the runner reports its own errors as JSON with exit code 3.
        const result = await runGrouped(options.python, ['-m', 'qraft_nautilus', jobPath, outPath], { timeoutMs, signal: runOptions.signal });
        const stderr = result.stderr;
        if (stderr && options.onStderr) options.onStderr(stderr);
        const answered = result.exitCode === 0 || result.exitCode === 3;
        if (result.isCanceled || result.timedOut || !answered) throw processFailure(result, options.python, timeoutMs, runOptions.signal);
        if (!existsSync(outPath)) throw new InternalError(`The NautilusTrader runner wrote no result${stderr ? `: ${stderr.trim().split('\n').at(-1)}` : ''}.`);
        return runnerResult(safeJson(readFileSync(outPath, 'utf8')), input, options.python);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The runner's answer (its output document) as an engine run, or the typed error it reports. */
export function runnerResult(document: unknown, input: EngineInput, python: string): EngineRun {
  const parsed = RunnerOutputSchema.safeParse(document);
  if (!parsed.success) throw new InternalError('The NautilusTrader runner returned a result that is not valid JSON of the expected shape.');
  const output = parsed.data;
  if (!output.ok) {
    const message = output.error.message.replace(/\.$/, '');
    const code = output.error.code;
    if (code === RUNNER_ERRORS.nautilus_missing) throw new InputError(`${message}; install it with ${installHint(python)}.`, 'engine_unavailable');
    if (code === RUNNER_ERRORS.unsupported_timing || code === RUNNER_ERRORS.unsupported) throw new InputError(`NautilusTrader cannot run this job: ${message}.`, 'engine_unavailable');
    if (code === RUNNER_ERRORS.bad_job) throw new InputError(`NautilusTrader cannot run this job: ${message}.`);
    throw new InternalError(`NautilusTrader failed: ${message}.`);
  }
  return { engine: 'nautilus', version: output.nautilus_trader, fills: toFillLog(output.fills, input) };
}

function toFillLog(fills: z.output<typeof RunnerFillSchema>[], input: EngineInput): FillLog {
  const index = new Map(input.frame.symbols.map((symbol, i) => [symbol, i]));
  const log = new FillLog();
  let previousBar = 0;
  for (const fill of fills) {
    const symbol = index.get(fill.symbol);
    if (symbol === undefined || fill.bar >= input.frame.times.length || fill.bar < previousBar) {
      throw new InternalError(`The NautilusTrader runner returned a fill that does not fit the job (${fill.symbol} at bar ${fill.bar}).`);
    }
    previousBar = fill.bar;
    const signed = fill.side === 'BUY' ? fill.quantity : -fill.quantity;
    log.push(fill.bar, symbol, signed, fill.executed_price, fill.broker_commission, fill.slippage);
  }
  return log;
}
