import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawn } from 'node:child_process';
import { CancelledError, InputError, InternalError } from '../../shared/errors';
import { jobPrices, jobRest, runnerEnv, runnerResult } from '../engines/nautilus';
import type { EngineInput, EngineRun } from '../engines/types';
import type { LocalExecutor } from './local';
import { type EngineTask, type TaskExecutor, type TaskRunOptions, runDistinct } from './task';

/** The Ray the set-up installs (python/requirements.txt). */
export const RAY_PIN = '2.60.0';
/** How long the driver may take to connect (a cold local instance takes ~10 s). */
const CONNECT_TIMEOUT_MS = 120_000;

/** Where the address comes from, first given wins: the command line or setting, else $QRAFT_RAY. */
export function rayAddress(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const address = given?.trim() || env.QRAFT_RAY?.trim();
  return address || undefined;
}

export interface RayExecutorOptions {
  /** `auto`, `ray://HOST:PORT` or `HOST:PORT`. */
  address: string;
  /** The interpreter that runs the driver (it must import ray; the cluster's workers run the runner). */
  python: string;
  /** Tasks of other engines (the built-in one) run here, and the progress is counted here. */
  local: LocalExecutor;
  /** The driver's stderr (Ray's own messages), for a log. */
  onLog?: (text: string) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * NautilusTrader tasks as Ray remote functions (python/qraft_nautilus/ray_driver.py): one driver
 * per executor, connected once; each frame's prices go into the object store once, each task sends
 * its targets and costs; the runner package travels with the job (runtime_env py_modules). A worker
 * lost mid-task is retried by Ray (max_retries). Other engines' tasks run in the local pool.
 */
export class RayExecutor implements TaskExecutor {
  private driver?: Promise<Driver>;
  private readonly frames = new WeakMap<object, string>();
  private dir?: string;
  private counter = 0;

  constructor(private readonly options: RayExecutorOptions) {}

  get description(): string {
    return `ray ${this.options.address}`;
  }

  async run(tasks: readonly EngineTask[], options: TaskRunOptions = {}): Promise<EngineRun[]> {
    const remote = tasks.filter((task) => task.engine.runner);
    const local = tasks.filter((task) => !task.engine.runner);
    const localRuns = local.length ? this.options.local.run(local, options) : Promise.resolve([]);
    localRuns.catch(() => undefined);
    const remoteRuns = remote.length ? runDistinct(remote, (task) => this.submit(task, options.signal)) : Promise.resolve([]);
    remoteRuns.catch(() => undefined);
    const [l, r] = await Promise.all([localRuns, remoteRuns]);
    const byTask = new Map<EngineTask, EngineRun>();
    local.forEach((task, i) => byTask.set(task, l[i]));
    remote.forEach((task, i) => byTask.set(task, r[i]));
    return tasks.map((task) => byTask.get(task) as EngineRun);
  }

  /** Connects now (else at the first task): Ray missing or an unreachable address is said before anything runs. */
  async connect(): Promise<void> {
    await (this.driver ??= Driver.start(this.options));
  }

  async close(): Promise<void> {
    const driver = this.driver;
    this.driver = undefined;
    if (driver) await driver.then((d) => d.close(), () => undefined);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async submit(task: EngineTask, signal?: AbortSignal): Promise<EngineRun> {
    if (signal?.aborted) throw new CancelledError('The precheck');
    const driver = await (this.driver ??= Driver.start(this.options));
    const input = task.input();
    if (process.env.QRAFT_DEBUG) process.stderr.write(`submit ${task.label}\n`);
    const dir = (this.dir ??= mkdtempSync(join(tmpdir(), 'qraft-ray-')));
    let frame = this.frames.get(input.frame);
    if (!frame) {
      frame = `f${(this.counter += 1)}`;
      this.frames.set(input.frame, frame);
      const path = join(dir, `${frame}.json`);
      writeFileSync(path, JSON.stringify(jobPrices(input.frame)));
      driver.send({ frame, path });
    }
    const name = `t${(this.counter += 1)}`;
    const path = join(dir, `${name}.json`);
    const out = join(dir, `${name}.out.json`);
    writeFileSync(path, JSON.stringify(jobRest(input)));
    this.options.local.count(0, 1);
    await driver.wait(name, { frame, path, out }, signal);
    this.options.local.count(1, 0);
    try {
      return toRun(out, input, this.options.python);
    } finally {
      rmSync(path, { force: true });
      rmSync(out, { force: true });
    }
  }
}

function toRun(out: string, input: EngineInput, python: string): EngineRun {
  if (!existsSync(out)) throw new InternalError('The Ray driver reported a task done but wrote no result.');
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    document = undefined;
  }
  return runnerResult(document, input, python);
}

/** The driver process and the tasks waiting on it. */
class Driver {
  private readonly waiters = new Map<string, Waiter>();
  private failure?: Error;
  private stdin?: NodeJS.WritableStream;
  private exited!: Promise<void>;
  private kill!: () => void;

