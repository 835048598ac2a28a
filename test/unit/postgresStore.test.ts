// The PostgreSQL store against a real server (test/support/postgres.ts: a throwaway cluster on a
// Unix socket): connection and schema errors in one sentence, the read-only role, serialized
// writers, LISTEN/NOTIFY across clients and across a server restart. The store contract suite
// (storeContract.postgres.test.ts) and the CLI tests (postgresCli.test.ts) cover the rest.
import { strict as assert } from 'node:assert';
import { InputError, RefusedError } from '../../src/core/shared/errors';
import { sha256Hex } from '../../src/core/shared/hashing';
import { prettyJson } from '../../src/core/shared/json';
import { openPostgresStore } from '../../src/core/release/store/postgres';
import { SCHEMA_VERSION, TABLES } from '../../src/core/release/store/postgres/schema';
import { redactUrl } from '../../src/core/release/store/postgres/connection';
import { makeProposal } from '../../src/core/release/store/proposal';
import type { PrepareStoreWrite, ReleaseStore } from '../../src/core/release/store/types';
import { PASSWORD, PASSWORD_ROLE, usePostgres } from '../support/postgres';

/** Proposes a small strategy and returns its hash. */
async function propose(store: ReleaseStore, name: string, version = '1'): Promise<string> {
  const proposal = makeProposal({ name, version, params: { n: name.length } }, { proposed_by: 'alice' }, [], new Map(), undefined, new Date());
  return (await store.propose(proposal)).manifest_hash;
}

/** What the release service's publish prepares: the candidate's commitments and a new stable manifest. */
function approving(hash: string, approver: string): PrepareStoreWrite {
  return async (_state, committed, pool) => {
    const now = await pool.candidateCommitments(hash);
    if (committed?.stable_hash) return { commitments: { stable_hash: committed.stable_hash, ...now } };
    const text = prettyJson({ ...(await pool.candidate(hash)).manifest, kind: 'qraft.stable', approved_by: approver, note: '', ts: new Date().toISOString() });
    const stable_hash = sha256Hex(text);
    return { commitments: { stable_hash, ...now }, stable: { manifest_hash: hash, text, stable_hash } };
  };
}

async function publish(store: ReleaseStore, hash: string, actor = 'bob') {
  return store.publish({ manifest_hash: hash, actor, note: '', prepare: approving(hash, actor) });
}

/** Rejects with an InputError whose message is one sentence, and returns the message. */
async function oneSentence(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => assert.fail('expected an error'),
    (error: unknown) => error,
  );
  assert.ok(err instanceof InputError, `expected an InputError, got ${String(err)}`);
  const message = (err as Error).message;
  assert.equal(message.split(/(?<=[.!?])\s+(?=[A-Z])/).length, 1, `one sentence: ${message}`);
  assert.ok(!message.includes('\n'), message);
  return message;
}

