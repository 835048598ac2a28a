import { strict as assert } from 'node:assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { CHECKPOINT_FILE, type Checkpoint, chainFromCheckpoint } from '../../src/core/release/deploy/checkpoint';
import { entryHash, sealEntry } from '../../src/core/release/deploy/history';
import type { HistoryEntry } from '../../src/core/release/deploy/schemas';
import { DeployStore } from '../../src/core/release/deploy/store';
import { RefusedError } from '../../src/core/shared/errors';
import { prettyJson } from '../../src/core/shared/json';
import { cleanupTempDirs, readJson, tempDir } from '../support/fixtures';
import { join } from 'node:path';

const HASHES = ['a', 'b', 'c', 'd'].map((c) => c.repeat(64));

function clock(): () => Date {
  let tick = Date.parse('2025-01-01T00:00:00Z');
  return () => new Date((tick += 1000));
}

/** Publishes A, B, C, rolls back, publishes D: the same operations on every store. */
async function build(dir: string, removeCheckpointEachStep = false): Promise<DeployStore> {
  const store = new DeployStore(dir, clock());
  const drop = () => removeCheckpointEachStep && rmSync(join(dir, CHECKPOINT_FILE), { force: true });
  for (const hash of HASHES.slice(0, 3)) {
    await store.publish({ manifest_hash: hash, actor: 'bob', note: `publish ${hash[0]}`, strategy: { name: 's', version: hash[0] } });
    drop();
  }
  await store.rollback({ actor: 'carol', note: 'back' });
  drop();
  await store.publish({ manifest_hash: HASHES[3], actor: 'bob', note: 'publish d' });
  drop();
  return store;
}

const checkpointOf = (store: DeployStore) => readJson<Checkpoint>(join(store.dir, CHECKPOINT_FILE));

describe('HISTORY.checkpoint.json', () => {
  afterEach(cleanupTempDirs);

  it('is written by every write, and the files are byte-identical with and without it', async () => {
    const withIt = await build(tempDir());
    const without = await build(tempDir(), true);
    assert.equal(readFileSync(withIt.historyPath, 'utf8'), readFileSync(without.historyPath, 'utf8'));
    assert.equal(readFileSync(withIt.currentPath, 'utf8'), readFileSync(without.currentPath, 'utf8'));
    // HISTORY stays the seed's JSON array, as prettyJson writes it.
    assert.equal(readFileSync(withIt.historyPath, 'utf8'), prettyJson(readJson(withIt.historyPath)));
    const checkpoint = checkpointOf(withIt);
    const history = readJson<HistoryEntry[]>(withIt.historyPath);
    assert.equal(checkpoint.entries, history.length);
    assert.equal(checkpoint.head, history.at(-1)?.hash);
    const a = await withIt.read();
    const b = await without.read();
    assert.deepEqual({ stack: a.stack, current: a.current, history: a.history }, { stack: b.stack, current: b.current, history: b.history });
    assert.deepEqual(await withIt.verify(), await without.verify());
  });

  for (const [what, tamper] of [
    ['a wrong head', (c: Checkpoint) => ({ ...c, head: 'e'.repeat(64) })],
    ['a wrong count', (c: Checkpoint) => ({ ...c, entries: c.entries - 1 })],
    ['a wrong length', (c: Checkpoint) => ({ ...c, bytes: c.bytes - 1 })],
    ['a wrong prefix hash', (c: Checkpoint) => ({ ...c, prefix_sha256: 'f'.repeat(64) })],
    ['a stack whose top is not what the head made live', (c: Checkpoint) => ({ ...c, stack: c.stack.slice(0, 1) })],
  ] as const) {
    it(`with ${what} is not used: the full chain is verified, with the same results`, async () => {
      const store = await build(tempDir());
      const history = readFileSync(store.historyPath);
      const checkpoint = checkpointOf(store);
      assert.ok(chainFromCheckpoint(JSON.stringify(checkpoint), history), 'the genuine checkpoint vouches for HISTORY');
      const tampered = tamper(checkpoint);
      writeFileSync(join(store.dir, CHECKPOINT_FILE), JSON.stringify(tampered));
      assert.equal(chainFromCheckpoint(JSON.stringify(tampered), history), undefined);
      const reference = await build(tempDir(), true);
      assert.deepEqual((await store.read()).stack, (await reference.read()).stack);
      assert.deepEqual(await store.verify(), await reference.verify());
    });
  }

  it('a truncated HISTORY (last entry dropped) does not match the checkpoint; the full path is taken', async () => {
    const store = await build(tempDir());
    const history = readJson<HistoryEntry[]>(store.historyPath);
    writeFileSync(store.historyPath, prettyJson(history.slice(0, -1)));
    assert.equal(chainFromCheckpoint(readFileSync(join(store.dir, CHECKPOINT_FILE), 'utf8'), readFileSync(store.historyPath)), undefined);
    // CURRENT still names the dropped entry's state: refused, as without a checkpoint.
    await assert.rejects(store.read(), (err: unknown) => err instanceof RefusedError && /replays to/.test(err.message));
    assert.equal((await store.verify()).ok, false);
  });

  it('an edited entry in the checkpointed prefix is caught: the prefix no longer hashes to the checkpoint', async () => {
    const store = await build(tempDir());
    const history = readJson<HistoryEntry[]>(store.historyPath);
    history[1].actor = 'mallory';
    writeFileSync(store.historyPath, prettyJson(history));
    const report = await store.verify();
    assert.equal(report.ok, false);
    assert.match(report.problems.join('\n'), /entry 2 was altered/);
    await assert.rejects(store.publish({ manifest_hash: HASHES[0], actor: 'x', note: '' }), /failed verification .*entry 2 was altered/);
  });

  it('an appended tail is verified entry by entry: a tail that does not link is refused', async () => {
    const store = await build(tempDir());
    const history = readJson<HistoryEntry[]>(store.historyPath);
    const last = history.at(-1) as HistoryEntry;
    // A well-sealed entry that links to the wrong entry, appended as the store would write it.
    const forged = sealEntry({ seq: last.seq + 1, action: 'publish', manifest_hash: HASHES[0], from_hash: last.manifest_hash, actor: 'm', note: '', ts: last.ts, prev: history[0].hash });
    assert.equal(forged.hash, entryHash(forged));
    writeFileSync(store.historyPath, prettyJson([...history, forged]));
    assert.equal(chainFromCheckpoint(readFileSync(join(store.dir, CHECKPOINT_FILE), 'utf8'), readFileSync(store.historyPath)), undefined);
    const report = await store.verify();
    assert.equal(report.ok, false);
    assert.match(report.problems.join('\n'), /entry 6 does not link/);
  });

  it('a tail written by a writer that left the checkpoint behind is taken from the checkpoint', async () => {
    const store = await build(tempDir());
    const old = readFileSync(join(store.dir, CHECKPOINT_FILE), 'utf8');
    await store.rollback({ actor: 'carol', note: 'again' });
    writeFileSync(join(store.dir, CHECKPOINT_FILE), old);
    const chain = chainFromCheckpoint(old, readFileSync(store.historyPath));
    assert.ok(chain);
    assert.equal(chain.count, readJson<HistoryEntry[]>(store.historyPath).length);
    const reference = await build(tempDir(), true);
    await reference.rollback({ actor: 'carol', note: 'again' });
    assert.deepEqual(await store.verify(), await reference.verify());
  });
});
