import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { ReleaseService } from '../../src/core/release/service';
import { type FileReleaseStore, fileStoreOf } from '../../src/core/release/store/file';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const CLI = join(REPO_ROOT, 'dist', 'cli.js');
export const EXAMPLES = join(REPO_ROOT, 'examples');
/** Real daily prices (copied from ../shared/data with its SOURCES.md, so a fresh clone has them). */
export const DAILY = join(REPO_ROOT, 'test', 'data', 'daily');

const made: string[] = [];

/** A fresh temp folder, removed after the run (see cleanupTempDirs). */
export function tempDir(prefix = 'qraft-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function cleanupTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A temp workspace holding a copy of examples/ (without any artifacts). */
export function exampleWorkspace(): string {
  const dir = tempDir('qraft-ws-');
  cpSync(EXAMPLES, dir, { recursive: true, filter: (src) => !src.includes(`${join(EXAMPLES, 'artifacts')}`) });
  return dir;
}

/**
 * Writes a qraft.config.json that lets approval go ahead without evidence (no precheck, no canary
 * required, nothing re-run): for tests of the deploy mechanics, which are not about the gates.
 */
export function allowUngatedApproval(dir: string): string {
  writeJson(join(dir, 'qraft.config.json'), { approval: { require_precheck: false, require_canary: 'never', recheck: 'none' } });
  return dir;
}

/** A copy of examples/ whose approvals do not need a precheck (see allowUngatedApproval). */
export function ungatedWorkspace(): string {
  return allowUngatedApproval(exampleWorkspace());
}

export function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

export function readJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`node dist/cli.js …`) synchronously in `cwd`. */
export function runCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliRun {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the built CLI asynchronously; resolves with its exit code (null when killed) and output. */
export function runCliAsync(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliRun & { signal: NodeJS.Signals | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** Path → sha256 of every file below `dir`: compare two snapshots to prove nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string): void => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path)] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir);
  return files;
}

/** A minimal valid strategy document, varied by `version`. */
export function strategyPayload(version: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'sma-cross-spy', version, universe: ['SPY'], signal: { type: 'sma_cross', fast: 10, slow: 30 }, ...extra };
}

/** The file store behind a release service (its pool and deploy folders), for tests that look at the files. */
export function fileStore(release: ReleaseService): FileReleaseStore {
  const files = fileStoreOf(release.store);
  if (!files) throw new Error('not a file store');
  return files;
}
