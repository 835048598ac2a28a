import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { precheckFiles } from '../../src/core/evidence/runFiles';
import { jsonDiff, metricDeltas } from '../../src/core/release/diff';
import { gitLineage } from '../../src/core/release/lineage';
import { ReleaseService } from '../../src/core/release/service';
import { openWorkspace } from '../../src/core/release/workspace';
import { InputError, RefusedError } from '../../src/core/shared/errors';
import { cleanupTempDirs, exampleWorkspace, readJson, strategyPayload, tempDir, writeJson, fileStore } from '../support/fixtures';

/** Every path below `dir` (folders too) with its bytes and mtime: a dry run must leave all of it as it was. */
function tree(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (current: string): void => {
    const stat = lstatSync(current);
    const rel = relative(dir, current) || '.';
    if (stat.isDirectory()) {
      found[`${rel}/`] = `${stat.mtimeMs}`;
      for (const name of readdirSync(current)) walk(join(current, name));
    } else found[rel] = `${stat.mtimeMs} ${readFileSync(current).toString('base64')}`;
  };
  walk(dir);
  return found;
}

function service(root = tempDir()): ReleaseService {
  return new ReleaseService({ poolRoot: join(root, 'pool'), deployDir: join(root, 'deploy') });
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();
}

describe('registry: reject, show, diff, dry runs, lineage', () => {
  afterEach(cleanupTempDirs);

  describe('reject', () => {
    it('needs a note, records who, why and when, moves the candidate to `rejected`, and is returned again when repeated', async () => {
      const release = service();
      const { manifest_hash } = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
      const before = tree(fileStore(release).pool.root);
      await assert.rejects(release.reject({ hash: manifest_hash, actor: 'bob', note: '  ' }), (err: unknown) => err instanceof InputError && /needs a note/.test(err.message));
      assert.deepEqual(tree(fileStore(release).pool.root), before);

      const result = await release.reject({ hash: manifest_hash.slice(0, 10), actor: 'bob', note: 'trades too often' });
      assert.equal(result.created, true);
      assert.equal(result.manifest_hash, manifest_hash);
      const file = readJson<Record<string, unknown>>(join(fileStore(release).pool.candidateFiles(manifest_hash).dir, 'rejection.json'));
      assert.deepEqual({ ...file, ts: 'x' }, { kind: 'qraft.rejection', manifest_hash, rejected_by: 'bob', note: 'trades too often', ts: 'x' });

      const listing = await release.listPool();
      assert.deepEqual(listing.candidates, []);
      assert.deepEqual(listing.rejected?.map((listed) => [listed.manifest.manifest_hash, listed.rejection?.rejected_by]), [[manifest_hash, 'bob']]);

      const again = await release.reject({ hash: manifest_hash, actor: 'carol', note: 'another reason' });
      assert.equal(again.created, false);
      assert.equal(again.rejection.rejected_by, 'bob');
    });

    it('approval refuses a rejected candidate with the reason `rejected`, which --force cannot override, and writes nothing', async () => {
      const root = tempDir();
      const release = service(root);
      const { manifest_hash } = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
      await release.reject({ hash: manifest_hash, actor: 'bob', note: 'no' });
      const before = tree(root);
      for (const request of [{}, { force: true, note: 'I insist' }, { dryRun: true }]) {
        await assert.rejects(release.approveAndPublish({ hash: manifest_hash, approver: 'carol', ...request }), (err: unknown) => {
          assert.ok(err instanceof RefusedError);
          assert.equal(err.refusal.kind, 'approval');
          assert.deepEqual(err.refusal.reasons.map((reason) => [reason.code, reason.overridable]), [['rejected', false]]);
          assert.match(err.message, /was rejected by bob/);
          return true;
        });
      }
      assert.deepEqual(tree(root), before);
    });

    it('refuses to reject a stable or CURRENT version', async () => {
      const release = service();
      const first = (await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' })).manifest_hash;
      const second = (await release.propose(strategyPayload('2.0.0'), { proposed_by: 'alice' })).manifest_hash;
      await release.approveAndPublish({ hash: first, approver: 'bob' });
      await assert.rejects(release.reject({ hash: first, actor: 'bob', note: 'x' }), (err: unknown) => err instanceof RefusedError && err.refusal.kind === 'rejection' && /is CURRENT/.test(err.message));
      await release.approveAndPublish({ hash: second, approver: 'bob' });
      await assert.rejects(release.reject({ hash: first, actor: 'bob', note: 'x' }), (err: unknown) => err instanceof RefusedError && /stable version/.test(err.message));
      assert.equal(existsSync(join(fileStore(release).pool.candidateFiles(first).dir, 'rejection.json')), false);
    });

    it('a rejection file that is not a rejection is refused when read, not trusted', async () => {
      const release = service();
      const { manifest_hash } = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
      writeJson(join(fileStore(release).pool.candidateFiles(manifest_hash).dir, 'rejection.json'), { kind: 'qraft.rejection', manifest_hash, rejected_by: 'bob' });
      await assert.rejects(release.show(manifest_hash), /rejection\.json/);
    });
  });

  describe('show', () => {
    it('gives the status, payload, metadata, approval, rejection and the HISTORY entries of a version', async () => {
      const release = service();
      const first = (await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice', description: 'first' })).manifest_hash;
      const second = (await release.propose(strategyPayload('2.0.0'), { proposed_by: 'alice' })).manifest_hash;
      const third = (await release.propose(strategyPayload('3.0.0'), { proposed_by: 'alice' })).manifest_hash;
      let shown = await release.show(first.slice(0, 8));
      assert.equal(shown.status, 'candidate');
      assert.equal(shown.approval, null);
      assert.equal(shown.lineage, null);
      assert.deepEqual(shown.history, []);
      assert.equal((shown.payload as { version: string }).version, '1.0.0');
      assert.equal(shown.metadata.description, 'first');
      await release.approveAndPublish({ hash: first, approver: 'bob', note: 'go' });
      shown = await release.show(first);
      assert.equal(shown.status, 'current');
      assert.deepEqual({ ...shown.approval, ts: 'x' }, { approved_by: 'bob', note: 'go', ts: 'x' });
      await release.approveAndPublish({ hash: second, approver: 'bob' });
      shown = await release.show(first);
      assert.equal(shown.status, 'stable');
      assert.deepEqual(shown.history.map((entry) => [entry.seq, entry.action]), [[1, 'publish'], [2, 'publish']]);
      await release.reject({ hash: third, actor: 'carol', note: 'not now' });
      shown = await release.show(third);
      assert.equal(shown.status, 'rejected');
      assert.equal(shown.rejection?.note, 'not now');
      await assert.rejects(release.show('zz'), InputError);
      await assert.rejects(release.show('0123456789abcdef'), /No manifest 0123456789abcdef/);
    });
  });

  describe('diff', () => {
    it('lists the payload leaves that changed, were added or removed, by path', () => {
      const a = { signal: { type: 'sma_cross', fast: 10, slow: 30 }, universe: ['SPY'], fees: 1 };
      const b = { signal: { type: 'sma_cross', fast: 12, slow: 30 }, universe: ['SPY', 'QQQ'], slippage: 2 };
      assert.deepEqual(jsonDiff(a, b), [
        { path: 'fees', change: 'removed', a: 1 },
        { path: 'signal.fast', change: 'changed', a: 10, b: 12 },
        { path: 'slippage', change: 'added', b: 2 },
        { path: 'universe[1]', change: 'added', b: 'QQQ' },
      ]);
      assert.deepEqual(jsonDiff(a, a), []);
    });

    it('joins the metric rows of both sides (arquero) with b − a, in a\'s order, only where both have them', () => {
      const rows = metricDeltas(
        [
          { channel: 'precheck.quick', metric: 'sharpe', value: 1 },
          { channel: 'precheck.quick', metric: 'cagr', value: 0.1 },
          { channel: 'canary.candidate', metric: 'sharpe', value: 2 },
        ],
        [
          { channel: 'precheck.quick', metric: 'cagr', value: 0.25 },
          { channel: 'precheck.quick', metric: 'sharpe', value: 0.5 },
        ],
      );
      assert.deepEqual(rows, [
        { channel: 'precheck.quick', metric: 'sharpe', a: 1, b: 0.5, delta: -0.5 },
        { channel: 'precheck.quick', metric: 'cagr', a: 0.1, b: 0.25, delta: 0.15 },
      ]);
      assert.deepEqual(metricDeltas([], rows.map((row) => ({ ...row, value: row.a }))), []);
    });

    it('compares two candidates\' payloads and their newest prechecks\' metrics', async () => {
      const ws = exampleWorkspace();
      const workspace = openWorkspace({ root: ws });
      const hashes: string[] = [];
      for (const file of ['strategy.json', 'payload.json']) {
        const saved = await precheckFiles({ strategyPath: join(ws, file), pricesPath: join(ws, 'prices', 'SPY.csv'), config: workspace.config, reportsDir: workspace.reportsDir, engine: 'builtin', workspaceRoot: ws });
        const proposed = await workspace.release.propose(readJson(join(ws, file)), { proposed_by: 'alice' });
        assert.equal(proposed.evidence[0].report_hash, saved.report_hash);
        hashes.push(proposed.manifest_hash);
      }
      const diff = await workspace.release.diff(hashes[0].slice(0, 8), hashes[1]);
      assert.equal(diff.a.manifest_hash, hashes[0]);
      assert.ok(diff.payload.some((change) => change.path === 'version' && change.change === 'changed'));
      assert.ok(diff.payload.some((change) => change.path.startsWith('signal.')), JSON.stringify(diff.payload));
      assert.deepEqual([...new Set(diff.metrics.map((row) => row.channel))], ['precheck.quick', 'precheck.precise']);
      const sharpe = diff.metrics.find((row) => row.channel === 'precheck.precise' && row.metric === 'sharpe');
      assert.ok(sharpe && Math.abs(sharpe.delta - (sharpe.b - sharpe.a)) < 1e-12 && sharpe.a !== sharpe.b);
      assert.deepEqual(diff.reports.map((report) => report.kind), ['qraft.precheck']);
      const self = await workspace.release.diff(hashes[0], hashes[0]);
      assert.deepEqual(self.payload, []);
      assert.ok(self.metrics.every((row) => row.delta === 0));
    });
  });

  describe('dry run', () => {
    it('approve-and-publish and rollback check everything, return the entry they would write, and leave every file, folder and mtime as it was', async () => {
      const root = tempDir();
      const release = service(root);
      const first = (await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' })).manifest_hash;
      const second = (await release.propose(strategyPayload('2.0.0'), { proposed_by: 'alice' })).manifest_hash;

      let before = tree(root);
      const dry = await release.approveAndPublish({ hash: first, approver: 'bob', note: 'first', dryRun: true });
      assert.equal(dry.dry_run, true);
      assert.equal(dry.entry.seq, 1);
      assert.equal(dry.current.manifest_hash, first);
      assert.equal(dry.head, dry.entry.hash);
      assert.equal(dry.stable.approved_by, 'bob');
      assert.deepEqual(tree(root), before);
      assert.equal(existsSync(join(root, 'deploy')), false);

      const real = await release.approveAndPublish({ hash: first, approver: 'bob', note: 'first' });
      assert.equal(real.dry_run, undefined);
      assert.equal(real.entry.seq, 1);
      await release.approveAndPublish({ hash: second, approver: 'bob' });

      before = tree(root);
      const dryBack = await release.rollback({ actor: 'carol', note: 'back', dryRun: true });
      assert.equal(dryBack.dry_run, true);
      assert.equal(dryBack.entry.action, 'rollback');
      assert.equal(dryBack.current.manifest_hash, first);
      assert.equal(dryBack.entry.prev, (await release.history()).at(-1)?.hash);
      assert.deepEqual(tree(root), before);

      // A dry run refuses what the write would refuse: a changed payload of the version returned to.
      const payload = fileStore(release).pool.candidateFiles(first).payload;
      writeFileSync(payload, readFileSync(payload, 'utf8').replace('1.0.0', '1.0.1'));
      before = tree(root);
      await assert.rejects(release.rollback({ actor: 'carol', dryRun: true }), RefusedError);
      assert.deepEqual(tree(root), before);
      assert.equal((await release.history()).length, 2);
    });

    it('a rollback with nothing to return to creates no deploy dir', async () => {
      const root = tempDir();
      const release = service(root);
      for (const dryRun of [false, true]) {
        await assert.rejects(release.rollback({ actor: 'carol', dryRun }), (err: unknown) => err instanceof RefusedError && err.refusal.kind === 'rollback');
        assert.equal(existsSync(join(root, 'deploy')), false);
      }
      assert.deepEqual(readdirSync(root), []);
    });
  });

  describe('lineage', () => {
    it('records the commit, the path in the repository and whether the file is dirty; not part of the manifest hash', async () => {
      const repo = tempDir('qraft-git-');
      git(repo, 'init', '-q');
      const file = writeJson(join(repo, 'sma.json'), strategyPayload('1.0.0'));
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'strategy');
      const head = git(repo, 'rev-parse', 'HEAD');
      assert.deepEqual(gitLineage(file), { commit: head, path: 'sma.json', dirty: false });

      const release = service();
      const clean = await release.propose(readJson(file), { proposed_by: 'alice' }, { source: file });
      assert.deepEqual(clean.lineage, { commit: head, path: 'sma.json', dirty: false });
      assert.deepEqual(readJson(join(clean.dir, 'lineage.json')), clean.lineage);
      assert.deepEqual((await release.listPool()).candidates[0].lineage, clean.lineage);

      // Changed in the work tree: dirty. The same document proposed again is the same candidate, whose first lineage stands.
      writeFileSync(file, readFileSync(file, 'utf8') + '\n');
      assert.deepEqual(gitLineage(file), { commit: head, path: 'sma.json', dirty: true });
      const again = await release.propose(readJson(file), { proposed_by: 'alice' }, { source: file });
      assert.equal(again.manifest_hash, clean.manifest_hash);
      assert.deepEqual(again.lineage, clean.lineage);

      // Not tracked: dirty too (the commit does not hold it).
      const untracked = writeJson(join(repo, 'new.json'), strategyPayload('2.0.0'));
      assert.deepEqual(gitLineage(untracked), { commit: head, path: 'new.json', dirty: true });
    });

    it('is absent outside a git work tree, in one without commits, and for a missing file', async () => {
      const outside = writeJson(join(tempDir(), 'strategy.json'), strategyPayload('1.0.0'));
      assert.equal(gitLineage(outside), undefined);
      const empty = tempDir('qraft-git-');
      git(empty, 'init', '-q');
      assert.equal(gitLineage(writeJson(join(empty, 's.json'), {})), undefined);
      assert.equal(gitLineage(join(empty, 'missing.json')), undefined);
      const release = service();
      const proposed = await release.propose(readJson(outside), { proposed_by: 'alice' }, { source: outside });
      assert.equal(proposed.lineage, undefined);
      assert.equal(existsSync(join(proposed.dir, 'lineage.json')), false);
      assert.equal((await release.show(proposed.manifest_hash)).lineage, null);
    });

    it('proposeFiles records the lineage of the payload file, or of the strategy file staged as the payload', async () => {
      const repo = tempDir('qraft-git-');
      git(repo, 'init', '-q');
      const file = writeJson(join(repo, 'strategy.json'), strategyPayload('1.0.0'));
      const metadata = writeJson(join(repo, 'metadata.json'), { proposed_by: 'alice' });
      git(repo, 'add', '.');
      git(repo, 'commit', '-q', '-m', 'strategy');
      const head = git(repo, 'rev-parse', 'HEAD');
      const release = service();
      assert.deepEqual((await release.proposeFiles(file, metadata)).lineage, { commit: head, path: 'strategy.json', dirty: false });

      const other = service();
      const staged = fileStore(other).pool.stage(strategyPayload('3.0.0'), 'alice', { commit: head, path: 'strategy.json', dirty: true });
      const proposed = await other.proposeFiles(staged.payload, staged.metadata);
      assert.deepEqual(proposed.lineage, { commit: head, path: 'strategy.json', dirty: true });
      assert.deepEqual((await other.show(proposed.manifest_hash)).lineage, proposed.lineage);
    });
  });
});