describe('PostgreSQL store (real server)', function () {
  this.timeout(300_000);
  const pg = usePostgres();
  const open: ReleaseStore[] = [];
  const openStore = async (url: string, options?: Parameters<typeof openPostgresStore>[1]) => {
    const store = await openPostgresStore(url, options);
    open.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
  });

  describe('connection and schema errors: one sentence, exit 2 (InputError), never a password', () => {
    it('a URL that is not a PostgreSQL URL', async () => {
      const message = await oneSentence(openPostgresStore('mysql://user:hunter2@db/x'));
      assert.match(message, /not a PostgreSQL URL/);
      assert.ok(!message.includes('hunter2'), message);
    });

    it('an unreachable server (no socket there)', async () => {
      const message = await oneSentence(openPostgresStore('postgresql:///qraft?host=/tmp/qraft-no-such-dir&user=qraft'));
      assert.match(message, /Cannot reach the PostgreSQL server at the Unix socket in \/tmp\/qraft-no-such-dir/);
    });

    it('an unreachable server (TCP, nothing listening)', async () => {
      const message = await oneSentence(openPostgresStore('postgresql://qraft:hunter2@127.0.0.1:1/qraft'));
      assert.match(message, /Cannot reach the PostgreSQL server at 127\.0\.0\.1:1: connection refused/);
      assert.ok(!message.includes('hunter2'), message);
    });

    it('a wrong password, no password, an unknown role, an unknown database', async () => {
      const db = await pg.cluster.createDatabase();
      const wrong = await oneSentence(openPostgresStore(pg.cluster.url(db.name, PASSWORD_ROLE, { password: 'not-the-password' })));
      assert.match(wrong, /refused the password of role "qraft_pw"/);
      assert.ok(!wrong.includes('not-the-password'), wrong);
      const none = await oneSentence(openPostgresStore(pg.cluster.url(db.name, PASSWORD_ROLE)));
      assert.match(none, /wants a password for role "qraft_pw" and none was given/);
      assert.match(await oneSentence(openPostgresStore(pg.cluster.url(db.name, 'nobody'))), /does not let role "nobody" connect/);
      assert.match(await oneSentence(openPostgresStore(pg.cluster.url('no_such_db'))), /has no database "no_such_db"/);
    });

    it('the right password (in the URL, from PGPASSWORD, or given by the editor) connects', async () => {
      const db = await pg.cluster.createDatabase();
      await propose(await openStore(db.url), 'schema-made');
      const fromUrl = await openStore(pg.cluster.url(db.name, PASSWORD_ROLE, { password: PASSWORD }));
      assert.match(fromUrl.location, /password=\*\*\*/);
      assert.ok(!fromUrl.location.includes(PASSWORD));
      await openStore(pg.cluster.url(db.name, PASSWORD_ROLE), { password: PASSWORD });
      const saved = process.env.PGPASSWORD;
      process.env.PGPASSWORD = PASSWORD;
      try {
        await openStore(pg.cluster.url(db.name, PASSWORD_ROLE));
      } finally {
        if (saved === undefined) delete process.env.PGPASSWORD;
        else process.env.PGPASSWORD = saved;
      }
    });

    it('a database without the Qraft schema, for a read-only role; a future schema version, for anyone', async () => {
      const db = await pg.cluster.createDatabase();
      assert.match(await oneSentence(openPostgresStore(db.readerUrl)), new RegExp(`has no Qraft schema \\(expected version ${SCHEMA_VERSION}\\)`));
      // The writer may open it (an empty store); its first write creates the schema.
      const writer = await openStore(db.url);
      assert.equal((await writer.list()).candidates.length, 0);
      assert.deepEqual(await pg.cluster.sql(db.name, `SELECT to_regclass('qraft_schema') AS t`), [{ t: null }]);
      await propose(writer, 'first');
      assert.deepEqual(await pg.cluster.sql(db.name, 'SELECT version FROM qraft_schema'), [{ version: SCHEMA_VERSION }]);
      await pg.cluster.sql(db.name, 'UPDATE qraft_schema SET version = 99');
      assert.match(await oneSentence(openPostgresStore(db.url)), /schema version 99, newer than this Qraft knows \(expected 1\)/);
      assert.match(await oneSentence(openPostgresStore(db.readerUrl)), /schema version 99/);
    });

    it('redacts passwords from every URL it shows', () => {
      assert.equal(redactUrl('postgresql://me:s3cret@db.example:5432/qraft'), 'postgresql://me:***@db.example:5432/qraft');
      assert.equal(redactUrl('postgresql:///qraft?host=/run/pg&password=s3cret&user=me'), 'postgresql:///qraft?host=/run/pg&password=***&user=me');
    });
  });

  describe('the read-only role', () => {
    it('lists, shows, reads the chain and verifies; a write is refused in one sentence and changes nothing', async () => {
      const db = await pg.cluster.createDatabase();
      const writer = await openStore(db.url);
      const a = await propose(writer, 'ro-a');
      const b = await propose(writer, 'ro-b');
      await publish(writer, a);
      await publish(writer, b);
      const reader = await openStore(db.readerUrl);
      const listing = await reader.list();
      assert.deepEqual(listing.stable.map((stable) => stable.manifest_hash).sort(), [a, b].sort());
      assert.equal((await reader.candidate(a)).manifest.manifest_hash, a);
      assert.equal((await reader.readDeploy()).current?.manifest_hash, b);
      const inspected = await reader.inspect();
      assert.equal(inspected.report.ok, true, inspected.report.problems.join('; '));
      assert.equal(inspected.report.entries, 2);
      const message = await oneSentence(reader.propose(makeProposal({ name: 'ro-c', version: '1' }, { proposed_by: 'eve' }, [], new Map(), undefined, new Date())));
      assert.match(message, /Role "qraft_reader" may only read the Qraft store/);
      await oneSentence(reader.rollback({ actor: 'eve', note: '' }));
      assert.equal((await writer.inspect()).report.entries, 2);
      assert.equal((await writer.list()).candidates.length, 2);
    });

    it('needs SELECT only: the role holds no other privilege on any table', async () => {
      const db = await pg.cluster.createDatabase();
      await propose(await openStore(db.url), 'grants');
      const rows = await pg.cluster.sql<{ table_name: string; privilege_type: string }>(
        db.name,
        `SELECT table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = 'qraft_reader' ORDER BY table_name`,
      );
      assert.deepEqual([...new Set(rows.map((row) => row.privilege_type))], ['SELECT']);
      assert.deepEqual([...new Set(rows.map((row) => row.table_name))].sort(), [...TABLES].sort());
    });
  });

  describe('writes', () => {
    it('16 clients publishing and rolling back at once lose nothing; the chain verifies', async () => {
      const db = await pg.cluster.createDatabase();
      const seed = await openStore(db.url);
      const hashes: string[] = [];
      for (let i = 0; i < 16; i += 1) hashes.push(await propose(seed, `concurrent-${i}`));
      const clients = await Promise.all(hashes.map(() => openStore(db.url)));
      const results = await Promise.allSettled(
        clients.map(async (client, i) => {
          await publish(client, hashes[i], `actor-${i}`);
          if (i % 4 === 3) await client.rollback({ actor: `actor-${i}`, note: 'back' });
        }),
      );
      const failed = results.filter((result) => result.status === 'rejected');
      // A rollback may find nothing to roll back to only if it ran first; with 16 publishes before most, none should fail.
      assert.deepEqual(failed.map((result) => String((result as PromiseRejectedResult).reason)), []);
      const inspected = await seed.inspect();
      assert.equal(inspected.report.ok, true, inspected.report.problems.join('; '));
      assert.equal(inspected.report.entries, 16 + 4);
      assert.deepEqual(inspected.history.map((entry) => entry.seq), Array.from({ length: 20 }, (_, i) => i + 1));
      assert.deepEqual(new Set(inspected.history.filter((entry) => entry.action === 'publish').map((entry) => entry.manifest_hash)), new Set(hashes));
    });

    it('a publish of the CURRENT version is refused; a rollback with nothing before it is refused, creating nothing', async () => {
      const db = await pg.cluster.createDatabase();
      const store = await openStore(db.url);
      await assert.rejects(store.rollback({ actor: 'x', note: '' }), (err: unknown) => err instanceof RefusedError && err.refusal.kind === 'rollback');
      assert.deepEqual(await pg.cluster.sql(db.name, `SELECT to_regclass('qraft_history') AS t`), [{ t: null }]);
      const a = await propose(store, 'only');
      await publish(store, a);
      await assert.rejects(publish(store, a), (err: unknown) => err instanceof RefusedError && err.refusal.kind === 'already_current');
      assert.equal((await store.inspect()).report.entries, 1);
    });

    it('a row altered in the database is caught: the chain and the blobs are checked, not trusted', async () => {
      const db = await pg.cluster.createDatabase();
      const store = await openStore(db.url);
      const a = await propose(store, 'tamper');
      const b = await propose(store, 'tamper-next');
      await publish(store, a);
      // This store object has checked the chain (and keeps what it checked): an edit behind its back must still be seen.
      assert.equal((await store.readDeploy()).length, 1);
      await pg.cluster.sql(db.name, `UPDATE qraft_history SET entry = replace(entry, '"note": ""', '"note": "edited"')`);
      await assert.rejects(publish(store, b), (err: unknown) => err instanceof RefusedError && err.refusal.kind === 'integrity');
      const inspected = await store.inspect();
      assert.equal(inspected.report.ok, false);
      assert.match(inspected.report.problems.join('; '), /altered after it was written/);
      await assert.rejects(store.readDeploy(), (err: unknown) => err instanceof RefusedError && err.refusal.kind === 'integrity');
      await pg.cluster.sql(db.name, `UPDATE qraft_blobs SET bytes = convert_to('{"name": "x", "version": "1"}', 'UTF8') WHERE sha256 = (SELECT payload_sha FROM qraft_candidates WHERE manifest_hash = $1)`, [a]);
      await assert.rejects(store.candidate(a), /altered in the database/);
    });
  });

  describe('live updates (LISTEN/NOTIFY)', () => {
    it("one client's write reaches another client's watch within a second", async () => {
      const db = await pg.cluster.createDatabase();
      const writer = await openStore(db.url);
      await propose(writer, 'warm-up');
      const watcher = await openStore(db.readerUrl);
      let calls = 0;
      const changed = new Promise<number>((resolve) => {
        watcher.watch(() => {
          calls += 1;
          resolve(Date.now());
        });
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = Date.now();
      const hash = await propose(writer, 'noticed');
      const seen = await Promise.race([changed, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('no change within 1 s')), 1000))]);
      assert.ok(seen - started <= 1000, `${seen - started} ms`);
      assert.ok(calls >= 1);
      assert.ok((await watcher.hasCandidate(hash)));
    });

    it('after the server restarts, the watcher reconnects, calls onChange once to re-read, and sees later writes', async () => {
      const db = await pg.cluster.createDatabase();
      const writer = await openStore(db.url);
      await propose(writer, 'before-restart');
      const watcher = await openStore(db.url);
      const calls: number[] = [];
      watcher.watch(() => calls.push(Date.now()));
      await new Promise((resolve) => setTimeout(resolve, 300));
      pg.cluster.stopServer('fast');
      await new Promise((resolve) => setTimeout(resolve, 500));
      pg.cluster.startServer();
      const deadline = Date.now() + 15_000;
      while (calls.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(calls.length, 1, 'one onChange after the reconnect');
      // The writer's pooled connections died with the server; its next write reconnects.
      const after = Date.now();
      await propose(writer, 'after-restart');
      const until = Date.now() + 1000;
      while (calls.length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(calls.length, 2, 'the write after the restart is seen');
      assert.ok(calls[1] - after <= 1000);
    });
  });
});
