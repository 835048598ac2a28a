import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { CancelledError, InputError, InternalError } from '../../shared/errors';
import { RunnerLostError } from '../engines/nautilus';
import type { EngineRun } from '../engines/types';
import { type EngineTask, type TaskExecutor, type TaskProgress, type TaskRunOptions, runDistinct } from './task';

/** How many times a task whose process was killed from outside runs again before the run fails. */
export const TASK_RETRIES = 2;

/** The default size of the local pool: one process per core. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** A pool size as typed by a person: a positive whole number, else one sentence saying so. */
export function parseJobs(raw: string, what: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < 1) throw new InputError(`${what} must be a positive whole number of processes, not "${raw}".`);
  return value;
}

export interface LocalExecutorOptions {
  /** At most this many tasks at once (default: the core count). */
  jobs?: number;
  retries?: number;
  onProgress?: TaskProgress;
}

/**
 * The default executor: a bounded pool on this machine. A NautilusTrader task is a fresh runner
 * process (what the cold start needs anyway), at most `jobs` of them at once; a built-in engine
 * task runs in this process (it is fast, and a process would only add the copy of the prices).
 * Cancelling kills every runner process (each runs in a process group of its own); a runner killed
 * from outside runs again, up to `retries` times.
 */
export class LocalExecutor implements TaskExecutor {
  readonly jobs: number;
  private readonly retries: number;
  private readonly onProgress?: TaskProgress;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private done = 0;
  private total = 0;

  constructor(options: LocalExecutorOptions = {}) {
    this.jobs = options.jobs ?? defaultJobs();
    if (!Number.isInteger(this.jobs) || this.jobs < 1) throw new InputError(`The number of processes must be a positive whole number, not ${this.jobs}.`);
    this.retries = options.retries ?? TASK_RETRIES;
    this.onProgress = options.onProgress;
  }

  get description(): string {
    return `local, ${this.jobs} process${this.jobs === 1 ? '' : 'es'}`;
  }

  /** Counts tasks another executor ran (Ray), so one progress line covers both. */
  count(done: number, total: number): void {
    this.done += done;
    this.total += total;
    if (done || total) this.onProgress?.(this.done, this.total);
  }

  async run(tasks: readonly EngineTask[], options: TaskRunOptions = {}): Promise<EngineRun[]> {
    // The batch stops as a whole: a failed task, or the caller's cancel, kills the others' processes.
    const batch = new AbortController();
    // One listener per running task (each kills its process group).
    setMaxListeners(0, batch.signal);
    const onAbort = () => batch.abort();
    if (options.signal?.aborted) batch.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await runDistinct(tasks, async (task) => {
        this.count(0, 1);
        try {
          const run = await this.slot(() => this.attempt(task, batch.signal));
          this.count(1, 0);
          return run;
        } catch (err) {
          batch.abort();
          throw err;
        }
      });
    } catch (err) {
      if (options.signal?.aborted) throw new CancelledError('The precheck');
      throw err;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {}

  private async attempt(task: EngineTask, signal: AbortSignal): Promise<EngineRun> {
    for (let attempt = 0; ; attempt += 1) {
      if (signal.aborted) throw new CancelledError('The precheck');
      try {
        return await task.engine.run(task.input(), { signal });
      } catch (err) {
        if (!(err instanceof RunnerLostError) || signal.aborted) throw err;
        if (attempt >= this.retries) {
          throw new InternalError(`The ${task.label} run's process was killed ${attempt + 1} times, so the precheck stopped; the last time: ${err.message.replace(/\.$/, '')}.`);
        }
      }
    }
  }

  /** Runs `work` when fewer than `jobs` tasks are running. */
  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.jobs) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}