  private constructor(private readonly options: RayExecutorOptions) {}

  static async start(options: RayExecutorOptions): Promise<Driver> {
    const driver = new Driver(options);
    await driver.open();
    return driver;
  }

  private async open(): Promise<void> {
    const { python, address } = this.options;
    let ready!: () => void;
    const connected = new Promise<void>((resolve, reject) => {
      ready = resolve;
      this.onFailure = reject;
    });
    connected.catch(() => undefined);
    // A process group of its own: a local Ray instance the driver starts dies with it.
    const child = spawn(python, ['-m', 'qraft_nautilus.ray_driver', address], {
      env: { ...process.env, ...runnerEnv(), RAY_USAGE_STATS_ENABLED: '0' },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    this.kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    };
    this.stdin = child.stdin;
    child.stdin.on('error', () => undefined);
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr = (stderr + text).slice(-4000);
      this.options.onLog?.(text);
    });
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      let message: { ready?: boolean; done?: string; ok?: boolean; error?: { code: string; message: string } };
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (process.env.QRAFT_DEBUG) process.stderr.write(`driver: ${line}\n`);
      if (message.ready) ready();
      else if (message.done) {
        const waiter = this.waiters.get(message.done);
        this.waiters.delete(message.done);
        waiter?.resolve();
      } else if (message.ok === false && message.error) this.fail(driverError(message.error, python, address));
    });
    this.exited = new Promise<void>((resolve) => {
      child.on('error', (err: NodeJS.ErrnoException) => {
        this.fail(err.code === 'ENOENT' ? new InputError(`The Python interpreter "${python}" was not found.`, 'interpreter_missing') : err);
        resolve();
      });
      child.on('close', (code, signal) => {
        this.fail(driverExit({ stderr, exitCode: code ?? undefined, killed: signal !== null }, python));
        this.kill();
        resolve();
      });
    });
    const connecting = setTimeout(() => this.fail(new InputError(`The Ray cluster at ${address} did not accept a connection within ${CONNECT_TIMEOUT_MS / 1000} s.`)), CONNECT_TIMEOUT_MS);
    try {
      await connected;
    } finally {
      clearTimeout(connecting);
    }
  }

  private onFailure?: (err: Error) => void;

  private fail(err: Error): void {
    this.failure ??= err;
    this.onFailure?.(this.failure);
    for (const waiter of this.waiters.values()) waiter.reject(this.failure);
    this.waiters.clear();
    this.kill();
  }

  send(message: Record<string, unknown>): void {
    if (this.failure) throw this.failure;
    this.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  wait(task: string, message: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        // The driver's death cancels its job's tasks on the cluster.
        this.fail(new CancelledError('The precheck'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.waiters.set(task, {
        resolve: () => {
          done();
          resolve();
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      this.send({ task, ...message });
      if (signal?.aborted) onAbort();
    });
  }

  async close(): Promise<void> {
    this.stdin?.end();
    await this.exited;
  }
}

/** The driver's fatal error as one sentence: Ray missing or the address unreachable are bad input. */
function driverError(error: { code: string; message: string }, python: string, address: string): Error {
  const detail = error.message.replace(/\.$/, '');
  if (error.code === 'ray_missing') return new InputError(`Ray is not installed in ${python}; install it with ${python} -m pip install "ray[default]==${RAY_PIN}".`);
  if (error.code === 'ray_unreachable') return new InputError(`The Ray cluster at ${address} cannot be reached: ${detail}.`);
  return new InternalError(`The Ray run failed: ${detail}.`);
}

function driverExit(result: { stderr?: string; exitCode?: number; killed?: boolean }, python: string): Error {
  if (result.killed) return new InternalError('The Ray driver was killed before every task was done.');
  if (result.exitCode === 0) return new InternalError('The Ray driver ended before every task was done.');
  const last = (result.stderr ?? '').trim().split('\n').filter(Boolean).at(-1);
  if (/No module named ['"]?qraft_nautilus/.test(last ?? '') || result.exitCode === undefined) return new InputError(`The Ray driver could not start with ${python}${last ? `: ${last}` : ''}.`);
  return new InternalError(`The Ray driver exited with code ${result.exitCode}${last ? `: ${last}` : ''}.`);
}
