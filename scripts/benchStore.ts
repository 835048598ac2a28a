/**
 * The PostgreSQL store beside the file store (issue 16): publish and verify latency at 10 and 10k
 * HISTORY entries, and the throughput of 16 concurrent publishers (publishes/s), each back end
 * through the same ReleaseService. The server is the test harness's throwaway cluster
 * (test/support/postgres.ts: a Unix socket, fsync on for the bench, as the file store fsyncs).
 * Histories beyond two real publishes are built synthetically, as scripts/benchRelease.ts does:
 * a valid hash chain of publish/rollback entries between them (verified like any other).
 * Min of several runs; noisy on a shared 2-core machine.
 *
 *   npx tsx scripts/benchStore.ts
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deriveCurrent, replay, sealEntry } from '../src/core/release/deploy/history';
import { type HistoryEntry, commitmentsOf } from '../src/core/release/deploy/schemas';
import { ReleaseService } from '../src/core/release/service';
import { openPostgresStore } from '../src/core/release/store/postgres';
import { storedEntryText } from '../src/core/release/store/postgres/store';
import type { ReleaseStore } from '../src/core/release/store/types';
import { prettyJson } from '../src/core/shared/json';
import { PgCluster } from '../test/support/postgres';
import { extendHistory } from './benchRelease';

const REPO = resolve(__dirname, '..');
const CLI = join(REPO, 'dist', 'cli.js');

export interface StoreBenchRow {
  what: string;
  figure: string;
  target: string;
  met: boolean;
}

function payload(version: string): Record<string, unknown> {
  const base = JSON.parse(readFileSync(join(REPO, 'examples', 'strategy.json'), 'utf8')) as Record<string, unknown>;
  return { ...base, version };
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));

async function minMs(runs: number, fn: () => Promise<unknown>, before?: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let run = 0; run < runs; run += 1) {
    await before?.();
    const start = process.hrtime.bigint();
    await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
  }
  return best;
}

/** Extends a PostgreSQL store holding two real publishes (A then B) to `total` entries, as extendHistory does for files. */
export async function extendPgHistory(cluster: PgCluster, database: string, total: number): Promise<void> {
  const rows = await cluster.sql<{ entry: string }>(database, 'SELECT entry FROM qraft_history ORDER BY seq');
  const history = rows.map((row) => JSON.parse(row.entry) as HistoryEntry);
  const [a, b] = history.filter((entry) => entry.action === 'publish');
  const base = Date.parse(b.ts);
  const added: HistoryEntry[] = [];
  for (let seq = history.length + 1; seq <= total; seq += 1) {
    const back = seq % 2 === 1;
    const source = back ? a : b;
    const commitments = commitmentsOf(source);
    const last = added.at(-1) ?? history[history.length - 1];
    added.push(
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
  const all = [...history, ...added];
  const current = deriveCurrent(all, replay(all).stack);
  await cluster.admin(async (client) => {
    await client.query('BEGIN');
    for (let start = 0; start < added.length; start += 500) {
      const chunk = added.slice(start, start + 500);
      await client.query(
        'INSERT INTO qraft_history (seq, hash, entry) SELECT * FROM unnest($1::int[], $2::text[], $3::text[])',
        [chunk.map((entry) => entry.seq), chunk.map((entry) => entry.hash), chunk.map((entry) => storedEntryText(entry))],
      );
    }
    await client.query('UPDATE qraft_current SET seq = $1, record = $2 WHERE id = 1', [current?.seq, prettyJson(current)]);
    await client.query('COMMIT');
  }, database);
}

interface Backend {
  name: string;
  /** A fresh store with two real publishes, extended to `entries`; and a way to open another client on it. */
  make(entries: number): Promise<{ service: ReleaseService; client: () => Promise<ReleaseService> }>;
}

const made: string[] = [];
const stores: ReleaseStore[] = [];
function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

async function seeded(service: ReleaseService): Promise<void> {
  const a = await service.propose(payload('1.0.0'), { proposed_by: 'alice' });
  const b = await service.propose(payload('1.1.0'), { proposed_by: 'alice' });
  await service.approveAndPublish({ hash: a.manifest_hash, approver: 'bob' });
  await service.approveAndPublish({ hash: b.manifest_hash, approver: 'bob' });
}

function fileBackend(): Backend {
  return {
    name: 'file store',
    async make(entries) {
      const root = temp('qraft-bench-store-');
      const open = async () => new ReleaseService({ poolRoot: join(root, 'pool'), deployDir: join(root, 'deploy') });
      const service = await open();
      await seeded(service);
      if (entries > 2) extendHistory(join(root, 'deploy'), entries);
      return { service, client: open };
    },
  };
}

function postgresBackend(cluster: PgCluster): Backend {
  return {
    name: 'PostgreSQL',
    async make(entries) {
      const db = await cluster.createDatabase('bench');
      const staging = temp('qraft-bench-staging-');
      const open = async () => {
        const store = await openPostgresStore(db.url);
        stores.push(store);
        return new ReleaseService({ poolRoot: staging, store });
      };
      const service = await open();
      await seeded(service);
      if (entries > 2) await extendPgHistory(cluster, db.name, entries);
      return { service, client: open };
    },
  };
}

/** Publish (a fresh candidate each run) and verify, at `entries` entries. */
async function latencyAt(backend: Backend, entries: number, runs: number): Promise<{ publish: number; verify: number }> {
  const { service } = await backend.make(entries);
  let version = 0;
  let next = '';
  const publish = await minMs(
    runs,
    () => service.approveAndPublish({ hash: next, approver: 'bob' }),
    async () => {
      next = (await service.propose(payload(`9.0.${version++}`), { proposed_by: 'alice' })).manifest_hash;
    },
  );
  const verify = await minMs(runs, async () => {
    const report = await service.verify();
    if (!report.ok) throw new Error(`verify failed on the ${backend.name}: ${report.problems[0]}`);
  });
  return { publish, verify };
}

/** 16 clients (each its own service and store: its own connections) publishing `each` fresh candidates at once; publishes/s. */
async function throughput(backend: Backend, publishers = 16, each = 8): Promise<number> {
  const { service, client } = await backend.make(2);
  const hashes: string[][] = [];
  for (let p = 0; p < publishers; p += 1) {
    const mine: string[] = [];
    for (let i = 0; i < each; i += 1) mine.push((await service.propose(payload(`5.${p}.${i}`), { proposed_by: 'alice' })).manifest_hash);
    hashes.push(mine);
  }
  const clients = await Promise.all(hashes.map(() => client()));
  const start = process.hrtime.bigint();
  await Promise.all(
    clients.map(async (publisher, p) => {
      for (const hash of hashes[p]) await publisher.approveAndPublish({ hash, approver: `reviewer-${p}` });
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const report = await service.verify();
  if (!report.ok || report.entries !== 2 + publishers * each) throw new Error(`the ${backend.name} lost publishes: ${report.entries} entries, ${report.problems[0] ?? 'verify ok'}`);
  return (publishers * each) / seconds;
}

/** The CLI's approve-and-publish end to end (a process per run: connect, read, write) on a PostgreSQL store of `entries` entries. */
async function cliPublishOnPostgres(cluster: PgCluster, entries: number, runs: number): Promise<number> {
  const db = await cluster.createDatabase('bench_cli');
  const ws = temp('qraft-bench-cli-pg-');
  cpSync(join(REPO, 'examples'), ws, { recursive: true, filter: (src) => !src.includes(join(REPO, 'examples', 'artifacts')) });
  writeFileSync(join(ws, 'qraft.config.json'), JSON.stringify({ approval: { require_precheck: false, require_canary: 'never', recheck: 'none' } }));
  const store = await openPostgresStore(db.url);
  stores.push(store);
  const service = new ReleaseService({ poolRoot: join(ws, 'artifacts', 'pool'), store });
  await seeded(service);
  if (entries > 2) await extendPgHistory(cluster, db.name, entries);
  let version = 0;
  let next = '';
  return minMs(
    runs,
    async () => {
      const run = spawnSync(process.execPath, [CLI, 'deploy', 'approve-and-publish', '--hash', next, '--approver', 'bob', '--store', db.url], { cwd: ws, encoding: 'utf8' });
      if (run.status !== 0) throw new Error(`approve-and-publish failed: ${run.stderr}`);
    },
    async () => {
      next = (await service.propose(payload(`9.3.${version++}`), { proposed_by: 'alice' })).manifest_hash;
    },
  );
}

export async function storeBenchmarks(options: { runs?: number; log?: (line: string) => void } = {}): Promise<StoreBenchRow[]> {
  const runs = options.runs ?? 5;
  const log = options.log ?? (() => undefined);
  const rows: StoreBenchRow[] = [];
  let cluster: PgCluster | undefined;
  try {
    cluster = await PgCluster.start({ settings: { fsync: 'on', full_page_writes: 'on' } });
    const backends = [fileBackend(), postgresBackend(cluster)];
    const latency: Record<string, Record<number, { publish: number; verify: number }>> = {};
    for (const backend of backends) {
      latency[backend.name] = {};
      for (const entries of [10, 10_000]) {
        const row = await latencyAt(backend, entries, runs);
        latency[backend.name][entries] = row;
        log(`  ${backend.name}, ${entries} entries: publish ${fmt(row.publish)} ms, verify ${fmt(row.verify)} ms`);
      }
    }
    for (const entries of [10, 10_000]) {
      const [f, p] = [latency['file store'][entries], latency.PostgreSQL[entries]];
      rows.push({ what: `store publish, ${entries.toLocaleString('en-US')} HISTORY entries, PostgreSQL vs file store`, figure: `${fmt(p.publish)} vs ${fmt(f.publish)} ms`, target: '—', met: true });
      rows.push({ what: `store verify, ${entries.toLocaleString('en-US')} HISTORY entries, PostgreSQL vs file store`, figure: `${fmt(p.verify)} vs ${fmt(f.verify)} ms`, target: '—', met: true });
    }
    if (existsSync(CLI)) {
      const small = await cliPublishOnPostgres(cluster, 10, runs);
      const large = await cliPublishOnPostgres(cluster, 10_000, runs);
      log(`  PostgreSQL, CLI approve-and-publish end to end: ${fmt(small)} ms at 10 entries, ${fmt(large)} ms at 10k`);
      rows.push({ what: 'CLI approve-and-publish end to end on PostgreSQL, 10 / 10k HISTORY entries', figure: `${fmt(small)} / ${fmt(large)} ms`, target: '—', met: true });
    }
    const rates: Record<string, number> = {};
    for (const backend of backends) {
      rates[backend.name] = await throughput(backend);
      log(`  ${backend.name}: 16 concurrent publishers, ${rates[backend.name].toFixed(1)} publishes/s`);
    }
    rows.push({ what: '16 concurrent publishers, PostgreSQL vs file store', figure: `${rates.PostgreSQL.toFixed(1)} vs ${rates['file store'].toFixed(1)} publishes/s`, target: 'none lost', met: true });
    (storeBenchmarks as { latency?: typeof latency; rates?: typeof rates }).latency = latency;
    (storeBenchmarks as { latency?: typeof latency; rates?: typeof rates }).rates = rates;
  } finally {
    for (const store of stores.splice(0)) await store.close();
    cluster?.dispose();
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (require.main === module) {
  storeBenchmarks({ log: (line) => console.log(line) })
    .then((rows) => {
      console.log('\n| what | figure | target | met |\n|---|---|---|---|');
      for (const row of rows) console.log(`| ${row.what} | ${row.figure} | ${row.target} | ${row.met ? 'yes' : 'NO'} |`);
    })
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
