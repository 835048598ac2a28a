import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, RefusedError } from '../../src/core/shared/errors';
import type { ApprovalGate } from '../../src/core/release/approval';
import { ReleaseService } from '../../src/core/release/service';
import { cleanupTempDirs, snapshot, strategyPayload, tempDir, fileStore } from '../support/fixtures';

function service(gates: ApprovalGate[] = [], forbidSelfApproval = false): ReleaseService {
  const root = tempDir();
  return new ReleaseService({ poolRoot: join(root, 'pool'), deployDir: join(root, 'deploy'), gates, policy: { forbidSelfApproval } });
}

const refusingGate: ApprovalGate = { name: 'precheck', check: () => [{ code: 'precheck', message: 'no passing precheck is attached', overridable: true }] };

describe('release service', () => {
  afterEach(cleanupTempDirs);

  it('approve-and-publish approves the candidate, makes it CURRENT and records it', async () => {
    const release = service();
    const { manifest_hash } = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
    const result = await release.approveAndPublish({ hash: manifest_hash.slice(0, 8), approver: 'bob', note: 'go' });
    assert.equal(result.current.manifest_hash, manifest_hash);
    assert.equal(result.stable.approved_by, 'bob');
    assert.equal(result.entry.action, 'publish');
    assert.equal(result.entry.forced, undefined);
    assert.deepEqual(result.current.strategy, { name: 'sma-cross-spy', version: '1.0.0' });
    assert.equal((await release.current())?.manifest_hash, manifest_hash);
    assert.equal((await release.history()).length, 1);
  });

  it('a refusing gate blocks approval and changes nothing; --force with a note overrides and is recorded', async () => {
    const release = service([refusingGate]);
    const { manifest_hash } = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
    const before = snapshot(fileStore(release).pool.root);
    await assert.rejects(release.approveAndPublish({ hash: manifest_hash, approver: 'bob' }), (err: unknown) =>
        err instanceof RefusedError &&
        err.refusal.kind === 'approval' &&
        err.refusal.overridable &&
        err.refusal.reasons.map((reason) => reason.code).join() === 'precheck' &&
        /no passing precheck is attached/.test(err.message),
    );
    await assert.rejects(release.approveAndPublish({ hash: manifest_hash, approver: 'bob', force: true }), (err: unknown) => err instanceof InputError && /forced approval needs a note/.test(err.message));
    assert.deepEqual(snapshot(fileStore(release).pool.root), before);
    assert.ok(!existsSync(fileStore(release).deploy.historyPath));
    const forced = await release.approveAndPublish({ hash: manifest_hash, approver: 'bob', force: true, note: 'hotfix, precheck rerun tomorrow' });
    assert.equal(forced.entry.forced, true);
    assert.equal(forced.stable.forced, true);
    assert.deepEqual(forced.overridden, ['precheck']);
  });

  it('the self-approval policy refuses the proposer as approver', async () => {
    const release = service([], true);
    const { manifest_hash } = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
    await assert.rejects(release.approveAndPublish({ hash: manifest_hash, approver: 'alice' }), /self-approval is forbidden/);
    await release.approveAndPublish({ hash: manifest_hash, approver: 'bob' });
  });

  it('publishing the CURRENT version again is refused before the pool is touched', async () => {
    const release = service();
    const { manifest_hash } = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
    await release.approveAndPublish({ hash: manifest_hash, approver: 'bob' });
    await assert.rejects(release.approveAndPublish({ hash: manifest_hash, approver: 'bob' }), /already CURRENT/);
    assert.equal((await release.history()).length, 1);
  });

  it('rollback --to resolves a prefix against the release stack', async () => {
    const release = service();
    const hashes: string[] = [];
    for (const version of ['1', '2', '3']) {
      const { manifest_hash } = await release.propose(strategyPayload(version), { proposed_by: 'alice' });
      await release.approveAndPublish({ hash: manifest_hash, approver: 'bob' });
      hashes.push(manifest_hash);
    }
    const result = await release.rollback({ to: hashes[0].slice(0, 10), actor: 'carol' });
    assert.equal(result.current.manifest_hash, hashes[0]);
    await assert.rejects(release.rollback({ to: '../x', actor: 'carol' }), InputError);
  });

  it('rejects empty or control-character actors', async () => {
    const release = service();
    const { manifest_hash } = await release.propose(strategyPayload('1.0.0'), { proposed_by: 'alice' });
    await assert.rejects(release.approveAndPublish({ hash: manifest_hash, approver: '  ' }), /approver is invalid: must not be empty/);
    await assert.rejects(release.approveAndPublish({ hash: manifest_hash, approver: 'bob\u0007' }), /control characters/);
  });
});
