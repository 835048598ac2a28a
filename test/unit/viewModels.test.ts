import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { DeployStore } from '../../src/core/release/deploy/store';
import { StrategyPool } from '../../src/core/release/pool/pool';
import { CONTEXT, deploymentNodes } from '../../src/views/models/deployment';
import { strategyLensAnchor } from '../../src/views/models/codeLens';
import { type ViewNode, commandTarget, folderNamed, folderRow, relativeAge } from '../../src/views/models/nodes';
import { POOL_CONTEXT, poolNodes } from '../../src/views/models/pool';
import { cleanupTempDirs, strategyPayload, tempDir } from '../support/fixtures';

const NOW = new Date('2026-11-25T12:00:00Z');
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const FOLDER_A = 'file:///work/folder-a';
const FOLDER_B = 'file:///work/folder-b';

/** Every row of a tree, depth first. */
function allRows(nodes: ViewNode[]): ViewNode[] {
  return nodes.flatMap((node) => [node, ...allRows(node.children ?? [])]);
}

describe('view models', () => {
  after(cleanupTempDirs);

  describe('Deployment tree', () => {
    it('is empty (the welcome view shows) before anything is published', async () => {
      const store = new DeployStore(join(tempDir(), 'deploy'));
      assert.deepEqual(deploymentNodes(await store.read(), NOW), []);
    });

    it('shows CURRENT, then HISTORY newest first; only versions below the top offer a rollback', async () => {
      const store = new DeployStore(join(tempDir(), 'deploy'), () => new Date('2026-11-25T11:00:00Z'));
      await store.publish({ manifest_hash: A, actor: 'bob', note: 'first', strategy: { name: 's', version: '1.0.0' } });
      await store.publish({ manifest_hash: B, actor: 'bob', note: '', strategy: { name: 's', version: '1.1.0' } });
      await store.publish({ manifest_hash: C, actor: 'eve', note: '', strategy: { name: 's', version: '1.2.0' } });
      await store.rollback({ actor: 'carol', note: 'too slow' });
      const [current, history] = deploymentNodes(await store.read(), NOW);
      assert.equal(current.label, 'CURRENT  s@1.1.0');
      assert.equal(current.description, 'bbbbbbbbbbbb · bob · 1 h ago');
      assert.equal(current.contextValue, CONTEXT.current);
      assert.deepEqual(history.children?.map((node) => node.label), ['#4 rollback s@1.1.0', '#3 publish s@1.2.0', '#2 publish s@1.1.0', '#1 publish s@1.0.0']);
      assert.equal(history.children?.[0].description, 'cccccccccccc → bbbbbbbbbbbb · carol · “too slow” · 1 h ago');
      // Stack is [A, B]: A (below the top) can be rolled back to; B is CURRENT; C was popped.
      assert.deepEqual(history.children?.map((node) => node.contextValue), [CONTEXT.history, CONTEXT.history, CONTEXT.history, CONTEXT.historyRollbackable]);
      assert.equal(history.children?.[3].manifestHash, A);
    });

    it('shows the problem of an unreadable deploy dir instead of guessing', () => {
      const [node] = deploymentNodes({ error: 'HISTORY.json is not valid JSON (line 1, column 2).' }, NOW);
      assert.equal(node.contextValue, CONTEXT.problem);
      assert.match(node.description ?? '', /not valid JSON/);
    });

    it('words the problem of a database store as the release store’s, not the deploy files’', () => {
      const error = 'Cannot reach the PostgreSQL server at db.example:5432: connection refused.';
      const [db] = deploymentNodes({ error, store: 'postgres' }, NOW);
      assert.equal(db.label, 'The release store needs attention');
      assert.equal(db.description, error);
      assert.equal(db.contextValue, CONTEXT.problem);
      assert.equal(deploymentNodes({ error: 'broken', store: 'file' }, NOW)[0].label, 'Deploy files need attention');
    });
  });

  describe('Strategy Pool tree', () => {
    it('lists waiting candidates with their evidence, and stable versions with CURRENT marked', () => {
      const pool = new StrategyPool(join(tempDir(), 'pool'), () => new Date('2026-11-23T12:00:00Z'));
      const approved = pool.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
      const waiting = pool.propose(strategyPayload('1.1.0'), { proposed_by: 'alice' });
      pool.approve(approved.manifest_hash, { approver: 'bob', note: 'ok', forced: false });
      // The evidence summary as the pool lists it (its reading of evidence files is tested in approval.test.ts).
      const listing = pool.list();
      listing.candidates = listing.candidates.map((candidate) =>
        candidate.manifest.manifest_hash === waiting.manifest_hash
          ? { ...candidate, evidence: { precheck: { passed: true, engine: 'builtin', fallback: 'nautilus_trader is not importable by python3' }, canary: { verdict: 'marginal' }, problems: 0 } }
          : candidate,
      );
      const [candidates, stable] = poolNodes(listing, approved.manifest_hash, NOW);
      assert.equal(candidates.children?.length, 1);
      const candidate = candidates.children![0];
      assert.equal(candidate.label, 'sma-cross-spy@1.1.0');
      assert.match(candidate.description ?? '', /^[0-9a-f]{12} · alice · precheck passed \(builtin\) · built-in fallback · canary marginal · 2 d ago$/);
      assert.match(candidate.tooltip ?? '', /⚠ precise ran on the built-in engine: nautilus_trader is not importable by python3/);
      assert.equal(candidate.iconColor, 'charts.yellow');
      assert.equal(candidate.contextValue, POOL_CONTEXT.candidate);
      assert.equal(candidate.manifestHash, waiting.manifest_hash);
      assert.equal(stable.children?.[0].contextValue, POOL_CONTEXT.stable);
      assert.match(stable.children?.[0].description ?? '', /approved by bob · CURRENT/);
    });

    it('is empty for an empty pool and reports unreadable entries', () => {
      assert.deepEqual(poolNodes({ candidates: [], stable: [], problems: [] }, undefined, NOW), []);
      const nodes = poolNodes({ candidates: [], stable: [], problems: ['candidates/xyz is not a sha256 name'] }, undefined, NOW);
      assert.equal(nodes.at(-1)?.children?.[0].label, 'candidates/xyz is not a sha256 name');
    });
  });

  describe('rows carry their workspace folder', () => {
    it('every Deployment row, down to each HISTORY entry, carries the folder it was built for', async () => {
      const store = new DeployStore(join(tempDir(), 'deploy'));
      await store.publish({ manifest_hash: A, actor: 'bob', note: '' });
      await store.publish({ manifest_hash: B, actor: 'bob', note: '' });
      const rows = allRows(deploymentNodes(await store.read(), NOW, FOLDER_B));
      assert.equal(rows.length, 4);
      assert.deepEqual(new Set(rows.map((row) => row.folder)), new Set([FOLDER_B]));
      const rollbackable = rows.find((row) => row.contextValue === CONTEXT.historyRollbackable);
      assert.deepEqual(commandTarget(rollbackable), { hash: A, folder: FOLDER_B });
      assert.equal(deploymentNodes({ error: 'broken' }, NOW, FOLDER_A)[0].folder, FOLDER_A);
    });

    it('every Strategy Pool row, and the argument its click passes, carries the folder', () => {
      const pool = new StrategyPool(join(tempDir(), 'pool'));
      const stable = pool.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' }).manifest_hash;
      const waiting = pool.propose(strategyPayload('1.1.0'), { proposed_by: 'alice' }).manifest_hash;
      pool.approve(stable, { approver: 'bob', note: '' });
      const rows = allRows(poolNodes(pool.list(), stable, NOW, FOLDER_A));
      assert.deepEqual(new Set(rows.map((row) => row.folder)), new Set([FOLDER_A]));
      const withHash = rows.filter((row) => row.manifestHash);
      assert.deepEqual(withHash.map((row) => commandTarget(row)), [{ hash: waiting, folder: FOLDER_A }, { hash: stable, folder: FOLDER_A }]);
      assert.deepEqual(withHash.map((row) => row.command?.arguments), [[{ manifestHash: waiting, folder: FOLDER_A }], [{ manifestHash: stable, folder: FOLDER_A }]]);
      assert.deepEqual(withHash.map((row) => commandTarget(row.command?.arguments?.[0])), [{ hash: waiting, folder: FOLDER_A }, { hash: stable, folder: FOLDER_A }]);
    });

    it('without a folder (one model call, as in the tests above) rows carry none', () => {
      const pool = new StrategyPool(join(tempDir(), 'pool'));
      pool.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
      const rows = allRows(poolNodes(pool.list(), undefined, NOW));
      assert.ok(rows.every((row) => !('folder' in row)));
      assert.ok(rows.every((row) => !row.command || !('folder' in (row.command.arguments?.[0] as object))));
    });

    it('a folder row prefixes ids all the way down, so two folders never share an id', async () => {
      const store = new DeployStore(join(tempDir(), 'deploy'));
      await store.publish({ manifest_hash: A, actor: 'bob', note: '' });
      const state = await store.read();
      const groups = [
        folderRow({ index: 0, name: 'a', uri: FOLDER_A }, deploymentNodes(state, NOW, FOLDER_A)),
        folderRow({ index: 1, name: 'b', uri: FOLDER_B }, deploymentNodes(state, NOW, FOLDER_B)),
      ];
      assert.deepEqual(groups.map((group) => [group.id, group.label, group.folder]), [['folder-0', 'a', FOLDER_A], ['folder-1', 'b', FOLDER_B]]);
      const ids = allRows(groups).map((row) => row.id);
      assert.equal(new Set(ids).size, ids.length, ids.join(', '));
      assert.deepEqual(allRows(groups[1].children ?? []).map((row) => row.id), ['1-current', '1-history', '1-history-1']);
      assert.deepEqual(allRows(groups[1].children ?? []).map((row) => row.folder), [FOLDER_B, FOLDER_B, FOLDER_B]);
    });
  });

  describe('command arguments', () => {
    it('a row or its click argument names its hash and folder; a string names a hash; anything else nothing', () => {
      assert.deepEqual(commandTarget({ id: 'x', label: 'x', manifestHash: A, folder: FOLDER_B }), { hash: A, folder: FOLDER_B });
      assert.deepEqual(commandTarget({ manifestHash: A, folder: FOLDER_A }), { hash: A, folder: FOLDER_A });
      assert.deepEqual(commandTarget({ manifestHash: A }), { hash: A });
      assert.deepEqual(commandTarget(A), { hash: A });
      assert.deepEqual(commandTarget({ id: 'folder-0', label: 'a', folder: FOLDER_A }), { folder: FOLDER_A });
      for (const nothing of [undefined, null, 42, {}, [], { manifestHash: 7, folder: {} }]) assert.deepEqual(commandTarget(nothing), {}, JSON.stringify(nothing));
    });

    it('a folder is found among the open ones by its URI string, or not at all', () => {
      const open = [{ uri: { toString: () => FOLDER_A } }, { uri: { toString: () => FOLDER_B } }];
      assert.equal(folderNamed(open, FOLDER_B), open[1]);
      assert.equal(folderNamed(open, 'file:///elsewhere'), undefined);
    });
  });

  describe('code lens anchor', () => {
    it('sits on the top-level "name" property', () => {
      const text = '{\n  "$schema": "x",\n  "name": "sma-cross-spy",\n  "signal": { "name": "inner" }\n}';
      assert.deepEqual(strategyLensAnchor(text), { line: 2, startCharacter: 2, endCharacter: 25 });
    });

    it('falls back to the first non-blank character of broken or nameless JSON', () => {
      assert.deepEqual(strategyLensAnchor('\n\n  {"universe": [}'), { line: 2, startCharacter: 2, endCharacter: 17 });
      assert.deepEqual(strategyLensAnchor(''), { line: 0, startCharacter: 0, endCharacter: 0 });
    });
  });

  it('ages stay short', () => {
    assert.equal(relativeAge('2026-11-25T11:59:30Z', NOW), 'just now');
    assert.equal(relativeAge('2026-11-25T11:45:00Z', NOW), '15 min ago');
    assert.equal(relativeAge('2026-11-20T12:00:00Z', NOW), '5 d ago');
  });
});
