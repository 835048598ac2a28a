import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEntry } from '../../src/core/release/deploy/schemas';
import { REPO_ROOT, cleanupTempDirs, ungatedWorkspace, readJson, runCli, snapshot, tempDir } from '../support/fixtures';

function ok(args: string[], cwd: string): string {
  const run = runCli(args, cwd);
  assert.equal(run.code, 0, `qraft ${args.join(' ')} failed: ${run.stderr}`);
  return run.stdout;
}

function json<T = Record<string, unknown>>(args: string[], cwd: string): T {
  return JSON.parse(ok([...args, '--fmt', 'json'], cwd)) as T;
}

/** Asserts exit 2, one sentence on stderr without a stack trace, and nothing changed on disk. */
function expectBadInput(args: string[], cwd: string, message: RegExp): void {
  const before = snapshot(cwd);
  const run = runCli(args, cwd);
  assert.equal(run.code, 2, `expected exit 2 from qraft ${args.join(' ')}, got ${run.code}: ${run.stderr}`);
  assert.match(run.stderr, message);
  assert.equal(run.stderr.trim().split('\n').length, 1, `more than one line on stderr: ${run.stderr}`);
  assert.doesNotMatch(run.stderr, /\n\s+at |Error:/);
  assert.deepEqual(snapshot(cwd), before);
}

