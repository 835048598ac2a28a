/**
 * The editor's registry views, vscode-free: the Strategy Pool rows' evidence verdicts, lineage and
 * Rejected group, the Show and Diff documents, what Diff with… offers, and the release step a
 * report page offers (Propose, Approve and Publish, published).
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import type { AnyReport } from '../../src/core/evidence/reports/schema';
import type { VersionDiff } from '../../src/core/release/diff';
import { StrategyPool } from '../../src/core/release/pool/pool';
import { FileReleaseStore } from '../../src/core/release/store/file';
import { versionDetails } from '../../src/core/release/registry';
import type { ViewNode } from '../../src/views/models/nodes';
import { POOL_CONTEXT, escapeMarkdown, poolNodes } from '../../src/views/models/pool';
import { diffMarkdown, diffTargets, releaseStep, versionMarkdown } from '../../src/views/models/registry';
import { isHostMessage, isReleaseOffer, isWebviewMessage } from '../../src/views/report/protocol';
import { cleanupTempDirs, strategyPayload, tempDir } from '../support/fixtures';

const NOW = new Date('2026-11-25T12:00:00Z');
const COMMIT = '1234567890abcdef1234567890abcdef12345678';

function rows(nodes: ViewNode[]): ViewNode[] {
  return nodes.flatMap((node) => [node, ...rows(node.children ?? [])]);
}

/** A pool with three candidates: 1.0.0 approved, 1.1.0 waiting (from git, dirty), 1.2.0 rejected. */
function threeVersions() {
  let clock = Date.parse('2026-11-23T12:00:00Z');
  const root = tempDir();
  const store = new FileReleaseStore(join(root, 'pool'), join(root, 'deploy'), { now: () => new Date((clock += 60_000)) });
  const pool = store.pool;
  const approved = pool.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
  const waiting = pool.propose(strategyPayload('1.1.0'), { proposed_by: 'alice', description: 'see [this](command:qraft.reject) $(bug) *now*' }, [], new Map(), { commit: COMMIT, path: 'strategies/sma|x.json', dirty: true });
  const rejected = pool.propose(strategyPayload('1.2.0'), { proposed_by: 'bob' });
  pool.approve(approved.manifest_hash, { approver: 'carol', note: 'ok', forced: false });
  pool.writeRejection(rejected.manifest_hash, { kind: 'qraft.rejection', manifest_hash: rejected.manifest_hash, rejected_by: 'dave', note: 'trades | too often', ts: '2026-11-25T11:00:00.000Z' });
  return { store, pool, approved: approved.manifest_hash, waiting: waiting.manifest_hash, rejected: rejected.manifest_hash };
}

