// The extension and CLI bundles (issue 14): dist/extension.js's size and the time `require()` takes
// in a fresh Node process (with a stub `vscode`, which the bundle leaves external), and the CLI
// bundle's size and `qraft --help` start-up. Run alone with `npx tsx scripts/benchBundle.ts`
// (after `npm run build`); `npm run bench` includes bundleBenchmarks().
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
export const EXTENSION_BUNDLE = join(ROOT, 'dist', 'extension.js');
export const CLI_BUNDLE = join(ROOT, 'dist', 'cli.js');
export const MAX_EXTENSION_BYTES = 400_000;
export const MAX_REQUIRE_MS = 25;
const RUNS = 11;

/**
 * A `vscode` module for plain Node: every property read and every call or `new` on what it hands
 * out is recorded in `globalThis.__vscodeUses` (and answered with another recording stub). Reads
 * the module system makes on its own (`__esModule`, `default`, `then`, symbols) are not uses.
 */
const STUB = `'use strict';
const uses = (globalThis.__vscodeUses ??= []);
const quiet = new Set(['__esModule', 'default', 'then', 'constructor', 'prototype', 'toJSON']);
function stub(path) {
  return new Proxy(function () {}, {
    get(_t, key) {
      if (typeof key === 'symbol' || quiet.has(key)) return undefined;
      uses.push(path ? path + '.' + key : key);
      return stub(path ? path + '.' + key : key);
    },
    apply() { uses.push(path + '()'); return stub(path + '()'); },
    construct() { uses.push('new ' + path); return stub('new ' + path); },
    ownKeys() { return ['prototype']; },
    getOwnPropertyDescriptor(t, key) { return Reflect.getOwnPropertyDescriptor(t, key); },
  });
}
module.exports = stub('');
`;

/** A folder holding node_modules/vscode (the recording stub), for NODE_PATH. */
export function vscodeStubFolder(): { nodePath: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'qraft-vscode-stub-'));
  mkdirSync(join(dir, 'node_modules', 'vscode'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'vscode', 'index.js'), STUB);
  return { nodePath: join(dir, 'node_modules'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RequireProbe {
  /** Milliseconds `require(bundle)` took, measured inside the fresh process. */
  ms: number;
  /** The bundle's exports. */
  exports: string[];
  /** What the bundle touched of the vscode API while loading (should be nothing). */
  vscodeUses: string[];
  /** Globals that loading added (zod, for one, registers `__zod_globalConfig` when it is set up). */
  globalsAdded: string[];
}

/** Requires `bundle` once in a fresh `node` process with the stub `vscode` on NODE_PATH. */
export function probeRequire(bundle: string, nodePath: string): RequireProbe {
  const script = `
    const before = new Set(Object.getOwnPropertyNames(globalThis));
    const start = process.hrtime.bigint();
    const mod = require(${JSON.stringify(bundle)});
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const uses = globalThis.__vscodeUses ?? [];
    const globalsAdded = Object.getOwnPropertyNames(globalThis).filter((name) => !before.has(name) && name !== '__vscodeUses');
    process.stdout.write(JSON.stringify({ ms, exports: Object.keys(mod), vscodeUses: uses, globalsAdded }));`;
  const run = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, NODE_PATH: nodePath, NODE_OPTIONS: '' }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`requiring ${bundle} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as RequireProbe;
}

/** Wall time of `node bin/qraft.js --help`, process start to exit. */
function helpMs(): number {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'qraft.js'), '--help'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`qraft --help exited ${run.status}: ${run.stderr}`);
  return ms;
}

/** Node with nothing to do, for reading the --help figure (process start-up is most of it). */
function bareNodeMs(): number {
  const start = process.hrtime.bigint();
  spawnSync(process.execPath, ['-e', '0']);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function minMedian(samples: number[]): { min: number; median: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB (${bytes.toLocaleString('en-US')} B)`;
const ms = ({ min, median }: { min: number; median: number }) => `min ${min.toFixed(1)} ms, median ${median.toFixed(1)} ms`;

export async function bundleBenchmarks(): Promise<{ what: string; figure: string; target: string; met: boolean }[]> {
  const extensionBytes = statSync(EXTENSION_BUNDLE).size;
  const cliBytes = statSync(CLI_BUNDLE).size;
  const stub = vscodeStubFolder();
  try {
    const probes = Array.from({ length: RUNS }, () => probeRequire(EXTENSION_BUNDLE, stub.nodePath));
    const load = minMedian(probes.map((probe) => probe.ms));
    const uses = [...new Set(probes.flatMap((probe) => [...probe.vscodeUses, ...probe.globalsAdded.map((name) => `global ${name}`)]))];
    const exported = probes[0].exports.sort().join(', ');
    const help = minMedian(Array.from({ length: RUNS }, helpMs));
    const bare = minMedian(Array.from({ length: RUNS }, bareNodeMs));
    return [
      { what: 'dist/extension.js size (minified)', figure: kb(extensionBytes), target: `≤ ${kb(MAX_EXTENSION_BYTES)}`, met: extensionBytes <= MAX_EXTENSION_BYTES },
      { what: `dist/extension.js require(), fresh node, ${RUNS} runs`, figure: ms(load), target: `≤ ${MAX_REQUIRE_MS} ms`, met: load.min <= MAX_REQUIRE_MS },
      {
        what: 'vscode API used or globals set while loading dist/extension.js',
        figure: uses.length === 0 ? `none (exports: ${exported})` : uses.slice(0, 5).join(', '),
        target: 'none: only activate runs it',
        met: uses.length === 0,
      },
      { what: 'dist/cli.js size (minified)', figure: kb(cliBytes), target: 'reported', met: true },
      { what: `qraft --help, process start to exit, ${RUNS} runs`, figure: `${ms(help)} (bare node: ${ms(bare)})`, target: 'reported', met: true },
    ];
  } finally {
    stub.dispose();
  }
}

if (require.main === module) {
  void bundleBenchmarks().then((rows) => {
    for (const row of rows) console.log(`${row.met ? 'ok  ' : 'MISS'} ${row.what}: ${row.figure} (target ${row.target})`);
  });
}
