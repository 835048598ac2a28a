/**
 * The release store contract: what every back end (the file store, PostgreSQL) must do the same.
 * A back end's test file calls describeStoreContract with a factory for a fresh, empty store; the
 * suite drives it through ReleaseService (the shared policy, chain and signatures) and through the
 * ReleaseStore interface directly. Not a test file itself (no `.test.ts`): it has no back end.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { precheckFiles } from '../../src/core/evidence/runFiles';
import { type SavedReport, saveReport } from '../../src/core/evidence/reports/store';
import { loadConfig } from '../../src/core/release/config';
import { type ReleasePolicy, ReleaseService } from '../../src/core/release/service';
import { makeProposal } from '../../src/core/release/store/proposal';
import type { ReleaseStore } from '../../src/core/release/store/types';
import { InputError, RefusedError } from '../../src/core/shared/errors';
import { cleanupTempDirs, exampleWorkspace, readJson, strategyPayload, tempDir } from '../support/fixtures';

export interface StoreFixture {
  /** A fresh, empty store. */
  store: ReleaseStore;
  /** Another client of the same store (its own object and connections), as a second process would have. */
  another(): Promise<ReleaseStore>;
  /**
   * Rewrites HISTORY entry `seq`'s note in place, behind the store's back (a file edited, a row
   * updated by hand), without resealing it: verify must then report the entry.
   */
  rewriteEntryNote(seq: number, note: string): Promise<void>;
  /** Everything the store holds, as one comparable value (files and their bytes, rows): a dry run must not change it. */
  fingerprint(): Promise<unknown>;
  /** Closes what the fixture opened and removes what it made. */
  cleanup(): Promise<void>;
}

const isRefusal = (kind: string) => (err: unknown) => err instanceof RefusedError && err.refusal.kind === kind;