describe('qraft deploy CLI', () => {
  after(cleanupTempDirs);

  it('runs the README walkthrough in text: propose, publish twice, history, rollback, current', () => {
    const ws = ungatedWorkspace();
    assert.match(ok(['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json'], ws), /Proposed: sma-cross-spy@1\.0\.0\n {2}manifest_hash {2}([0-9a-f]{64})/);
    const first = json<{ manifest_hash: string }>(['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json'], ws);
    assert.match(ok(['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json'], ws), /Already in the pool/);
    const second = json<{ manifest_hash: string }>(['deploy', 'propose', '--payload', 'payload.json', '--metadata', 'metadata.json'], ws);
    assert.match(ok(['deploy', 'approve-and-publish', '--hash', first.manifest_hash, '--approver', 'bob', '--note', 'first release'], ws), /Approved and published sma-cross-spy@1\.0\.0 as CURRENT/);
    assert.match(ok(['deploy', 'approve-and-publish', '--hash', second.manifest_hash.slice(0, 8), '--approver', 'bob'], ws), /sma-cross-spy@1\.1\.0/);
    const history = ok(['deploy', 'history'], ws).trim().split('\n');
    assert.equal(history.length, 2);
    assert.match(history[0], /^#2 .* publish .*sma-cross-spy@1\.1\.0 {2}by bob$/);
    assert.match(ok(['deploy', 'rollback', '--approver', 'carol', '--note', 'too slow'], ws), /Rolled back: CURRENT is sma-cross-spy@1\.0\.0 again/);
    assert.match(ok(['deploy', 'current'], ws), new RegExp(`CURRENT: sma-cross-spy@1\\.0\\.0\\n {2}manifest_hash {2}${first.manifest_hash}`));
    assert.match(ok(['deploy', 'verify'], ws), /HISTORY verified: 3 entries/);
    const onDisk = readJson<HistoryEntry[]>(join(ws, 'artifacts', 'deploy', 'HISTORY.json'));
    assert.deepEqual(onDisk.map((e) => [e.action, e.actor]), [['publish', 'bob'], ['publish', 'bob'], ['rollback', 'carol']]);
  });

  it('prints json for every subcommand', () => {
    const ws = ungatedWorkspace();
    assert.equal(JSON.parse(ok(['deploy', 'current', '--fmt', 'json'], ws)), null);
    assert.deepEqual(JSON.parse(ok(['deploy', 'history', '--fmt', 'json'], ws)), []);
    const a = json<{ manifest_hash: string; created: boolean }>(['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json'], ws);
    assert.equal(a.created, true);
    const b = json<{ manifest_hash: string }>(['deploy', 'propose', '--payload', 'payload.json', '--metadata', 'metadata.json'], ws);
    const published = json<{ current: { manifest_hash: string }; entry: HistoryEntry }>(['deploy', 'approve-and-publish', '--hash', a.manifest_hash, '--approver', 'bob'], ws);
    assert.equal(published.current.manifest_hash, a.manifest_hash);
    json(['deploy', 'approve-and-publish', '--hash', b.manifest_hash, '--approver', 'bob'], ws);
    const rolled = json<{ entry: HistoryEntry; current: { manifest_hash: string } }>(['deploy', 'rollback', '--to', a.manifest_hash, '--approver', 'carol'], ws);
    assert.equal(rolled.entry.action, 'rollback');
    assert.equal(rolled.entry.from_hash, b.manifest_hash);
    assert.equal(json<{ manifest_hash: string }>(['deploy', 'current'], ws).manifest_hash, a.manifest_hash);
    assert.equal(json<HistoryEntry[]>(['deploy', 'history'], ws).length, 3);
    assert.deepEqual(json(['deploy', 'verify'], ws), { ok: true, entries: 3, head: rolled.entry.hash, current: json(['deploy', 'current'], ws), problems: [], notes: [], signatures: { signed: 0, verified: 0 } });
    assert.equal((rolled as { head?: string }).head, rolled.entry.hash, 'every write prints the new head');
  });

  it('exits 1 with one sentence on a refused action or a failed verify', () => {
    const ws = ungatedWorkspace();
    const a = json<{ manifest_hash: string }>(['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json'], ws);
    ok(['deploy', 'approve-and-publish', '--hash', a.manifest_hash, '--approver', 'bob'], ws);
    const refused = runCli(['deploy', 'rollback'], ws);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'qraft: Only one version is on the release stack; there is no earlier version to roll back to.\n');
    const historyPath = join(ws, 'artifacts', 'deploy', 'HISTORY.json');
    const history = readJson<HistoryEntry[]>(historyPath);
    history[0].note = 'rewritten';
    writeFileSync(historyPath, JSON.stringify(history));
    const verify = runCli(['deploy', 'verify'], ws);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /entry 1 was altered/);
    const jsonError = runCli(['deploy', 'current', '--fmt', 'json'], ws);
    assert.equal(jsonError.code, 1);
    assert.equal(JSON.parse(jsonError.stdout).exit_code, 1);
  });

  describe('bad input: exit 2, one sentence, nothing changed', () => {
    let ws: string;
    let published: string;
    before(() => {
      ws = ungatedWorkspace();
      published = json<{ manifest_hash: string }>(['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json'], ws).manifest_hash;
      ok(['deploy', 'approve-and-publish', '--hash', published, '--approver', 'bob'], ws);
      writeFileSync(join(ws, 'malformed.json'), '{\n  "name": "x",\n  "version": \n}');
      writeFileSync(join(ws, 'no-name.json'), JSON.stringify({ version: '1' }));
      writeFileSync(join(ws, 'no-proposer.json'), JSON.stringify({ description: 'x' }));
      writeFileSync(join(ws, 'a-file'), 'not a directory');
    });

    const cases: Array<[string, string[], RegExp]> = [
      ['a traversal hash', ['deploy', 'approve-and-publish', '--hash', '../x', '--approver', 'bob'], /The hash "\.\.\/x" is not a manifest hash/],
      ['a non-hex hash', ['deploy', 'approve-and-publish', '--hash', 'zzzzzzzzzzzz', '--approver', 'bob'], /not a manifest hash/],
      ['a too-short hash', ['deploy', 'approve-and-publish', '--hash', 'abc', '--approver', 'bob'], /prefix of at least 8/],
      ['an unknown hash', ['deploy', 'approve-and-publish', '--hash', '0123456789abcdef', '--approver', 'bob'], /No manifest 0123456789abcdef in the strategy pool/],
      ['a traversal rollback target', ['deploy', 'rollback', '--to', '../../etc/passwd'], /rollback target "\.\.\/\.\.\/etc\/passwd" is not a manifest hash/],
      ['a missing payload file', ['deploy', 'propose', '--payload', 'missing.json', '--metadata', 'metadata.json'], /Cannot read payload missing\.json: no such file or directory\./],
      ['malformed JSON', ['deploy', 'propose', '--payload', 'malformed.json', '--metadata', 'metadata.json'], /malformed\.json is not valid JSON \(ValueExpected at line 4, column 1\)\./],
      ['a payload without a name', ['deploy', 'propose', '--payload', 'no-name.json', '--metadata', 'metadata.json'], /no-name\.json is invalid: name: /],
      ['metadata without proposed_by', ['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'no-proposer.json'], /no-proposer\.json is invalid: proposed_by: /],
      ['a missing required option', ['deploy', 'approve-and-publish', '--hash', 'abcdefab'], /needs --approver/],
      ['an unknown option', ['deploy', 'current', '--bogus'], /^qraft: Unknown option --bogus\. Run "qraft deploy --help"/],
      ['an option of another subcommand', ['deploy', 'current', '--approver', 'x'], /--approver is not an option of qraft deploy current/],
      ['an unknown subcommand', ['deploy', 'launch'], /Unknown subcommand "launch"/],
      ['an unknown format', ['deploy', 'current', '--fmt', 'xml'], /--fmt must be text or json/],
      ['an unwritable deploy dir', ['deploy', 'rollback', '--deploy-dir', 'a-file/deploy'], /Cannot create directory .*a-file\/deploy: a part of the path is not a directory\./],
      ['an unwritable pool root', ['deploy', 'propose', '--payload', 'payload.json', '--metadata', 'metadata.json', '--pool-root', 'a-file/pool'], /a-file\/pool.*: a part of the path is not a directory\./],
    ];
    for (const [what, args, message] of cases) it(what, () => expectBadInput(args, ws, message));

    it('a read-only deploy dir (when not root)', function () {
      if (process.getuid?.() === 0) this.skip(); // root ignores permission bits; the ENOTDIR case above covers root
      const dir = tempDir();
      spawnSync('chmod', ['0555', dir]);
      expectBadInput(['deploy', 'rollback', '--deploy-dir', join(dir, 'deploy')], ws, /permission denied/);
    });
  });

  it('exits 3 with one sentence on an internal error (a runner that answers garbage), nothing saved', () => {
    const ws = ungatedWorkspace();
    // Answers the probe like a working NautilusTrader, then writes a result that is not JSON.
    const python = join(tempDir('qraft-fake-python-'), 'python');
    writeFileSync(python, '#!/bin/sh\nif [ "$3" = "--probe" ]; then echo \'{"ok": true, "nautilus_trader": "1.221.0", "python": "3.11"}\'; exit 0; fi\necho "{not json" > "$4"\n', { mode: 0o755 });
    const before = snapshot(ws);
    const run = runCli(['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--engine', 'nautilus', '--python', python, '--fmt', 'json'], ws);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /^qraft: internal error: The NautilusTrader runner returned a result that is not valid JSON of the expected shape \(set QRAFT_DEBUG=1/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.equal(JSON.parse(run.stdout).exit_code, 3);
    assert.deepEqual(snapshot(ws), before);
  });

  it('prints help with exit 0 and works through the bin launcher', () => {
    const ws = tempDir();
    assert.match(ok(['deploy', '--help'], ws), /Usage: qraft deploy <subcommand>/);
    const viaBin = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'qraft.js'), 'deploy', 'current'], { cwd: ws, encoding: 'utf8' });
    assert.equal(viaBin.status, 0, viaBin.stderr);
    assert.match(viaBin.stdout, /No CURRENT release/);
    assert.ok(!existsSync(join(ws, 'artifacts')), 'a read of an empty workspace must not create artifacts/');
  });
});
