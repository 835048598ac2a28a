import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { HistoryEntry } from '../../src/core/release/deploy/schemas';
import { cleanupTempDirs, exampleWorkspace, runCli, tempDir, ungatedWorkspace } from '../support/fixtures';

type Json = Record<string, any>;

/** Every path below `dir` with its bytes and mtime (folders: mtime): "nothing changed" down to the mtime. */
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

function cli(args: string[], cwd: string, expectedCode = 0): Json {
  const run = runCli([...args, '--fmt', 'json'], cwd);
  assert.equal(run.code, expectedCode, `qraft ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Json;
}

/** Bad input: exit 2, one line on stderr (no stack), matching `pattern`, and `cwd` exactly as it was. */
function badInput(args: string[], cwd: string, pattern: RegExp): void {
  const before = tree(cwd);
  const run = runCli(args, cwd);
  assert.equal(run.code, 2, `qraft ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  assert.match(run.stderr, pattern);
  assert.deepEqual(tree(cwd), before, `qraft ${args.join(' ')} changed ${cwd}`);
}

const PROPOSE = ['deploy', 'propose', '--metadata', 'metadata.json'];

/** A workspace with two candidates (1.0.0 from strategy.json, 1.1.0 from payload.json), each with a precheck. */
function twoCandidates(): { ws: string; first: string; second: string } {
  const ws = ungatedWorkspace();
  const hashes = ['strategy.json', 'payload.json'].map((file) => {
    cli(['deploy', 'precheck', '--strategy', file, '--prices', 'prices/SPY.csv', '--engine', 'builtin'], ws);
    return cli([...PROPOSE, '--payload', file], ws).manifest_hash as string;
  });
  return { ws, first: hashes[0], second: hashes[1] };
}

describe('CLI: list, show, diff, reject, --dry-run, per-subcommand help', () => {
  after(cleanupTempDirs);

  it('list, show, diff, reject and dry runs over one workspace', () => {
    const { ws, first, second } = twoCandidates();

    let listing = cli(['deploy', 'list'], ws);
    assert.deepEqual(listing.candidates.map((listed: Json) => listed.manifest.manifest_hash), [second, first]);
    assert.deepEqual([listing.stable, listing.rejected, listing.current], [[], [], null]);
    const listText = runCli(['deploy', 'list'], ws).stdout;
    assert.match(listText, /^Candidates \(2\)\n {2}[0-9a-f]{12} {2}sma-cross-spy@1\.1\.0 .*precheck passed/m);
    assert.match(listText, /^Stable \(0\)$/m);

    const diff = cli(['deploy', 'diff', first.slice(0, 8), second.slice(0, 10)], ws);
    assert.deepEqual(diff.payload.find((change: Json) => change.path === 'signal.fast'), { path: 'signal.fast', change: 'changed', a: 10, b: 20 });
    const sharpe = diff.metrics.find((row: Json) => row.channel === 'precheck.precise' && row.metric === 'sharpe');
    assert.ok(Math.abs(sharpe.delta - (sharpe.b - sharpe.a)) < 1e-12 && sharpe.delta !== 0);
    const diffText = runCli(['deploy', 'diff', first, second], ws).stdout;
    assert.match(diffText, /^ {2}signal\.fast +10 +20$/m);
    assert.match(diffText, /^ {2}precheck\.precise +sharpe +[\d.]+ +[\d.]+ +[+-][\d.]+$/m);

    // Dry run: the publish it would make, and not one byte, file, folder or mtime changed.
    let before = tree(ws);
    const dry = cli(['deploy', 'approve-and-publish', '--hash', first, '--approver', 'bob', '--dry-run'], ws);
    assert.equal(dry.dry_run, true);
    assert.equal(dry.entry.seq, 1);
    assert.match(dry.head, /^[0-9a-f]{64}$/);
    assert.deepEqual(tree(ws), before);
    assert.equal(existsSync(join(ws, 'artifacts', 'deploy')), false);
    const dryText = runCli(['deploy', 'approve-and-publish', '--hash', first, '--approver', 'bob', '--dry-run'], ws);
    assert.match(dryText.stdout, /^Dry run, nothing written: every check passed; this would approve sma-cross-spy@1\.0\.0 and publish it as CURRENT\.$/m);
    assert.match(dryText.stdout, /head \(would be\) [0-9a-f]{64}/);

    cli(['deploy', 'approve-and-publish', '--hash', first, '--approver', 'bob'], ws);
    cli(['deploy', 'approve-and-publish', '--hash', second, '--approver', 'bob'], ws);
    before = tree(ws);
    const dryBack = cli(['deploy', 'rollback', '--approver', 'carol', '--note', 'too late', '--dry-run'], ws);
    assert.equal(dryBack.dry_run, true);
    assert.equal(dryBack.current.manifest_hash, first);
    assert.deepEqual(tree(ws), before);

    // show: status, approval, evidence, the HISTORY entries naming it.
    const shown = cli(['deploy', 'show', first.slice(0, 8)], ws);
    assert.equal(shown.status, 'stable');
    assert.equal(shown.approval.approved_by, 'bob');
    assert.deepEqual(shown.evidence.map((saved: Json) => [saved.kind, saved.passed, saved.engine]), [['qraft.precheck', true, 'builtin']]);
    assert.deepEqual(shown.history.map((entry: Json) => entry.seq), [1, 2]);
    assert.equal(cli(['deploy', 'show', second], ws).status, 'current');
    assert.match(runCli(['deploy', 'show', second], ws).stdout, /^sma-cross-spy@1\.1\.0 {2}\[current\]$/m);

    // reject: refused for a stable version (exit 1, nothing written); a candidate is rejected, listed apart, never approved.
    before = tree(ws);
    const refused = runCli(['deploy', 'reject', '--hash', first, '--note', 'x'], ws);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^qraft: [0-9a-f]{12} was approved by bob .* only a candidate waiting for approval can be rejected\.\n$/);
    assert.deepEqual(tree(ws), before);
    const noteless = runCli(['deploy', 'reject', '--hash', second, '--approver', 'carol'], ws);
    assert.equal(noteless.code, 2);
    assert.match(noteless.stderr, /reject needs --note/);
  });

  it('reject records the candidate\'s rejection, lists it apart, and approval then refuses it even with --force', () => {
    const ws = ungatedWorkspace();
    const { manifest_hash } = cli([...PROPOSE, '--payload', 'strategy.json'], ws);
    const result = cli(['deploy', 'reject', '--hash', manifest_hash.slice(0, 8), '--note', 'trades too often', '--approver', 'carol'], ws);
    assert.equal(result.created, true);
    assert.deepEqual([result.rejection.rejected_by, result.rejection.note], ['carol', 'trades too often']);
    assert.ok(existsSync(join(ws, 'artifacts', 'pool', 'candidates', manifest_hash, 'rejection.json')));
    assert.equal(cli(['deploy', 'reject', '--hash', manifest_hash, '--note', 'again', '--approver', 'dave'], ws).created, false);
    const listing = cli(['deploy', 'list'], ws);
    assert.deepEqual(listing.candidates, []);
    assert.equal(listing.rejected[0].rejection.note, 'trades too often');
    assert.match(runCli(['deploy', 'list'], ws).stdout, /^Rejected \(1\)\n {2}[0-9a-f]{12} {2}sma-cross-spy@1\.0\.0 {2}rejected by carol at .*: "trades too often"$/m);
    assert.equal(cli(['deploy', 'show', manifest_hash], ws).status, 'rejected');

    const before = tree(ws);
    const forced = runCli(['deploy', 'approve-and-publish', '--hash', manifest_hash, '--approver', 'bob', '--force', '--note', 'please'], ws);
    assert.equal(forced.code, 1);
    assert.match(forced.stderr, /^qraft: Approval refused: [0-9a-f]{12} was rejected by carol .*"trades too often".*\.\n$/);
    assert.doesNotMatch(forced.stderr, /override with --force/);
    const json = JSON.parse(runCli(['deploy', 'approve-and-publish', '--hash', manifest_hash, '--approver', 'bob', '--fmt', 'json'], ws).stdout);
    assert.deepEqual(json.refusal.reasons.map((reason: Json) => [reason.code, reason.overridable]), [['rejected', false]]);
    assert.deepEqual(tree(ws), before);
  });

  it('propose prints the candidate folder and manifest_hash in text and json, and the lineage of a strategy file in git', () => {
    const ws = exampleWorkspace();
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: ws, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', 'strategy.json', 'metadata.json');
    git('commit', '-q', '-m', 'strategy');
    const head = git('rev-parse', 'HEAD');
    const text = runCli([...PROPOSE, '--payload', 'strategy.json'], ws).stdout;
    const hash = /manifest_hash +([0-9a-f]{64})/.exec(text)?.[1];
    assert.ok(hash, text);
    assert.match(text, new RegExp(`^ {2}folder +${join(ws, 'artifacts', 'pool', 'candidates', hash).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    assert.match(text, new RegExp(`^ {2}lineage +strategy\\.json @ ${head.slice(0, 12)}$`, 'm'));
    const json = cli([...PROPOSE, '--payload', 'strategy.json'], ws);
    assert.equal(json.manifest_hash, hash);
    assert.equal(json.dir, join(ws, 'artifacts', 'pool', 'candidates', hash));
    assert.deepEqual(json.lineage, { commit: head, path: 'strategy.json', dirty: false });
    // The untracked payload.json: dirty. precheck stages the file's lineage for the default propose.
    const staged = cli(['deploy', 'precheck', '--strategy', 'payload.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin'], ws);
    assert.equal(staged.passed, true);
    const proposed = cli(['deploy', 'propose'], ws);
    assert.deepEqual(proposed.lineage, { commit: head, path: 'payload.json', dirty: true });
    assert.deepEqual(cli(['deploy', 'list'], ws).candidates.find((listed: Json) => listed.manifest.manifest_hash === proposed.manifest_hash).lineage, proposed.lineage);
    assert.match(runCli(['deploy', 'show', proposed.manifest_hash], ws).stdout, new RegExp(`lineage +payload\\.json @ ${head.slice(0, 12)} \\(dirty`));
  });

  it('history is newest first in text and json, --order oldest gives the file\'s order', () => {
    const ws = ungatedWorkspace();
    for (const file of ['strategy.json', 'payload.json']) {
      const { manifest_hash } = cli([...PROPOSE, '--payload', file], ws);
      cli(['deploy', 'approve-and-publish', '--hash', manifest_hash, '--approver', 'bob'], ws);
    }
    assert.deepEqual(cli(['deploy', 'history'], ws).map((entry: HistoryEntry) => entry.seq), [2, 1]);
    assert.deepEqual(cli(['deploy', 'history', '--order', 'oldest'], ws).map((entry: HistoryEntry) => entry.seq), [1, 2]);
    assert.deepEqual(runCli(['deploy', 'history'], ws).stdout.trim().split('\n').map((line) => line.slice(0, 2)), ['#2', '#1']);
    assert.deepEqual(runCli(['deploy', 'history', '--order', 'oldest'], ws).stdout.trim().split('\n').map((line) => line.slice(0, 2)), ['#1', '#2']);
    badInput(['deploy', 'history', '--order', 'sideways'], ws, /^qraft: --order must be newest or oldest, not "sideways"\.$/m);
  });

  it('--help after a subcommand prints its usage, summary and options; qraft deploy --help the global one', () => {
    const ws = tempDir();
    for (const [name, option] of [['precheck', '--engine'], ['approve-and-publish', '--dry-run'], ['diff', '--pool-root'], ['reject', '--note'], ['history', '--order']]) {
      for (const flag of ['--help', '-h']) {
        const run = runCli(['deploy', name, flag], ws);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, new RegExp(`^Usage: qraft deploy ${name}\\b`));
        assert.match(run.stdout, new RegExp(`^ {2}${option}\\b`, 'm'));
        assert.doesNotMatch(run.stdout, /Subcommands:/);
      }
    }
    const global = runCli(['deploy', '--help'], ws);
    assert.equal(global.code, 0);
    assert.match(global.stdout, /Subcommands:[\s\S]*\blist\b[\s\S]*\bshow\b[\s\S]*\bdiff\b[\s\S]*\breject\b/);
    assert.deepEqual(readdirSync(ws), []);
  });

  it('bad input: exit 2, one sentence on stderr, nothing created', () => {
    const ws = exampleWorkspace();
    badInput(['deploy', 'canary', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--cash-ratio', '-0.1'], ws, /^qraft: --cash-ratio must be a positive number, not "-0\.1"\.$/m);
    badInput(['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--base-cash', '-5'], ws, /--base-cash must be a positive number, not "-5"/);
    badInput(['deploy', 'approve-and-publish', '--hash', '--force'], ws, /^qraft: --hash needs a value\./m);
    badInput(['deploy', 'show'], ws, /^qraft: qraft deploy show needs HASH: qraft deploy show HASH\.$/m);
    badInput(['deploy', 'show', 'a', 'b'], ws, /Unexpected argument "b" for qraft deploy show \(it takes HASH\)/);
    badInput(['deploy', 'diff', 'abcdef12'], ws, /diff needs HASH HASH/);
    badInput(['deploy', 'show', 'nothex!!'], ws, /is not a manifest hash/);
    badInput(['deploy', 'show', 'abcdef12'], ws, /No manifest abcdef12 in the strategy pool/);
    badInput(['deploy', 'diff', 'abcdef12', 'abcdef34'], ws, /No manifest abcdef12/);
    badInput(['deploy', 'reject', '--hash', 'abcdef12'], ws, /reject needs --note/);
    badInput(['deploy', 'reject', '--hash', 'abcdef12', '--note', 'x'], ws, /No manifest abcdef12/);
    badInput(['deploy', 'list', '--dry-run'], ws, /--dry-run is not an option of qraft deploy list/);
    badInput(['deploy', 'current', 'extra'], ws, /Unexpected argument "extra" for qraft deploy current\./);
    badInput(['deploy', 'unknown'], ws, /Unknown subcommand "unknown"/);
    badInput(['deploy', 'list', '--bogus'], ws, /Unknown option --bogus/);
  });

  it('commands that fail or only read create none of the directories they are pointed at', () => {
    const ws = tempDir();
    const missing = join(ws, 'nonexistent', 'dir');
    const stores = ['--deploy-dir', missing, '--pool-root', join(missing, 'pool'), '--reports-dir', join(missing, 'reports')];
    const before = tree(ws);
    for (const args of [['list'], ['current'], ['history'], ['verify'], ['show', 'abcdef12'], ['diff', 'abcdef12', 'abcdef34'], ['reject', '--hash', 'abcdef12', '--note', 'x'], ['rollback'], ['rollback', '--dry-run'], ['approve-and-publish', '--hash', 'abcdef12', '--approver', 'bob'], ['approve-and-publish', '--hash', 'abcdef12', '--approver', 'bob', '--dry-run'], ['propose', '--payload', 'missing.json', '--metadata', 'missing.json']]) {
      const run = runCli(['deploy', ...args, ...stores], ws);
      assert.ok(run.code !== null && run.code <= 2, `${args.join(' ')}: ${run.stderr}`);
      assert.deepEqual(tree(ws), before, `qraft deploy ${args.join(' ')} created something`);
    }
    const rollback = runCli(['deploy', 'rollback', ...stores], ws);
    assert.equal(rollback.code, 1);
    assert.match(rollback.stderr, /^qraft: Nothing has been published yet, so there is nothing to roll back\.\n$/);
    const empty = cli(['deploy', 'list', ...stores], ws);
    assert.deepEqual([empty.candidates, empty.stable, empty.rejected], [[], [], []]);
    assert.equal(existsSync(join(ws, 'nonexistent')), false);
  });

  it('a first publish refused under the lock leaves no deploy dir and no stable/ behind', () => {
    const ws = ungatedWorkspace();
    const { manifest_hash } = cli([...PROPOSE, '--payload', 'strategy.json'], ws);
    const before = tree(ws);
    for (const deployDir of ['artifacts/deploy', 'new/deploy/dir']) {
      const run = runCli(['deploy', 'approve-and-publish', '--hash', manifest_hash, '--approver', 'bob', '--sign-key', 'missing-key', '--deploy-dir', deployDir], ws);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /Cannot sign with .*missing-key: no such key file\./);
      assert.deepEqual(Object.keys(tree(ws)).sort(), Object.keys(before).sort());
    }
    assert.equal(existsSync(join(ws, 'artifacts', 'pool', 'stable')), false);
  });

  it('list of an empty pool', () => {
    const ws = tempDir();
    const stores = ['--deploy-dir', join(ws, 'd'), '--pool-root', join(ws, 'p')];
    const empty = cli(['deploy', 'list', ...stores], ws);
    assert.deepEqual([empty.candidates, empty.stable, empty.rejected], [[], [], []]);
    assert.match(runCli(['deploy', 'list', ...stores], ws).stdout, /^Candidates \(0\)\nStable \(0\)\nRejected \(0\)$/m);
    assert.deepEqual(readdirSync(ws), []);
  });
});
