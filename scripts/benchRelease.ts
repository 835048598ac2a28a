/**
 * Release-store benchmarks (issue 14): ms per release op at 10 / 1k / 10k / 100k HISTORY entries,
 * the CLI's approve-and-publish end to end at 10 vs 10k entries, and pool.list() at 1,000
 * candidates without and with the pool's index. Histories are built synthetically: a real
 * publish of two candidates, then a valid hash chain of publish/rollback entries between them,
 * written directly (the store verifies it like any other). Min of several runs; the figures are
 * noisy on a shared 2-core machine.
 *
 *   npx tsx scripts/benchRelease.ts
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deriveCurrent, replay, sealEntry } from '../src/core/release/deploy/history';
import { type HistoryEntry, commitmentsOf } from '../src/core/release/deploy/schemas';
import { ReleaseService } from '../src/core/release/service';
import { StrategyPool } from '../src/core/release/pool/pool';
import { prettyJson } from '../src/core/shared/json';

const REPO = resolve(__dirname, '..');
const EXAMPLES = join(REPO, 'examples');
const CLI = join(REPO, 'dist', 'cli.js');

export interface BenchRow {
  what: string;
  figure: string;
  target: string;
  met: boolean;
}

const made: string[] = [];
function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

function payload(version: string): Record<string, unknown> {
  const base = JSON.parse(readFileSync(join(EXAMPLES, 'strategy.json'), 'utf8')) as Record<string, unknown>;
  return { ...base, version };
}

/**
 * Extends a store whose HISTORY holds two real publishes (A then B) to `total` entries: rollback
 * to A, publish B again, … each entry sealed and linked, committing to the files the real
 * publishes committed to. Writes HISTORY.json and CURRENT.json directly (no lock: a bench fixture).
 */
export function extendHistory(deployDir: string, total: number): void {
  const historyPath = join(deployDir, 'HISTORY.json');
  const history = JSON.parse(readFileSync(historyPath, 'utf8')) as HistoryEntry[];
  const [a, b] = history.filter((entry) => entry.action === 'publish');
  if (!a || !b || history.length !== 2) throw new Error('extendHistory needs a store with exactly two publishes');
  const base = Date.parse(b.ts);
  for (let seq = history.length + 1; seq <= total; seq += 1) {
    const back = seq % 2 === 1; // odd: roll back to A, even: publish B again
    const source = back ? a : b;
    const commitments = commitmentsOf(source);
    const last = history[history.length - 1];
    history.push(
      sealEntry({
        seq,
        action: back ? 'rollback' : 'publish',
        manifest_hash: source.manifest_hash,
        from_hash: back ? b.manifest_hash : a.manifest_hash,
        actor: back ? 'carol' : 'bob',
        note: back ? 'synthetic rollback' : 'synthetic publish',
        ts: new Date(base + seq * 1000).toISOString(),
        ...(source.strategy ? { strategy: source.strategy } : {}),
        ...(commitments ? { stable_hash: commitments.stable_hash, payload_hash: commitments.payload_hash, evidence: commitments.evidence } : {}),
        prev: last.hash,
      }),
    );
  }
  const current = deriveCurrent(history, replay(history).stack);
  writeFileSync(historyPath, prettyJson(history));
  writeFileSync(join(deployDir, 'CURRENT.json'), prettyJson(current));
  for (const name of ['HISTORY.checkpoint.json', '.pending.json']) if (existsSync(join(deployDir, name))) unlinkSync(join(deployDir, name));
}

/** A service over a fresh pool and deploy dir whose HISTORY has `entries` entries. */
export async function releaseWithHistory(entries: number, root = temp('qraft-bench-release-')): Promise<ReleaseService> {
  const service = new ReleaseService({ poolRoot: join(root, 'pool'), deployDir: join(root, 'deploy') });
  const a = await service.propose(payload('1.0.0'), { proposed_by: 'alice' });
  const b = await service.propose(payload('1.1.0'), { proposed_by: 'alice' });
  await service.approveAndPublish({ hash: a.manifest_hash, approver: 'bob' });
  await service.approveAndPublish({ hash: b.manifest_hash, approver: 'bob' });
  if (entries > 2) extendHistory(join(root, 'deploy'), entries);
  return service;
}

