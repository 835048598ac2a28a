import { canonicalHash } from '../../shared/hashing';
import type { Engine, EngineInput, EngineRun } from '../engines/types';

/**
 * One independent engine run of a precheck (the precise run, the cold-start re-run, one cell of the
 * cost grid on the precise engine), named by its inputs: the same id means the same run, so an
 * executor runs it once and hands the result to everyone who asked.
 */
export interface EngineTask {
  /** sha256 of the task's inputs (taskId). */
  id: string;
  /** What the task is, for progress and errors: "precise", "cost ×1.5 fast=10 slow=50". */
  label: string;
  engine: Engine;
  /** The engine's input, made when the task starts (a cost-grid variant's targets are made only then). */
  input: () => EngineInput;
}

/** What a task's id is made of: everything its result depends on. */
export interface TaskInputs {
  /** sha256 of the strategy document (the variant's signal is given separately). */
  strategy: string;
  /** The price file's fingerprint and the window of the frame. */
  prices: { fingerprint: string; symbols: readonly string[]; first: number; last: number; bars: number };
  /** The engine's name, and its interpreter when it runs one. */
  engine: string;
  signal: unknown;
  costs: EngineInput['costs'];
  timing: EngineInput['timing'];
  lotSize: number;
  cash: number;
  /** Runs of the same inputs that must each happen (the cold start re-runs the precise run): 0, 1, … */
  replica: number;
}

export function taskId(inputs: TaskInputs): string {
  return canonicalHash(inputs);
}

/** The prices part of a task's inputs, from the frame it runs on. */
export function pricesKey(frame: EngineInput['frame']): TaskInputs['prices'] {
  const bars = frame.times.length;
  return { fingerprint: frame.source.fingerprint, symbols: frame.symbols, first: bars ? frame.times[0] : 0, last: bars ? frame.times[bars - 1] : 0, bars };
}

export interface TaskRunOptions {
  signal?: AbortSignal;
}

/** Tasks done and known so far, across every batch given to one executor. */
export type TaskProgress = (done: number, total: number) => void;

/**
 * Runs batches of tasks and returns their runs in the order given. Results never depend on the
 * executor: each task is the same engine run on the same input, wherever it happens.
 */
export interface TaskExecutor {
  /** Where the tasks run, for logs and reports: "local, 2 processes", "ray auto". */
  readonly description: string;
  run(tasks: readonly EngineTask[], options?: TaskRunOptions): Promise<EngineRun[]>;
  /** Releases what the executor holds (a Ray driver); safe to call more than once. */
  close(): Promise<void>;
}

/** Runs every task of `tasks` once per distinct id, with `runOne`; returns the runs in the order given. */
export async function runDistinct(tasks: readonly EngineTask[], runOne: (task: EngineTask) => Promise<EngineRun>): Promise<EngineRun[]> {
  const byId = new Map<string, Promise<EngineRun>>();
  for (const task of tasks) if (!byId.has(task.id)) byId.set(task.id, runOne(task));
  // Every promise is awaited below; a rejection of one must not surface as unhandled meanwhile.
  for (const promise of byId.values()) promise.catch(() => undefined);
  return Promise.all(tasks.map((task) => byId.get(task.id) as Promise<EngineRun>));
}
