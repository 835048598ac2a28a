import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { replay, deriveCurrent } from '../../src/core/release/deploy/history';
import { CurrentSchema, HistorySchema } from '../../src/core/release/deploy/schemas';
import { DeployStore } from '../../src/core/release/deploy/store';
import { ReleaseService } from '../../src/core/release/service';
import { REPO_ROOT, allowUngatedApproval, cleanupTempDirs, runCli, runCliAsync, strategyPayload, tempDir, fileStore } from '../support/fixtures';

/** Proposes and approves `count` versions straight through the core; returns their hashes. */
function seedPool(poolRoot: string, count: number): string[] {
  const release = new ReleaseService({ poolRoot, deployDir: join(poolRoot, '..', 'unused') });
  return Array.from({ length: count }, (_, index) => {
    const { manifest_hash } = fileStore(release).pool.propose(strategyPayload(`1.0.${index}`), { proposed_by: 'alice' });
    fileStore(release).pool.approve(manifest_hash, { approver: 'bob', note: '' });
    return manifest_hash;
  });
}

/**
 * Parses both files with their schemas and checks the chain and that CURRENT equals the replay,
 * or (only when a writer was killed between its HISTORY and CURRENT renames) that the journal it
 * left names the last HISTORY entry, so the next command completes the write.
 */
function assertSound(deployDir: string): { entries: number; current: string | undefined } {
  const files = new DeployStore(deployDir);
  const history = HistorySchema.parse(JSON.parse(readFileSync(files.historyPath, 'utf8')));
  const current = CurrentSchema.parse(JSON.parse(readFileSync(files.currentPath, 'utf8')));
  const { stack, problems } = replay(history);
  assert.deepEqual(problems, []);
  const derived = deriveCurrent(history, stack);
  const pendingPath = files.pendingPath;
  if (existsSync(pendingPath) && JSON.parse(readFileSync(pendingPath, 'utf8')).entry_hash === history.at(-1)?.hash) {
    return { entries: history.length, current: derived?.manifest_hash };
  }
  assert.deepEqual(current, derived);
  return { entries: history.length, current: current.manifest_hash };
}

const LEGITIMATE_REFUSAL = /already CURRENT|no earlier version to roll back to|nothing to roll back/;

