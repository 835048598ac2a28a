import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { DeployStore } from '../../src/core/release/deploy/store';
import { StrategyPool } from '../../src/core/release/pool/pool';
import { CONTEXT, deploymentNodes } from '../../src/views/models/deployment';
import { strategyLensAnchor } from '../../src/views/models/codeLens';
import { relativeAge } from '../../src/views/models/nodes';
import { POOL_CONTEXT, poolNodes } from '../../src/views/models/pool';
import { cleanupTempDirs, strategyPayload, tempDir } from '../support/fixtures';

const NOW = new Date('2026-11-25T12:00:00Z');
const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);

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
  });

  describe('Strategy Pool tree', () => {
    it('lists waiting candidates with their evidence, and stable versions with CURRENT marked', () => {
      const pool = new StrategyPool(join(tempDir(), 'pool'), () => new Date('2026-11-23T12:00:00Z'));
      const approved = pool.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
      const waiting = pool.propose(strategyPayload('1.1.0'), {
        proposed_by: 'alice',
        precheck: { report_hash: 'd'.repeat(64), passed: true, strategy_hash: 'e'.repeat(64) },
        canary: { report_hash: 'f'.repeat(64), verdict: 'marginal' },
      });
      pool.approve(approved.manifest_hash, { approver: 'bob', note: 'ok', forced: false });
      const [candidates, stable] = poolNodes(pool.list(), approved.manifest_hash, NOW, (hash) => `/pool/${hash}`);
      assert.equal(candidates.children?.length, 1);
      const candidate = candidates.children![0];
      assert.equal(candidate.label, 'sma-cross-spy@1.1.0');
      assert.match(candidate.description ?? '', /^[0-9a-f]{12} · alice · precheck passed · canary marginal · 2 d ago$/);
      assert.equal(candidate.contextValue, POOL_CONTEXT.candidate);
      assert.equal(candidate.manifestHash, waiting.manifest_hash);
      assert.equal(stable.children?.[0].contextValue, POOL_CONTEXT.stable);
      assert.match(stable.children?.[0].description ?? '', /approved by bob · CURRENT/);
    });

    it('is empty for an empty pool and reports unreadable entries', () => {
      assert.deepEqual(poolNodes({ candidates: [], stable: [], problems: [] }, undefined, NOW, String), []);
      const nodes = poolNodes({ candidates: [], stable: [], problems: ['candidates/xyz is not a sha256 name'] }, undefined, NOW, String);
      assert.equal(nodes.at(-1)?.children?.[0].label, 'candidates/xyz is not a sha256 name');
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