async function minMs(runs: number, fn: () => Promise<unknown> | unknown, before?: () => Promise<unknown> | unknown): Promise<number> {
  let best = Infinity;
  for (let run = 0; run < runs; run += 1) {
    await before?.();
    const start = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

export interface GrowthRow {
  entries: number;
  publish: number;
  rollback: number;
  verify: number;
  current: number;
  history: number;
}

/** ms per op (min of `runs`) at one history length. */
export async function growthAt(entries: number, runs = 5): Promise<GrowthRow> {
  const service = await releaseWithHistory(entries);
  let version = 0;
  let next = '';
  // Each publish is a fresh candidate (a new stable manifest); each rollback undoes it.
  const publish = await minMs(
    runs,
    () => service.approveAndPublish({ hash: next, approver: 'bob' }),
    async () => {
      next = (await service.propose(payload(`9.0.${version++}`), { proposed_by: 'alice' })).manifest_hash;
    },
  );
  // Measure rollback: publish a fresh one first (untimed), then time the rollback.
  const rollback = await minMs(
    runs,
    () => service.rollback({ actor: 'carol' }),
    async () => {
      const hash = (await service.propose(payload(`9.1.${version++}`), { proposed_by: 'alice' })).manifest_hash;
      await service.approveAndPublish({ hash, approver: 'bob' });
    },
  );
  const verify = await minMs(runs, async () => {
    const report = await service.verify();
    if (!report.ok) throw new Error(`verify failed: ${report.problems[0]}`);
  });
  const current = await minMs(runs, () => service.current());
  const history = await minMs(runs, () => service.history());
  return { entries, publish, rollback, verify, current, history };
}

function cliWorkspace(): string {
  const ws = temp('qraft-bench-cli-');
  cpSync(EXAMPLES, ws, { recursive: true, filter: (src) => !src.includes(join(EXAMPLES, 'artifacts')) });
  writeFileSync(join(ws, 'qraft.config.json'), JSON.stringify({ approval: { require_precheck: false, require_canary: 'never', recheck: 'none' } }));
  return ws;
}

function cli(args: string[], cwd: string): void {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`qraft ${args.join(' ')} failed: ${run.stderr}`);
}

/** The CLI's approve-and-publish, end to end (a process per run), at `entries` HISTORY entries. */
export async function cliPublishAt(entries: number, runs = 5): Promise<number> {
  const ws = cliWorkspace();
  await releaseWithHistory(entries, join(ws, 'artifacts'));
  // The CLI's default layout: artifacts/pool and artifacts/deploy.
  let version = 0;
  let next = '';
  return minMs(
    runs,
    () => cli(['deploy', 'approve-and-publish', '--hash', next, '--approver', 'bob'], ws),
    async () => {
      const service = new ReleaseService({ poolRoot: join(ws, 'artifacts', 'pool'), deployDir: join(ws, 'artifacts', 'deploy') });
      next = (await service.propose(payload(`9.2.${version++}`), { proposed_by: 'alice' })).manifest_hash;
    },
  );
}

/** pool.list() at `count` candidates: without the index (removed before each run) and with it. */
export async function poolListAt(count: number, runs = 7): Promise<{ cold: number; indexed: number }> {
  const root = temp('qraft-bench-pool-');
  const pool = new StrategyPool(join(root, 'pool'));
  for (let i = 0; i < count; i += 1) pool.propose(payload(`1.0.${i}`), { proposed_by: 'alice' });
  const indexPath = join(pool.root, 'index.json');
  const cold = await minMs(runs, () => pool.list(), () => rmSync(indexPath, { force: true }));
  pool.list();
  const indexed = await minMs(runs, () => pool.list());
  if (pool.list().candidates.length !== count) throw new Error('pool.list() lost candidates');
  return { cold, indexed };
}

export async function releaseBenchmarks(options: { sizes?: number[]; runs?: number; log?: (line: string) => void } = {}): Promise<BenchRow[]> {
  const sizes = options.sizes ?? [10, 1_000, 10_000, 100_000];
  const runs = options.runs ?? 5;
  const log = options.log ?? (() => undefined);
  const rows: BenchRow[] = [];
  try {
    const growth: GrowthRow[] = [];
    for (const size of sizes) {
      const row = await growthAt(size, size >= 100_000 ? Math.min(runs, 3) : runs);
      growth.push(row);
      log(`  ${size} entries: publish ${fmt(row.publish)} ms, rollback ${fmt(row.rollback)} ms, verify ${fmt(row.verify)} ms, current ${fmt(row.current)} ms, history ${fmt(row.history)} ms`);
    }
    for (const row of growth) {
      const big = row.entries >= 100_000;
      rows.push({ what: `release publish, in process, ${row.entries} HISTORY entries`, figure: `${fmt(row.publish)} ms`, target: big ? '≤ 500 ms' : '—', met: !big || row.publish <= 500 });
      rows.push({ what: `release rollback, in process, ${row.entries} HISTORY entries`, figure: `${fmt(row.rollback)} ms`, target: '—', met: true });
      rows.push({ what: `release verify, in process, ${row.entries} HISTORY entries`, figure: `${fmt(row.verify)} ms`, target: big ? '≤ 400 ms' : '—', met: !big || row.verify <= 400 });
      rows.push({ what: `release current / history read, ${row.entries} HISTORY entries`, figure: `${fmt(row.current)} / ${fmt(row.history)} ms`, target: '—', met: true });
    }
    if (existsSync(CLI)) {
      const small = await cliPublishAt(10, runs);
      const large = await cliPublishAt(10_000, runs);
      log(`  CLI approve-and-publish: ${fmt(small)} ms at 10 entries, ${fmt(large)} ms at 10k`);
      rows.push({ what: 'CLI approve-and-publish end to end, 10k vs 10 HISTORY entries', figure: `${fmt(large)} vs ${fmt(small)} ms (${(large / small).toFixed(2)}×)`, target: '≤ 1.3×', met: large / small <= 1.3 });
    } else {
      rows.push({ what: 'CLI approve-and-publish end to end, 10k vs 10 HISTORY entries', figure: 'not run (dist/cli.js missing: npm run build)', target: '≤ 1.3×', met: false });
    }
    const list = await poolListAt(1_000);
    log(`  pool.list() at 1,000 candidates: ${fmt(list.cold)} ms without the index, ${fmt(list.indexed)} ms with it`);
    rows.push({ what: 'pool.list(), 1,000 candidates, without / with the index', figure: `${fmt(list.cold)} / ${fmt(list.indexed)} ms`, target: '≤ 10 ms with the index', met: list.indexed <= 10 });
    (releaseBenchmarks as { growth?: GrowthRow[] }).growth = growth;
  } finally {
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The README's growth table: ms per op at each history length. */
export function growthTable(growth: readonly GrowthRow[]): string {
  const head = '| HISTORY entries | publish | rollback | verify | current | history |\n|---|---|---|---|---|---|';
  return [head, ...growth.map((row) => `| ${row.entries.toLocaleString('en-US')} | ${fmt(row.publish)} | ${fmt(row.rollback)} | ${fmt(row.verify)} | ${fmt(row.current)} | ${fmt(row.history)} |`)].join('\n');
}

if (require.main === module) {
  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
  releaseBenchmarks({ sizes: sizes.length ? sizes : undefined, log: (line) => console.log(line) })
    .then((rows) => {
      console.log('\n| what | figure | target | met |\n|---|---|---|---|');
      for (const row of rows) console.log(`| ${row.what} | ${row.figure} | ${row.target} | ${row.met ? 'yes' : 'NO'} |`);
      const growth = (releaseBenchmarks as { growth?: GrowthRow[] }).growth;
      if (growth) console.log(`\n${growthTable(growth)}`);
    })
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
