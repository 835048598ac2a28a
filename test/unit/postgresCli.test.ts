// The CLI (`node dist/cli.js deploy …`) on a PostgreSQL store, against a real server
// (test/support/postgres.ts): 32 concurrent processes from separate clients, a server killed with
// kill -9 in the middle of a write, exit 2 and one sentence for every connection and schema error,
// the read-only role, export to the file store's layout, and migrate from the examples' file store.
// `npm test` builds before mocha; run alone, build first (npm run build).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, type CliRun, cleanupTempDirs, exampleWorkspace, runCli, runCliAsync, strategyPayload, tempDir, ungatedWorkspace, writeJson } from '../support/fixtures';
import { type TestDatabase, usePostgres } from '../support/postgres';

function json<T = Record<string, unknown>>(run: CliRun): T {
  assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Exit 2 and exactly one line, one sentence, on stderr. */
function exitTwoOneSentence(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 2, `exit ${run.code}: ${run.stderr}${run.stdout}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^qraft: /);
  assert.match(lines[0], pattern);
  assert.equal(lines[0].replace(/^qraft: /, '').split(/(?<=[.!?])\s+(?=[A-Z])/).length, 1, lines[0]);
}

describe('the CLI on a PostgreSQL store (real server)', function () {
  this.timeout(300_000);
  const pg = usePostgres();
  before(function () {
    if (!existsSync(CLI)) this.skip();
  });
  after(() => cleanupTempDirs());

  /** A workspace whose approvals need no evidence, a database, and `qraft deploy …` on it. */
  async function setup(): Promise<{ ws: string; db: TestDatabase; cli: (args: string[], env?: NodeJS.ProcessEnv) => CliRun; cliAsync: (args: string[], env?: NodeJS.ProcessEnv) => ReturnType<typeof runCliAsync> }> {
    const ws = ungatedWorkspace();
    const db = await pg.cluster.createDatabase();
    return {
      ws,
      db,
      cli: (args, env = {}) => runCli(['deploy', ...args, '--store', db.url, '--fmt', 'json'], ws, env),
      cliAsync: (args, env = {}) => runCliAsync(['deploy', ...args, '--store', db.url, '--fmt', 'json'], ws, env),
    };
  }

  function payloadFiles(ws: string, count: number, prefix = 'v'): { payload: string; metadata: string }[] {
    return Array.from({ length: count }, (_, i) => ({
      payload: writeJson(join(ws, `payload-${prefix}${i}.json`), strategyPayload(`${prefix}${i}.0.0`)),
      metadata: writeJson(join(ws, `metadata-${prefix}${i}.json`), { proposed_by: `quant-${i % 4}` }),
    }));
  }

  it('32 concurrent CLI processes (propose, then approve-and-publish, then roll back) lose nothing and the chain verifies', async () => {
    const { ws, cli, cliAsync } = await setup();
    const files = payloadFiles(ws, 32);
    const proposed = await Promise.all(files.map((file) => cliAsync(['propose', '--payload', file.payload, '--metadata', file.metadata])));
    const hashes = proposed.map((run) => json<{ manifest_hash: string }>(run).manifest_hash);
    assert.equal(new Set(hashes).size, 32);
    const published = await Promise.all(hashes.map((hash, i) => cliAsync(['approve-and-publish', '--hash', hash, '--approver', `reviewer-${i}`, '--note', `release ${i}`])));
    const heads = published.map((run) => json<{ head: string; entry: { seq: number } }>(run));
    assert.deepEqual(heads.map((write) => write.entry.seq).sort((a, b) => a - b), Array.from({ length: 32 }, (_, i) => i + 1));
    const rolled = await Promise.all(Array.from({ length: 16 }, (_, i) => cliAsync(['rollback', '--approver', `oncall-${i}`, '--note', 'back one'])));
    for (const run of rolled) json(run);
    const history = json<{ seq: number; action: string; manifest_hash: string; hash: string }[]>(cli(['history', '--order', 'oldest']));
    assert.equal(history.length, 48);
    assert.deepEqual(history.map((entry) => entry.seq), Array.from({ length: 48 }, (_, i) => i + 1));
    const publishes = history.filter((entry) => entry.action === 'publish');
    assert.deepEqual(new Set(publishes.map((entry) => entry.manifest_hash)), new Set(hashes));
    // Every process's entry is in the chain, under the head it printed.
    for (const write of heads) assert.ok(history.some((entry) => entry.hash === write.head));
    // 32 on the stack, 16 rolled back one by one: the 16th publish is live.
    const current = json<{ manifest_hash: string; seq: number }>(cli(['current']));
    assert.equal(current.manifest_hash, publishes[15].manifest_hash);
    assert.equal(current.seq, 48);
    const verify = json<{ ok: boolean; entries: number; head: string }>(cli(['verify']));
    assert.equal(verify.ok, true);
    assert.equal(verify.entries, 48);
    assert.equal(verify.head, history[47].hash);
  });

  it('the server killed (kill -9) in the middle of a publish leaves a consistent store: no partial entry, verify ok after the restart', async () => {
    const { ws, cli, db } = await setup();
    const [first, second] = payloadFiles(ws, 2, 'k');
    const a = json<{ manifest_hash: string }>(cli(['propose', '--payload', first.payload, '--metadata', first.metadata])).manifest_hash;
    const b = json<{ manifest_hash: string }>(cli(['propose', '--payload', second.payload, '--metadata', second.metadata])).manifest_hash;
    json(cli(['approve-and-publish', '--hash', a, '--approver', 'bob']));
    const before = json<{ head: string; entries: number }>(cli(['verify']));

    // A publish that stops right before its COMMIT (the stable manifest, the entry and CURRENT written, not committed).
    const child = spawn(process.execPath, [CLI, 'deploy', 'approve-and-publish', '--hash', b, '--approver', 'bob', '--store', db.url], {
      cwd: ws,
      env: { ...process.env, QRAFT_FAILPOINT: 'postgres:before-commit' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('failpoint postgres:before-commit reached')) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        assert.fail(`the publish never reached its commit: ${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const uncommitted = await pg.cluster.sql<{ n: string }>(db.name, 'SELECT count(*) AS n FROM qraft_history');
    assert.equal(Number(uncommitted[0].n), 1, 'the open transaction is not visible');
    await pg.cluster.kill9();
    child.kill('SIGUSR2');
    const code = await exited;
    assert.equal(code, 2, stderr);
    assert.match(stderr, /The connection to the PostgreSQL server at .* was lost/);

    pg.cluster.startServer();
    const after = json<{ ok: boolean; head: string; entries: number }>(cli(['verify']));
    assert.equal(after.ok, true);
    assert.equal(after.head, before.head);
    assert.equal(after.entries, before.entries);
    const stable = await pg.cluster.sql(db.name, 'SELECT manifest_hash FROM qraft_stable WHERE manifest_hash = $1', [b]);
    assert.deepEqual(stable, [], 'no stable manifest of the publish that did not commit');
    assert.equal(json<{ manifest_hash: string }>(cli(['current'])).manifest_hash, a);
    // The store takes the same publish again, whole.
    json(cli(['approve-and-publish', '--hash', b, '--approver', 'bob']));
    const final = json<{ ok: boolean; entries: number }>(cli(['verify']));
    assert.equal(final.ok, true);
    assert.equal(final.entries, 2);
  });

  it('bad URLs, credentials, an unreachable server, a missing or future schema: exit 2 and one sentence on stderr', async () => {
    const ws = exampleWorkspace();
    const db = await pg.cluster.createDatabase();
    const run = (store: string, args = ['current']) => runCli(['deploy', ...args, '--store', store], ws);
    exitTwoOneSentence(run('postgresql://[::1'), /URL/);
    exitTwoOneSentence(run('mysql://bob:hunter2@db/qraft'), /PostgreSQL/);
    assert.ok(!run('mysql://bob:hunter2@db/qraft').stderr.includes('hunter2'));
    exitTwoOneSentence(run('postgresql:///qraft?host=/tmp/qraft-nowhere&user=qraft'), /Cannot reach the PostgreSQL server/);
    const wrong = run(pg.cluster.url(db.name, 'qraft_pw', { password: 'letmein' }));
    exitTwoOneSentence(wrong, /refused the password of role "qraft_pw"/);
    assert.ok(!wrong.stderr.includes('letmein'), wrong.stderr);
    exitTwoOneSentence(run(pg.cluster.url(db.name, 'qraft_pw')), /wants a password/);
    exitTwoOneSentence(run(pg.cluster.url(db.name, 'mallory')), /does not let role "mallory" connect/);
    exitTwoOneSentence(run(pg.cluster.url('missing_db')), /has no database "missing_db"/);
    exitTwoOneSentence(run(db.readerUrl, ['list']), /has no Qraft schema/);
    // $QRAFT_STORE selects the store as --store does.
    const env = runCli(['deploy', 'verify'], ws, { QRAFT_STORE: db.readerUrl });
    exitTwoOneSentence(env, /has no Qraft schema/);
    const made = runCli(['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json', '--store', db.url], ws);
    assert.equal(made.code, 0, made.stderr);
    await pg.cluster.sql(db.name, 'UPDATE qraft_schema SET version = 7');
    exitTwoOneSentence(run(db.url, ['list']), /schema version 7, newer than this Qraft knows/);
  });

  it('the read-only role lists, shows, reads history and verifies; a write is refused with one sentence', async () => {
    const { ws, cli, db } = await setup();
    const [file] = payloadFiles(ws, 1, 'r');
    const hash = json<{ manifest_hash: string }>(cli(['propose', '--payload', file.payload, '--metadata', file.metadata])).manifest_hash;
    json(cli(['approve-and-publish', '--hash', hash, '--approver', 'bob']));
    const reader = (args: string[]) => runCli(['deploy', ...args, '--store', db.readerUrl, '--fmt', 'json'], ws);
    assert.equal(json<{ current: string }>(reader(['list'])).current, hash);
    assert.equal(json<{ status: string }>(reader(['show', hash.slice(0, 12)])).status, 'current');
    assert.equal(json<unknown[]>(reader(['history'])).length, 1);
    assert.equal(json<{ ok: boolean }>(reader(['verify'])).ok, true);
    const refused = runCli(['deploy', 'rollback', '--approver', 'eve', '--store', db.readerUrl], ws);
    exitTwoOneSentence(refused, /may only read the Qraft store/);
    const propose = runCli(['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json', '--store', db.readerUrl], ws);
    exitTwoOneSentence(propose, /may only read the Qraft store/);
  });

  it('export --to DIR writes the file-store layout: it verifies on its own and is the same store', async () => {
    const { ws, cli } = await setup();
    const files = payloadFiles(ws, 3, 'e');
    const hashes = files.map((file) => json<{ manifest_hash: string }>(cli(['propose', '--payload', file.payload, '--metadata', file.metadata])).manifest_hash);
    json(cli(['approve-and-publish', '--hash', hashes[0], '--approver', 'bob']));
    json(cli(['approve-and-publish', '--hash', hashes[1], '--approver', 'bob']));
    json(cli(['rollback', '--approver', 'carol', '--note', 'back']));
    json(cli(['reject', '--hash', hashes[2], '--approver', 'dave', '--note', 'not now']));
    const pgVerify = json<{ head: string; entries: number }>(cli(['verify']));
    const out = tempDir('qraft-export-');
    const exported = json<{ ok: boolean; head: string; entries: number; candidates: number; problems: string[] }>(cli(['export', '--to', out]));
    assert.equal(exported.ok, true, exported.problems.join('; '));
    assert.equal(exported.head, pgVerify.head);
    assert.equal(exported.candidates, 3);
    // The exported folders are an ordinary file store: the CLI verifies it without the database.
    const fileVerify = json<{ ok: boolean; head: string; entries: number }>(runCli(['deploy', 'verify', '--pool-root', join(out, 'pool'), '--deploy-dir', join(out, 'deploy'), '--fmt', 'json'], ws));
    assert.equal(fileVerify.ok, true);
    assert.equal(fileVerify.head, pgVerify.head);
    assert.equal(fileVerify.entries, 3);
    const history = JSON.parse(readFileSync(join(out, 'deploy', 'HISTORY.json'), 'utf8')) as { hash: string }[];
    assert.deepEqual(history.map((entry) => entry.hash), json<{ hash: string }[]>(cli(['history', '--order', 'oldest'])).map((entry) => entry.hash));
    const listed = json<{ rejected: { manifest: { manifest_hash: string } }[]; current: string }>(runCli(['deploy', 'list', '--pool-root', join(out, 'pool'), '--deploy-dir', join(out, 'deploy'), '--fmt', 'json'], ws));
    assert.deepEqual(listed.rejected.map((item) => item.manifest.manifest_hash), [hashes[2]]);
    assert.equal(listed.current, hashes[0]);
    // An export never writes over a store.
    const again = runCli(['deploy', 'export', '--to', out, '--store', (await pg.cluster.createDatabase()).url], ws);
    exitTwoOneSentence(again, /already exists/);
  });

  it("migrate --from DIR imports the examples' file store (precheck, propose, publish) and verifies the same chain", async function () {
    const ws = exampleWorkspace();
    const file = (args: string[]) => runCli(['deploy', ...args, '--fmt', 'json'], ws);
    json(file(['precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin']));
    const proposed = json<{ manifest_hash: string; evidence: unknown[] }>(file(['propose', '--payload', 'strategy.json', '--metadata', 'metadata.json']));
    assert.ok(proposed.evidence.length >= 1);
    json(file(['approve-and-publish', '--hash', proposed.manifest_hash, '--approver', 'bob', '--note', 'first release']));
    const fileVerify = json<{ ok: boolean; head: string }>(file(['verify']));
    assert.equal(fileVerify.ok, true);

    const db = await pg.cluster.createDatabase();
    const migrated = json<{ ok: boolean; head: string; entries: number; candidates: number; problems: string[]; imported: boolean }>(
      runCli(['deploy', 'migrate', '--from', ws, '--store', db.url, '--fmt', 'json'], ws),
    );
    assert.equal(migrated.ok, true, migrated.problems.join('; '));
    assert.equal(migrated.head, fileVerify.head);
    assert.equal(migrated.entries, 1);
    assert.equal(migrated.imported, true);
    const onPg = (args: string[]) => runCli(['deploy', ...args, '--store', db.url, '--fmt', 'json'], tempDir('qraft-elsewhere-'));
    const pgVerify = json<{ ok: boolean; head: string }>(onPg(['verify']));
    assert.equal(pgVerify.ok, true);
    assert.equal(pgVerify.head, fileVerify.head);
    const shown = json<{ status: string; evidence: { kind: string }[] }>(onPg(['show', proposed.manifest_hash]));
    assert.equal(shown.status, 'current');
    assert.ok(shown.evidence.some((item) => item.kind === 'qraft.precheck'));
    // Again: the same chain is there already; nothing is imported twice.
    const again = json<{ ok: boolean; imported: boolean }>(runCli(['deploy', 'migrate', '--from', ws, '--store', db.url, '--fmt', 'json'], ws));
    assert.deepEqual([again.ok, again.imported], [true, false]);
  });
});