export function describeStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`release store contract: ${name}`, function () {
    this.timeout(120_000);
    let fixture: StoreFixture;
    let opened: ReleaseStore[] = [];
    /** A service over the fixture's store (or another client), staging in its own temp folder. */
    const service = (options: { store?: ReleaseStore; reportsDir?: string; policy?: Partial<ReleasePolicy>; now?: () => Date } = {}) =>
      new ReleaseService({ poolRoot: join(tempDir(), 'pool'), store: options.store ?? fixture.store, reportsDir: options.reportsDir, policy: options.policy, now: options.now });

    beforeEach(async () => {
      fixture = await makeStore();
      opened = [];
    });
    afterEach(async () => {
      for (const store of opened) await store.close();
      await fixture.cleanup();
    });
    after(cleanupTempDirs);

    describe('pool', () => {
      it('propose names a candidate by its content: the same payload and metadata again is the same candidate (created: false)', async () => {
        const release = service();
        const first = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
        assert.equal(first.created, true);
        assert.match(first.manifest_hash, /^[0-9a-f]{64}$/);
        const again = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
        assert.equal(again.created, false);
        assert.equal(again.manifest_hash, first.manifest_hash);
        assert.deepEqual(again.manifest, first.manifest, 'the first proposal\'s manifest stands');
        // The hash is the shared content address, whatever the back end.
        const expected = makeProposal(strategyPayload('1.0.0'), { proposed_by: 'alice' }, [], new Map(), undefined, new Date()).manifest_hash;
        assert.equal(first.manifest_hash, expected);
        const other = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'bob' });
        assert.notEqual(other.manifest_hash, first.manifest_hash);
        const listing = await release.listPool();
        assert.deepEqual(listing.candidates.map((listed) => listed.manifest.manifest_hash).sort(), [first.manifest_hash, other.manifest_hash].sort());
        assert.deepEqual(listing.problems, []);
      });

      it('candidate, resolve and hasCandidate read back what was proposed; an unknown hash is bad input', async () => {
        const { store } = fixture;
        const release = service();
        const { manifest_hash } = await release.propose(strategyPayload('1.0.0', { note: 'x' }), { proposed_by: 'alice', description: 'first' });
        const candidate = await store.candidate(manifest_hash);
        assert.deepEqual(candidate.payload, strategyPayload('1.0.0', { note: 'x' }));
        assert.equal(candidate.metadata.description, 'first');
        assert.equal(candidate.stable, undefined);
        assert.equal(await store.resolve(manifest_hash.slice(0, 10)), manifest_hash);
        assert.equal(await store.hasCandidate(manifest_hash), true);
        assert.equal(await store.hasCandidate('0'.repeat(64)), false);
        await assert.rejects(store.resolve('0'.repeat(12)), (err: unknown) => err instanceof InputError);
        await assert.rejects(release.show('0'.repeat(12)), (err: unknown) => err instanceof InputError);
        assert.equal(typeof store.candidateLocation(manifest_hash), 'string');
      });

      it('propose refuses evidence smuggled in metadata and an invalid payload, writing nothing', async () => {
        const release = service();
        await assert.rejects(release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice', precheck: { passed: true } }), (err: unknown) => err instanceof InputError && /evidence is never taken from metadata/.test(err.message));
        await assert.rejects(release.propose({ version: '1' }, { proposed_by: 'alice' }), (err: unknown) => err instanceof InputError);
        assert.deepEqual((await release.listPool()).candidates, []);
      });

      it('list, show and reject: a rejected candidate leaves the lists, keeps its first rejection, and is never approved, forced or not', async () => {
        const release = service();
        const kept = (await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' })).manifest_hash;
        const dropped = (await release.propose(strategyPayload('2.0.0'), { proposed_by: 'alice' })).manifest_hash;
        await assert.rejects(release.reject({ hash: dropped, actor: 'carol', note: ' ' }), (err: unknown) => err instanceof InputError);
        const rejected = await release.reject({ hash: dropped.slice(0, 12), actor: 'carol', note: 'overfits' });
        assert.equal(rejected.created, true);
        assert.equal(rejected.rejection.rejected_by, 'carol');
        const again = await release.reject({ hash: dropped, actor: 'dave', note: 'other reason' });
        assert.equal(again.created, false);
        assert.equal(again.rejection.rejected_by, 'carol');
        const listing = await release.listPool();
        assert.deepEqual(listing.candidates.map((listed) => listed.manifest.manifest_hash), [kept]);
        assert.deepEqual(listing.rejected?.map((listed) => listed.manifest.manifest_hash), [dropped]);
        assert.equal(listing.rejected?.[0].rejection?.note, 'overfits');
        const shown = await release.show(dropped);
        assert.equal(shown.status, 'rejected');
        assert.equal(shown.rejection?.rejected_by, 'carol');
        await assert.rejects(release.approveAndPublish({ hash: dropped, approver: 'bob', force: true, note: 'please' }), isRefusal('approval'));
        assert.equal(await release.current(), null);
        // A stable version cannot be rejected.
        await release.approveAndPublish({ hash: kept, approver: 'bob' });
        await assert.rejects(release.reject({ hash: kept, actor: 'carol', note: 'late' }), isRefusal('rejection'));
      });

      it('lineage: the first proposal\'s stands; one proposed without gets the later one\'s', async () => {
        const { store } = fixture;
        const release = service();
        const lineage = { commit: 'a'.repeat(40), path: 'strategy.json', dirty: false };
        const bare = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
        assert.equal(await store.lineage(bare.manifest_hash), undefined);
        const added = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' }, { lineage });
        assert.deepEqual(added.lineage, lineage);
        const later = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' }, { lineage: { ...lineage, dirty: true } });
        assert.deepEqual(later.lineage, lineage);
        assert.deepEqual(await store.lineage(bare.manifest_hash), lineage);
        assert.deepEqual((await release.show(bare.manifest_hash)).lineage, lineage);
      });
    });

    describe('evidence', () => {
      let ws: string;
      let saved: SavedReport;
      before(async function () {
        this.timeout(300_000);
        ws = exampleWorkspace();
        const { config } = loadConfig({ root: ws });
        saved = await precheckFiles({ strategyPath: join(ws, 'strategy.json'), pricesPath: join(ws, 'prices', 'SPY.csv'), config, reportsDir: join(ws, 'artifacts', 'reports'), engine: 'builtin', workspaceRoot: ws });
      });

      it('propose attaches the newest reports of the payload, re-hashed on reading; show, commitments and the publish entry name them', async () => {
        const { store } = fixture;
        const reportsDir = join(tempDir(), 'reports');
        saveReport(reportsDir, saved.report);
        const release = service({ reportsDir });
        const proposed = await release.propose(readJson(join(ws, 'strategy.json')), { proposed_by: 'alice' });
        assert.deepEqual(proposed.evidence.map((item) => item.report_hash), [saved.report_hash]);
        const folder = await store.evidence(proposed.manifest_hash);
        assert.deepEqual(folder.reports.map((item) => item.report_hash), [saved.report_hash]);
        assert.deepEqual(folder.reports[0].report, saved.report);
        assert.deepEqual(folder.problems, []);
        assert.deepEqual((await store.candidateCommitments(proposed.manifest_hash)).evidence, [saved.report_hash]);
        const listed = (await release.listPool()).candidates[0];
        assert.equal(listed.evidence.precheck?.passed, saved.report.kind === 'qraft.precheck' && saved.report.passed);
        const shown = await release.show(proposed.manifest_hash);
        assert.deepEqual(shown.evidence.map((item) => item.report_hash), [saved.report_hash]);
        // Proposing again adds nothing twice.
        const again = await release.propose(readJson(join(ws, 'strategy.json')), { proposed_by: 'alice' });
        assert.equal(again.created, false);
        assert.equal((await store.evidence(proposed.manifest_hash)).reports.length, 1);
        const published = await release.approveAndPublish({ hash: proposed.manifest_hash, approver: 'bob' });
        assert.deepEqual(published.entry.evidence, [saved.report_hash]);
        assert.equal(published.entry.payload_hash, (await store.candidateCommitments(proposed.manifest_hash)).payload_hash);
        assert.equal((await release.verify()).ok, true);
      });

      it('a report on another strategy is refused as evidence', async () => {
        const release = service();
        const report = saved;
        assert.throws(() => makeProposal(strategyPayload('9.9.9'), { proposed_by: 'alice' }, [report], new Map(), undefined, new Date()), (err: unknown) => err instanceof InputError && /another strategy/.test(err.message));
        assert.deepEqual((await release.listPool()).candidates, []);
      });
    });

    describe('deploy', () => {
      it('approve-and-publish writes the stable manifest, the HISTORY entry and CURRENT together; verify passes', async () => {
        const { store } = fixture;
        const release = service();
        const a = (await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' })).manifest_hash;
        assert.equal(await release.current(), null);
        assert.deepEqual(await release.history(), []);
        const published = await release.approveAndPublish({ hash: a.slice(0, 8), approver: 'bob', note: 'go' });
        assert.equal(published.entry.seq, 1);
        assert.equal(published.entry.prev, null);
        assert.equal(published.entry.action, 'publish');
        assert.equal(published.current.manifest_hash, a);
        assert.equal(published.head, published.entry.hash);
        assert.equal(published.stable.approved_by, 'bob');
        // All three are visible to a reader now, in this client and another.
        const stable = await store.stable(a);
        assert.equal(stable?.approved_by, 'bob');
        assert.equal(published.entry.stable_hash, await store.stableHash(a));
        const other = await fixture.another();
        opened.push(other);
        const state = await other.readDeploy();
        assert.equal(state.current?.manifest_hash, a);
        assert.equal(state.length, 1);
        assert.equal(state.head?.hash, published.head);
        assert.equal((await service({ store: other }).show(a)).status, 'current');
        const verified = await release.verify({ expectHead: published.head });
        assert.deepEqual(verified.problems, []);
        assert.equal(verified.ok, true);
        assert.equal(verified.entries, 1);
        // Publishing CURRENT again is refused; a second version chains on.
        await assert.rejects(release.approveAndPublish({ hash: a, approver: 'bob' }), isRefusal('already_current'));
        const b = (await release.propose(strategyPayload('2.0.0'), { proposed_by: 'alice' })).manifest_hash;
        const second = await release.approveAndPublish({ hash: b, approver: 'bob' });
        assert.equal(second.entry.seq, 2);
        assert.equal(second.entry.prev, published.head);
        assert.equal(second.entry.from_hash, a);
        const listing = await release.listPool();
        assert.deepEqual(listing.stable.map((manifest) => manifest.manifest_hash), [b, a]);
      });

      it('rollback returns to the previous version (or a named one), recorded as an entry; nothing to return to is refused', async () => {
        const release = service();
        await assert.rejects(release.rollback({ actor: 'carol' }), isRefusal('rollback'));
        const hashes: string[] = [];
        for (const version of ['1.0.0', '2.0.0', '3.0.0']) {
          const { manifest_hash } = await release.propose(strategyPayload(version), { proposed_by: 'alice' });
          await release.approveAndPublish({ hash: manifest_hash, approver: 'bob' });
          hashes.push(manifest_hash);
        }
        const back = await release.rollback({ actor: 'carol', note: 'bad fills' });
        assert.equal(back.entry.action, 'rollback');
        assert.equal(back.current.manifest_hash, hashes[1]);
        assert.equal((await release.rollbackTarget()).manifest_hash, hashes[0]);
        await assert.rejects(release.rollback({ actor: 'carol', to: hashes[2] }), isRefusal('rollback'));
        const named = await release.rollback({ actor: 'carol', to: hashes[0].slice(0, 10) });
        assert.equal(named.current.manifest_hash, hashes[0]);
        assert.equal(named.entry.seq, 5);
        await assert.rejects(release.rollback({ actor: 'carol' }), isRefusal('rollback'));
        const history = await release.history();
        assert.deepEqual(history.map((entry) => entry.action), ['publish', 'publish', 'publish', 'rollback', 'rollback']);
        // A version published again after a rollback keeps its first approval.
        const again = await release.approveAndPublish({ hash: hashes[2], approver: 'dave' });
        assert.equal(again.stable.approved_by, 'bob');
        assert.equal((await release.verify()).ok, true);
      });

      it('verify reports an entry rewritten behind the store\'s back, and every write refuses until it is repaired', async () => {
        const release = service();
        for (const version of ['1.0.0', '2.0.0']) {
          const { manifest_hash } = await release.propose(strategyPayload(version), { proposed_by: 'alice' });
          await release.approveAndPublish({ hash: manifest_hash, approver: 'bob' });
        }
        await fixture.rewriteEntryNote(1, 'rewritten');
        const report = await release.verify();
        assert.equal(report.ok, false);
        assert.ok(report.problems.some((problem) => /entry 1 was altered/.test(problem)), report.problems.join('\n'));
        const c = (await release.propose(strategyPayload('3.0.0'), { proposed_by: 'alice' })).manifest_hash;
        await assert.rejects(release.approveAndPublish({ hash: c, approver: 'bob' }), isRefusal('integrity'));
        await assert.rejects(release.rollback({ actor: 'carol' }), isRefusal('integrity'));
      });

      it('a dry run checks everything, returns the entry it would write, and changes nothing', async () => {
        const release = service();
        const a = (await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' })).manifest_hash;
        let before = await fixture.fingerprint();
        const dry = await release.approveAndPublish({ hash: a, approver: 'bob', dryRun: true });
        assert.equal(dry.dry_run, true);
        assert.equal(dry.entry.seq, 1);
        assert.equal(dry.current.manifest_hash, a);
        assert.equal(dry.stable.approved_by, 'bob');
        assert.deepEqual(await fixture.fingerprint(), before);
        assert.equal(await release.current(), null);
        assert.equal(await fixture.store.stable(a), undefined);
        const b = (await release.propose(strategyPayload('2.0.0'), { proposed_by: 'alice' })).manifest_hash;
        await release.approveAndPublish({ hash: a, approver: 'bob' });
        await release.approveAndPublish({ hash: b, approver: 'bob' });
        before = await fixture.fingerprint();
        const dryBack = await release.rollback({ actor: 'carol', dryRun: true });
        assert.equal(dryBack.dry_run, true);
        assert.equal(dryBack.current.manifest_hash, a);
        assert.deepEqual(await fixture.fingerprint(), before);
        assert.equal((await release.current())?.manifest_hash, b);
        // A refused dry run is refused as the write would be.
        await assert.rejects(release.approveAndPublish({ hash: b, approver: 'bob', dryRun: true }), isRefusal('already_current'));
      });

      it('concurrent publishes and rollbacks from separate clients lose nothing: one linear chain that verifies', async () => {
        const clients = [fixture.store];
        for (let i = 0; i < 3; i += 1) {
          const other = await fixture.another();
          opened.push(other);
          clients.push(other);
        }
        const hashes: string[] = [];
        const seed = service();
        for (let i = 0; i < 8; i += 1) hashes.push((await seed.propose(strategyPayload(`1.0.${i}`), { proposed_by: 'alice' })).manifest_hash);
        const results = await Promise.allSettled(hashes.map((hash, i) => service({ store: clients[i % clients.length] }).approveAndPublish({ hash, approver: 'bob', note: `n${i}` })));
        const failed = results.filter((result) => result.status === 'rejected');
        assert.deepEqual(failed, [], 'every publish of a distinct version succeeds');
        const history = await seed.history();
        assert.equal(history.length, hashes.length);
        assert.deepEqual(history.map((entry) => entry.seq), hashes.map((_, i) => i + 1));
        assert.deepEqual(new Set(history.map((entry) => entry.manifest_hash)), new Set(hashes));
        for (let i = 1; i < history.length; i += 1) {
          assert.equal(history[i].prev, history[i - 1].hash);
          assert.equal(history[i].from_hash, history[i - 1].manifest_hash);
        }
        // Rollbacks racing each other: each one that succeeds is an entry, and the chain still verifies.
        const rollbacks = await Promise.allSettled(clients.map((client) => service({ store: client }).rollback({ actor: 'carol' })));
        const done = rollbacks.filter((result) => result.status === 'fulfilled').length;
        assert.ok(done >= 1);
        assert.equal((await seed.history()).length, hashes.length + done);
        const report = await seed.verify();
        assert.deepEqual(report.problems, []);
        assert.equal((await seed.current())?.manifest_hash, (await seed.store.readDeploy()).stack.at(-1)?.manifest_hash);
      });

      it('the same candidate approved by two clients at once is published once; the other is refused as already CURRENT', async () => {
        const other = await fixture.another();
        opened.push(other);
        const a = (await service().propose(strategyPayload('1.0.0'), { proposed_by: 'alice' })).manifest_hash;
        const results = await Promise.allSettled([service().approveAndPublish({ hash: a, approver: 'bob' }), service({ store: other }).approveAndPublish({ hash: a, approver: 'carol' })]);
        assert.equal(results.filter((result) => result.status === 'fulfilled').length, 1);
        const refused = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
        assert.ok(isRefusal('already_current')(refused.reason), String(refused.reason));
        assert.equal((await service().history()).length, 1);
        assert.equal((await service().verify()).ok, true);
      });
    });

    describe('policy and signatures (shared code over the store)', () => {
      it('forbid_self_approval refuses the proposer; a forced approval with a note is recorded as forced', async () => {
        const release = service({ policy: { forbidSelfApproval: true } });
        const a = (await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' })).manifest_hash;
        await assert.rejects(release.approveAndPublish({ hash: a, approver: 'Alice ' }), isRefusal('approval'));
        const forced = await release.approveAndPublish({ hash: a, approver: 'alice', force: true, note: 'on call, alone' });
        assert.equal(forced.entry.forced, true);
        assert.deepEqual(forced.entry.overridden, ['self_approval']);
        assert.equal(forced.stable.forced, true);
        assert.equal((await release.verify()).ok, true);
      });

      it('a signed approval is verified against allowed_signers; require_signatures refuses an unsigned one', async function () {
        if (spawnSync('ssh-keygen', ['-?']).error) this.skip();
        const dir = tempDir();
        mkdirSync(dir, { recursive: true });
        const key = join(dir, 'bob');
        assert.equal(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob', '-f', key]).status, 0);
        const allowed = join(dir, 'allowed_signers');
        writeFileSync(allowed, `bob ${spawnSync('cat', [`${key}.pub`]).stdout.toString().trim()}\n`);
        const release = service({ policy: { requireSignatures: true, allowedSigners: allowed } });
        const a = (await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' })).manifest_hash;
        await assert.rejects(release.approveAndPublish({ hash: a, approver: 'bob' }), isRefusal('signature'));
        const signed = await release.approveAndPublish({ hash: a, approver: 'bob', signKey: key });
        assert.ok(signed.entry.signature);
        const report = await release.verify();
        assert.deepEqual(report.problems, []);
        assert.deepEqual(report.signatures, { signed: 1, verified: 1 });
        assert.deepEqual(release.entrySignature((await release.history())[0]), { status: 'verified', principal: 'bob' });
      });
    });

    describe('lifetime', () => {
      it('watch returns a subscription that can be disposed twice; close can be called twice', async () => {
        const other = await fixture.another();
        const subscription = other.watch(() => undefined);
        subscription.dispose();
        subscription.dispose();
        await other.close();
        await other.close();
      });
    });
  });
}