describe('concurrent writers and crashes', function () {
  this.timeout(180000);
  after(cleanupTempDirs);

  it('16 CLI processes publishing and rolling back at once lose no entry', async () => {
    const root = allowUngatedApproval(tempDir());
    const poolRoot = join(root, 'pool');
    const deployDir = join(root, 'deploy');
    const hashes = seedPool(poolRoot, 17);
    assert.equal(runCli(['deploy', 'approve-and-publish', '--hash', hashes[16], '--approver', 'bob', '--pool-root', poolRoot, '--deploy-dir', deployDir], root).code, 0);

    let expectedEntries = 1;
    const rounds = 3;
    const started = Date.now();
    for (let round = 0; round < rounds; round += 1) {
      const runs = await Promise.all(
        Array.from({ length: 16 }, (_, index) => {
          const common = ['--pool-root', poolRoot, '--deploy-dir', deployDir, '--fmt', 'json'];
          return index % 2 === 0
            ? runCliAsync(['deploy', 'approve-and-publish', '--hash', hashes[(index + round) % 16], '--approver', `p${index}`, ...common], root)
            : runCliAsync(['deploy', 'rollback', '--approver', `r${index}`, '--note', `round ${round}`, ...common], root);
        }),
      );
      for (const run of runs) {
        assert.ok(run.code === 0 || run.code === 1, `unexpected exit ${run.code}: ${run.stderr}`);
        if (run.code === 1) assert.match(run.stderr, LEGITIMATE_REFUSAL);
      }
      expectedEntries += runs.filter((run) => run.code === 0).length;
      const { entries } = assertSound(deployDir);
      assert.equal(entries, expectedEntries, 'every successful writer left exactly one entry');
    }
    // verify re-hashes the pool files every entry commits to, so it is told where the pool is.
    const verify = runCli(['deploy', 'verify', '--pool-root', poolRoot, '--deploy-dir', deployDir], root);
    assert.equal(verify.code, 0, verify.stdout);
    console.log(`      ${rounds} rounds x 16 processes: ${expectedEntries - 1} entries written, ${rounds * 16 - (expectedEntries - 1)} legitimately refused, ${Date.now() - started} ms`);
  });

  for (const [failpoint, committed] of [
    ['deploy:after-pending', false],
    ['deploy:after-history', true],
    ['deploy:after-current', true],
  ] as const) {
    it(`a writer killed at ${failpoint} leaves valid files and a usable deploy dir`, async () => {
      const root = allowUngatedApproval(tempDir());
      const poolRoot = join(root, 'pool');
      const deployDir = join(root, 'deploy');
      const [a, b, c] = seedPool(poolRoot, 3);
      const store = ['--pool-root', poolRoot, '--deploy-dir', deployDir];
      assert.equal(runCli(['deploy', 'approve-and-publish', '--hash', a, '--approver', 'bob', ...store], root).code, 0);
      const killed = await runCliAsync(['deploy', 'approve-and-publish', '--hash', b, '--approver', 'bob', ...store], root, { QRAFT_FAILPOINT: failpoint });
      assert.equal(killed.signal, 'SIGKILL');
      // Files as the killed writer left them: each still parses and validates.
      const files = new DeployStore(deployDir);
      HistorySchema.parse(JSON.parse(readFileSync(files.historyPath, 'utf8')));
      CurrentSchema.parse(JSON.parse(readFileSync(files.currentPath, 'utf8')));
      // The next command waits out the dead writer's lock, then sees a consistent state.
      const current = runCli(['deploy', 'current', '--fmt', 'json', ...store], root);
      assert.equal(current.code, 0, current.stderr);
      assert.equal(JSON.parse(current.stdout).manifest_hash, committed ? b : a);
      assert.equal(runCli(['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob', ...store], root).code, 0);
      assert.deepEqual(assertSound(deployDir), { entries: committed ? 3 : 2, current: c });
      assert.ok(!existsSync(files.pendingPath));
    });
  }

  it('a proposer killed before its rename leaves no half candidate', async () => {
    const ws = tempDir();
    const poolRoot = join(ws, 'pool');
    const payload = join(REPO_ROOT, 'examples', 'strategy.json');
    const metadata = join(REPO_ROOT, 'examples', 'metadata.json');
    const killed = await runCliAsync(['deploy', 'propose', '--payload', payload, '--metadata', metadata, '--pool-root', poolRoot], ws, { QRAFT_FAILPOINT: 'pool:before-rename' });
    assert.equal(killed.signal, 'SIGKILL');
    const release = new ReleaseService({ poolRoot, deployDir: join(ws, 'deploy') });
    assert.deepEqual(await release.listPool(), { candidates: [], rejected: [], stable: [], problems: [] });
    assert.equal(runCli(['deploy', 'propose', '--payload', payload, '--metadata', metadata, '--pool-root', poolRoot], ws).code, 0);
    assert.equal((await release.listPool()).candidates.length, 1);
  });

  it('a writer loop killed at random moments always leaves a sound deploy dir', async () => {
    const root = allowUngatedApproval(tempDir());
    const deployDir = join(root, 'deploy');
    const hashes = ['1', '2', '3', '4'].map((digit) => digit.repeat(64));
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const child = spawn(process.execPath, ['--require', 'tsx/cjs', join(REPO_ROOT, 'test', 'support', 'writer-loop.ts'), deployDir, ...hashes], { cwd: REPO_ROOT });
      let rounds = 0;
      child.stdout.on('data', (chunk: Buffer) => (rounds += chunk.toString().split('\n').length - 1));
      const exited = new Promise((resolve) => child.on('close', resolve));
      // Let it write a while (it waits out the previous victim's stale lock first), then kill it.
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (rounds >= 3) {
            clearInterval(poll);
            setTimeout(resolve, Math.random() * 200);
          }
        }, 5);
      });
      child.kill('SIGKILL');
      await exited;
      const { current } = assertSound(deployDir);
      const read = runCli(['deploy', 'current', '--fmt', 'json', '--deploy-dir', deployDir], root);
      assert.equal(read.code, 0, read.stderr);
      assert.equal(JSON.parse(read.stdout).manifest_hash, current);
      assert.ok(readdirSync(deployDir).every((name) => /^(HISTORY\.json|HISTORY\.checkpoint\.json|CURRENT\.json|\.pending\.json|\.lock|.*\.json\.\d+)$/.test(name)), readdirSync(deployDir).join(','));
    }
    const verify = runCli(['deploy', 'verify', '--deploy-dir', deployDir], root);
    assert.equal(verify.code, 0, verify.stdout);
  });
});
