import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryHash, replay } from '../../src/core/release/deploy/history';
import type { HistoryEntry } from '../../src/core/release/deploy/schemas';
import { DeployStore } from '../../src/core/release/deploy/store';
import { RefusedError } from '../../src/core/shared/errors';
import { cleanupTempDirs, readJson, snapshot, tempDir } from '../support/fixtures';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

function clock(): () => Date {
  let tick = Date.parse('2025-01-01T00:00:00Z');
  return () => new Date((tick += 1000));
}

async function storeWith(...hashes: string[]): Promise<DeployStore> {
  const store = new DeployStore(tempDir(), clock());
  for (const hash of hashes) await store.publish({ manifest_hash: hash, actor: 'bob', note: `publish ${hash[0]}`, strategy: { name: 's', version: hash[0] } });
  return store;
}

async function rejects(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof RefusedError && pattern.test(err.message));
}

describe('deploy store', () => {
  afterEach(cleanupTempDirs);

  it('keeps CURRENT.json, HISTORY.json and the .pending.json journal in its directory', () => {
    const dir = tempDir();
    const store = new DeployStore(dir);
    assert.deepEqual([store.currentPath, store.historyPath, store.pendingPath], [join(dir, 'CURRENT.json'), join(dir, 'HISTORY.json'), join(dir, '.pending.json')]);
  });

  it('publish writes CURRENT and a hash-chained HISTORY entry', async () => {
    const store = await storeWith(A, B);
    const history = readJson<HistoryEntry[]>(store.historyPath);
    assert.equal(history.length, 2);
    assert.deepEqual(
      history.map((e) => [e.seq, e.action, e.manifest_hash, e.from_hash]),
      [
        [1, 'publish', A, null],
        [2, 'publish', B, A],
      ],
    );
    assert.equal(history[0].prev, null);
    assert.equal(history[1].prev, history[0].hash);
    for (const entry of history) assert.equal(entry.hash, entryHash(entry));
    const current = readJson<Record<string, unknown>>(store.currentPath);
    assert.equal(current.manifest_hash, B);
    assert.equal(current.approved_by, 'bob');
    assert.equal(current.seq, 2);
    assert.deepEqual(current.strategy, { name: 's', version: 'b' });
  });

  it('publish A, B, C then rollback twice leaves A, and a third rollback is refused', async () => {
    const store = await storeWith(A, B, C);
    const first = await store.rollback({ actor: 'carol', note: 'bad C' });
    assert.equal(first.current.manifest_hash, B);
    assert.equal(first.entry.from_hash, C);
    const second = await store.rollback({ actor: 'carol', note: 'bad B' });
    assert.equal(second.current.manifest_hash, A);
    assert.equal(second.current.approved_by, 'bob');
    assert.equal(second.current.note, 'publish a');
    const before = snapshot(store.dir);
    await rejects(store.rollback({ actor: 'carol', note: '' }), /no earlier version/);
    assert.deepEqual(snapshot(store.dir), before);
    const history = (await store.read()).history;
    assert.deepEqual(history.map((e) => e.action), ['publish', 'publish', 'publish', 'rollback', 'rollback']);
  });

  it('rollback with nothing published is refused', async () => {
    const store = new DeployStore(tempDir());
    await rejects(store.rollback({ actor: 'x', note: '' }), /Nothing has been published/);
  });

  it('rollback --to returns to any version below the top, and refuses the top itself', async () => {
    const store = await storeWith(A, B, C);
    await rejects(store.rollback({ to: C, actor: 'x', note: '' }), /CURRENT already/);
    await rejects(store.rollback({ to: 'd'.repeat(64), actor: 'x', note: '' }), /not an earlier version/);
    const result = await store.rollback({ to: A, actor: 'x', note: 'all the way' });
    assert.equal(result.current.manifest_hash, A);
    assert.deepEqual((await store.read()).stack.map((s) => s.manifest_hash), [A]);
    await rejects(store.rollback({ actor: 'x', note: '' }), /no earlier version/);
  });

  it('publish after rollback pushes again; republishing CURRENT is refused', async () => {
    const store = await storeWith(A, B);
    await store.rollback({ actor: 'x', note: '' });
    await rejects(store.publish({ manifest_hash: A, actor: 'x', note: '' }), /already CURRENT/);
    await store.publish({ manifest_hash: C, actor: 'x', note: '' });
    const state = await store.read();
    assert.deepEqual(state.stack.map((s) => s.manifest_hash), [A, C]);
    assert.equal((await store.rollback({ actor: 'x', note: '' })).current.manifest_hash, A);
  });

  it('a hand-edited HISTORY entry fails verify and makes writes refuse, changing nothing', async () => {
    const store = await storeWith(A, B);
    const history = readJson<HistoryEntry[]>(store.historyPath);
    history[0].actor = 'mallory';
    writeFileSync(store.historyPath, JSON.stringify(history, null, 2));
    const report = await store.verify();
    assert.equal(report.ok, false);
    assert.match(report.problems.join('\n'), /entry 1 was altered/);
    const before = snapshot(store.dir);
    await rejects(store.publish({ manifest_hash: C, actor: 'x', note: '' }), /failed verification .*entry 1 was altered/);
    await rejects(store.rollback({ actor: 'x', note: '' }), /failed verification/);
    await rejects(store.read(), /failed verification/);
    assert.deepEqual(snapshot(store.dir), before);
  });

  it('a resealed but relinked entry still breaks the chain', async () => {
    const store = await storeWith(A, B, C);
    const history = readJson<HistoryEntry[]>(store.historyPath);
    history.splice(1, 1); // drop the middle entry and reseal the rest so each hash matches its content
    history[1].seq = 2;
    history[1].hash = entryHash(history[1]);
    writeFileSync(store.historyPath, JSON.stringify(history));
    const report = await store.verify();
    assert.equal(report.ok, false);
    assert.match(report.problems.join('\n'), /does not link to the entry before it/);
  });

  it('CURRENT that disagrees with the replay is refused', async () => {
    const store = await storeWith(A, B);
    const current = readJson<Record<string, unknown>>(store.currentPath);
    writeFileSync(store.currentPath, JSON.stringify({ ...current, manifest_hash: A }));
    const before = snapshot(store.dir);
    await rejects(store.read(), /says aaaaaaaaaaaa \(seq 2\) is live but HISTORY.json replays to bbbbbbbbbbbb .*refusing to guess/);
    await rejects(store.publish({ manifest_hash: C, actor: 'x', note: '' }), /refusing to guess/);
    assert.equal((await store.verify()).ok, false);
    assert.deepEqual(snapshot(store.dir), before);
  });

  it('a missing or invalid CURRENT with a non-empty HISTORY is refused too', async () => {
    const store = await storeWith(A);
    rmSync(store.currentPath);
    await rejects(store.read(), /says nothing is live but HISTORY.json replays to aaaaaaaaaaaa/);
    writeFileSync(store.currentPath, 'null');
    await rejects(store.read(), /CURRENT.json is invalid/);
  });

  it('corrupt JSON is reported and never overwritten', async () => {
    const store = await storeWith(A);
    writeFileSync(store.historyPath, '[{"seq": 1,');
    const before = readFileSync(store.historyPath, 'utf8');
    await rejects(store.publish({ manifest_hash: B, actor: 'x', note: '' }), /HISTORY.json is not valid JSON \(\w+ at line 1, column \d+\)/);
    assert.equal(readFileSync(store.historyPath, 'utf8'), before);
    const report = await store.verify();
    assert.equal(report.ok, false);
  });

  it('replay flags a rollback to a version that was never below the top', () => {
    const e1 = { seq: 1, action: 'publish' as const, manifest_hash: A, from_hash: null, actor: 'x', note: '', ts: 't', prev: null };
    const first = { ...e1, hash: entryHash(e1) };
    const e2 = { seq: 2, action: 'rollback' as const, manifest_hash: B, from_hash: A, actor: 'x', note: '', ts: 't', prev: first.hash };
    const second = { ...e2, hash: entryHash(e2) };
    assert.match(replay([first, second]).problems.join(), /not an earlier version/);
  });

  it('an interrupted write whose HISTORY committed is completed; one that did not is forgotten', async () => {
    const store = await storeWith(A, B);
    const goodCurrent = readFileSync(store.currentPath, 'utf8');
    // Simulate a writer killed after HISTORY was renamed but before CURRENT: roll CURRENT back by hand
    // and leave the journal the writer would have left.
    const history = readJson<HistoryEntry[]>(store.historyPath);
    const staleStore = await storeWith(A);
    writeFileSync(store.currentPath, readFileSync(staleStore.currentPath));
    writeFileSync(store.pendingPath, JSON.stringify({ entry_hash: history[1].hash, seq: 2 }));
    assert.equal((await store.read()).current?.manifest_hash, B); // readers see the committed state
    assert.equal((await store.verify()).ok, true);
    await store.publish({ manifest_hash: C, actor: 'x', note: '' }); // a writer completes it first
    assert.ok(!existsSync(store.pendingPath));
    assert.equal((await store.verify()).ok, true);
    assert.notEqual(readFileSync(store.currentPath, 'utf8'), goodCurrent);

    // A journal for an entry that never reached HISTORY changes nothing.
    writeFileSync(store.pendingPath, JSON.stringify({ entry_hash: 'e'.repeat(64), seq: 5 }));
    assert.equal((await store.read()).current?.manifest_hash, C);
    await store.rollback({ actor: 'x', note: '' });
    assert.ok(!existsSync(store.pendingPath));
    assert.equal((await store.verify()).ok, true);
  });
});