describe('registry views', () => {
  after(cleanupTempDirs);

  describe('Strategy Pool rows', () => {
    it('a candidate shows its evidence verdicts with the engine, and its lineage (short commit, dirty) in the row', () => {
      const { pool, waiting } = threeVersions();
      const listing = pool.list();
      listing.candidates = listing.candidates.map((candidate) =>
        candidate.manifest.manifest_hash === waiting ? { ...candidate, evidence: { precheck: { passed: true, engine: 'nautilus' }, canary: { verdict: 'pass', baseline: 'sma@1.0.0' }, problems: 0 } } : candidate,
      );
      const row = rows(poolNodes(listing, undefined, NOW)).find((node) => node.manifestHash === waiting && node.contextValue === POOL_CONTEXT.candidate);
      assert.ok(row);
      assert.match(row.description ?? '', /^[0-9a-f]{12} · alice · precheck passed \(nautilus\) · canary pass · git 1234567 dirty · 1 d ago$/);
      assert.match(row.tooltip ?? '', /lineage: strategies\/sma\|x\.json at commit 1234567, dirty/);
      const markdown = row.markdownTooltip ?? '';
      assert.match(markdown, /^\*\*sma-cross-spy@1\.1\.0\*\* `[0-9a-f]{12}`/);
      assert.match(markdown, /\$\(pass\) precheck passed \(nautilus\)/);
      assert.match(markdown, /\$\(pulse\) canary pass — against sma@1\.0\.0/);
      assert.match(markdown, /\$\(git-commit\) lineage: `strategies\/sma\\\|x\.json` @ `1234567` — \*\*dirty/);
    });

    it('the Markdown tooltip shows the proposer\'s text as text: no link, no icon, no emphasis', () => {
      const { pool, waiting } = threeVersions();
      const row = rows(poolNodes(pool.list(), undefined, NOW)).find((node) => node.manifestHash === waiting && node.contextValue === POOL_CONTEXT.candidate);
      const markdown = row?.markdownTooltip ?? '';
      assert.ok(markdown.includes('see \\[this\\](command:qraft.reject) \\$(bug) \\*now\\*'), markdown);
      assert.ok(!markdown.includes('[this](command:'));
      assert.equal(escapeMarkdown('a\nb <i>'), 'a b \\<i\\>');
    });

    it('rejected candidates leave the candidate list for a collapsed Rejected group, with who, why and when', () => {
      const { pool, approved, waiting, rejected } = threeVersions();
      const nodes = poolNodes(pool.list(), approved, NOW);
      const [candidates, stable, group] = nodes;
      assert.deepEqual(candidates.children?.map((node) => node.manifestHash), [waiting]);
      assert.deepEqual(stable.children?.map((node) => node.manifestHash), [approved]);
      assert.equal(group.id, 'rejected');
      assert.equal(group.collapsed, true);
      assert.equal(group.description, '1');
      const [row] = group.children ?? [];
      assert.equal(row.manifestHash, rejected);
      assert.equal(row.contextValue, POOL_CONTEXT.rejected);
      assert.match(row.description ?? '', /^[0-9a-f]{12} · rejected by dave · “trades \| too often” · 1 h ago$/);
      assert.match(row.markdownTooltip ?? '', /\$\(circle-slash\) rejected by dave at 2026-11-25T11:00:00\.000Z: trades \\\| too often/);
    });

    it('no Rejected group while nothing was rejected', () => {
      const pool = new StrategyPool(join(tempDir(), 'pool'));
      pool.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
      assert.deepEqual(poolNodes(pool.list(), undefined, NOW).map((node) => node.id), ['candidates', 'stable']);
    });
  });

  describe('Show and Diff documents', () => {
    it('Show: status, hashes, lineage, approval or rejection, evidence, history and the payload, escaped', async () => {
      const { store, approved, waiting, rejected } = threeVersions();
      const shown = versionMarkdown(await versionDetails(store, waiting, approved, []));
      assert.match(shown, /^# sma-cross-spy@1\.1\.0\n/);
      assert.match(shown, /\| Status \| candidate, waiting for approval \|/);
      assert.match(shown, new RegExp(`\\| Manifest hash \\| \`${waiting}\` \\|`));
      assert.match(shown, /\| Lineage \| strategies\/sma\\\|x\.json @ `1234567` dirty \(changed or untracked\) \|/);
      assert.match(shown, /No evidence reports/);
      assert.match(shown, /Never published\./);
      assert.match(shown, /```json\n\{\n {2}"name": "sma-cross-spy",/);
      const refused = versionMarkdown(await versionDetails(store, rejected, approved, []));
      assert.match(refused, /\| Status \| rejected \|/);
      assert.match(refused, /\| Rejected by \| dave at 2026-11-25T11:00:00\.000Z · “trades \\\| too often” \|/);
      assert.match(refused, /\| Lineage \| none \(not proposed from a git work tree\) \|/);
      const live = versionMarkdown(await versionDetails(store, approved, approved, []));
      assert.match(live, /\| Status \| CURRENT \(live\) \|/);
      assert.match(live, /\| Approved by \| carol at .* · “ok” \|/);
    });

    it('Diff: payload changes and metric deltas (b − a), signed; says so when metrics cannot be compared', () => {
      const diff: VersionDiff = {
        a: { manifest_hash: 'a'.repeat(64), strategy: { name: 's', version: '1.0.0' } },
        b: { manifest_hash: 'b'.repeat(64), strategy: { name: 's', version: '1.1.0' } },
        payload: [
          { path: 'signal.fast', change: 'changed', a: 10, b: 20 },
          { path: 'grid', change: 'removed', a: { x: [1] } },
        ],
        metrics: [
          { channel: 'precheck.quick', metric: 'sharpe', a: 1.5, b: 1.25, delta: -0.25 },
          { channel: 'precheck.quick', metric: 'total_return', a: 0.1, b: 0.3, delta: 0.2 },
          { channel: 'precheck.precise', metric: 'cagr', a: 0.0534598, b: 0.0761265, delta: 0.0226667 },
        ],
        reports: [{ kind: 'qraft.precheck', a: 'c'.repeat(64), b: 'd'.repeat(64) }],
      };
      const text = diffMarkdown(diff);
      assert.match(text, /^# Diff: s@1\.0\.0 `aaaaaaaaaaaa` → s@1\.1\.0 `bbbbbbbbbbbb`/);
      assert.match(text, /\| `signal.fast` \| changed \| 10 \| 20 \|/);
      assert.match(text, /\| `grid` \| removed \| \{"x":\\\[1\\\]\} \| — \|/);
      assert.match(text, /\| precheck\.quick \| sharpe \| 1\.5 \| 1\.25 \| -0\.25 \|/);
      assert.match(text, /\| precheck\.quick \| total\\_return \| 0\.1 \| 0\.3 \| \+0\.2 \|/);
      // Four significant digits, beside the payload diff.
      assert.match(text, /\| precheck\.precise \| cagr \| 0\.05346 \| 0\.07613 \| \+0\.02267 \|/);
      assert.match(text, /Compared reports: precheck cccccccccccc → dddddddddddd/);
      const bare = diffMarkdown({ ...diff, payload: [], metrics: [], reports: [] });
      assert.match(bare, /The payloads are identical\./);
      assert.match(bare, /Not compared: each version needs a precheck/);
    });

    it('Diff with… offers every other version: CURRENT first, then waiting, stable and rejected ones', () => {
      const { pool, approved, waiting, rejected } = threeVersions();
      const other = pool.propose(strategyPayload('1.3.0'), { proposed_by: 'erin' }).manifest_hash;
      const picks = diffTargets(pool.list(), waiting, approved);
      assert.deepEqual(picks.map((pick) => pick.hash), [approved, other, rejected]);
      assert.match(picks[0].description, /^[0-9a-f]{12} · CURRENT$/);
      assert.match(picks[2].description, / · rejected$/);
      assert.equal(picks[1].detail.startsWith('proposed by erin at '), true);
    });
  });

  describe('the release step a report page offers', () => {
    const precheck = (passed: boolean, strategy_hash: string) => ({ kind: 'qraft.precheck', passed, strategy_hash }) as unknown as AnyReport;
    const canary = (verdict: string, strategy_hash: string) => ({ kind: 'qraft.canary', verdict, strategy_hash }) as unknown as AnyReport;

    it('Propose for a passed precheck not in the pool; Approve for its waiting candidate; published once approved', () => {
      const { pool, approved, waiting, rejected } = threeVersions();
      const listing = pool.list();
      const strategyOf = (hash: string) => pool.candidate(hash).manifest.strategy_hash;
      assert.deepEqual(releaseStep(precheck(true, 'f'.repeat(64)), listing, approved), { step: 'propose' });
      assert.deepEqual(releaseStep(precheck(true, strategyOf(waiting)), listing, approved), { step: 'approve', hash: waiting });
      assert.deepEqual(releaseStep(canary('marginal', strategyOf(waiting)), listing, approved), { step: 'approve', hash: waiting });
      assert.deepEqual(releaseStep(precheck(true, strategyOf(approved)), listing, approved), { step: 'published', hash: approved, current: true });
      assert.deepEqual(releaseStep(precheck(true, strategyOf(approved)), listing, undefined), { step: 'published', hash: approved, current: false });
      assert.deepEqual(releaseStep(canary('pass', strategyOf(rejected)), listing, approved), { step: 'rejected', hash: rejected });
    });

    it('the protocol: Approve carries no data; the host\'s offer and its update are checked before the page draws them', () => {
      assert.equal(isWebviewMessage({ type: 'approve' }), true);
      assert.equal(isWebviewMessage({ type: 'approve', hash: 'a'.repeat(64) }), false, 'the host picks the candidate, never the page');
      const offer = { step: 'approve', hash: 'abc', label: 'Approve and Publish…', title: 't', status: 's' };
      assert.equal(isReleaseOffer(offer), true);
      assert.equal(isReleaseOffer({ ...offer, step: 'publish-everything' }), false);
      assert.equal(isReleaseOffer({ ...offer, label: 42 }), false);
      assert.equal(isHostMessage({ type: 'release', reportPath: '/r.json', release: offer }), true);
      assert.equal(isHostMessage({ type: 'release', reportPath: '/r.json', release: { step: 'approve', label: ['x'] } }), false);
      assert.equal(isHostMessage({ type: 'release', reportPath: '/r.json' }), false);
    });

    it('nothing for a failed precheck or canary, even when its strategy waits in the pool', () => {
      const { pool, waiting } = threeVersions();
      const strategy = pool.candidate(waiting).manifest.strategy_hash;
      assert.deepEqual(releaseStep(precheck(false, strategy), pool.list(), undefined), { step: 'none' });
      assert.deepEqual(releaseStep(canary('fail', strategy), pool.list(), undefined), { step: 'none' });
      assert.deepEqual(releaseStep(canary('pass', 'f'.repeat(64)), pool.list(), undefined), { step: 'none' });
    });
  });
});
