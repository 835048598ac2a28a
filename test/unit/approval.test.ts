import { strict as assert } from 'node:assert';
import { cpSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalHash } from '../../src/core/shared/hashing';
import { samePerson } from '../../src/core/release/approval';
import { StrategyPool } from '../../src/core/release/pool/pool';
import { EXAMPLES, cleanupTempDirs, exampleWorkspace, readJson, runCli, snapshot, tempDir, writeJson } from '../support/fixtures';

type Json = Record<string, any>;

/** Runs the CLI with --fmt json; asserts the exit code; returns stdout parsed (or the error object). */
function cli(args: string[], cwd: string, expectedCode = 0): Json {
  const run = runCli([...args, '--fmt', 'json'], cwd);
  assert.equal(run.code, expectedCode, `qraft ${args.join(' ')} exited ${run.code}, expected ${expectedCode}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Json;
}

const PRECHECK = ['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin'];
const CANARY = ['deploy', 'canary', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv'];
const PROPOSE = ['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json'];
const approve = (hash: string, ...extra: string[]) => ['deploy', 'approve-and-publish', '--hash', hash, '--approver', 'bob', ...extra];

/** Asserts a refused approval: exit 1, the reason codes, one line on stderr, and nothing written. */
function expectRefused(ws: string, args: string[], codes: string[], sentence?: RegExp): Json {
  const before = snapshot(ws);
  const run = runCli([...args, '--fmt', 'json'], ws);
  assert.equal(run.code, 1, `expected a refusal from qraft ${args.join(' ')}: ${run.stderr}`);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  if (sentence) assert.match(run.stderr, sentence);
  const result = JSON.parse(run.stdout) as Json;
  assert.equal(result.refusal.kind, 'approval');
  assert.deepEqual([...new Set(result.refusal.reasons.map((reason: Json) => reason.code))].sort(), [...codes].sort());
  assert.deepEqual(snapshot(ws), before, 'a refused approval changed files');
  return result;
}

function evidenceDir(ws: string, hash: string): string {
  return join(ws, 'artifacts', 'pool', 'candidates', hash, 'evidence');
}

/** Writes `report` (edited) as a report file that hashes to its name, as a careful forger would. */
function forge(dir: string, report: Json): string {
  const hash = canonicalHash(report);
  const path = join(dir, `${report.kind.replace('qraft.', '')}-${hash}.json`);
  writeFileSync(path, JSON.stringify(report, null, 2));
  return hash;
}

function withConfig(ws: string, config: Json): string {
  writeJson(join(ws, 'qraft.config.json'), config);
  return ws;
}

describe('approval verifies what it approves', () => {
  after(cleanupTempDirs);

  it('evidence added by proposing again shows in the pool listing (its index follows)', () => {
    const ws = exampleWorkspace();
    // A canary first, so the evidence folder exists and the precheck only adds a file to it.
    cli(CANARY, ws);
    const first = cli(PROPOSE, ws);
    const pool = new StrategyPool(join(ws, 'artifacts', 'pool'));
    assert.equal(pool.list().candidates[0].evidence.canary?.verdict, 'pass');
    assert.equal(pool.list().candidates[0].evidence.precheck, undefined);
    cli(PRECHECK, ws);
    assert.equal(cli(PROPOSE, ws).manifest_hash, first.manifest_hash);
    assert.equal(pool.list().candidates[0].evidence.precheck?.passed, true);
  });

  it('the honest path passes: precheck → canary → propose (evidence copied in) → approve', () => {
    const ws = exampleWorkspace();
    const precheck = cli(PRECHECK, ws);
    const canary = cli(CANARY, ws);
    const proposal = cli(PROPOSE, ws);
    assert.match(proposal.dir, /artifacts\/pool\/candidates\/[0-9a-f]{64}$/);
    assert.deepEqual(readdirSync(evidenceDir(ws, proposal.manifest_hash)).sort(), [`canary-${canary.report_hash}.json`, `precheck-${precheck.report_hash}.json`]);
    const published = cli(approve(proposal.manifest_hash), ws);
    assert.equal(published.current.manifest_hash, proposal.manifest_hash);
    assert.equal(published.entry.forced, undefined);
    assert.deepEqual(published.overridden, []);
  });

  it('metadata that carries evidence is refused at propose (exit 2, nothing created)', () => {
    const ws = exampleWorkspace();
    const precheck = cli(PRECHECK, ws);
    for (const key of ['precheck', 'canary', 'evidence']) {
      writeJson(join(ws, 'forged.json'), { proposed_by: 'mallory', [key]: { report_hash: precheck.report_hash, passed: true, strategy_hash: precheck.strategy_hash } });
      const before = snapshot(ws);
      const run = runCli(['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'forged.json'], ws);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^qraft: forged\\.json carries "${key}": evidence is never taken from metadata`));
      assert.deepEqual(snapshot(ws), before);
    }
  });

  it('a never-prechecked strategy does not go live without a forced approval', () => {
    const ws = exampleWorkspace();
    writeJson(join(ws, 'gross10.json'), { ...readJson<Json>(join(ws, 'strategy.json')), name: 'levered', signal: { type: 'buy_and_hold' }, sizing: { type: 'equal_weight', gross: 10, allow_short: false } });
    const proposal = cli(['deploy', 'propose', '--payload', 'gross10.json', '--metadata', 'metadata.json'], ws);
    assert.deepEqual(proposal.evidence, []);
    expectRefused(ws, approve(proposal.manifest_hash), ['precheck_missing'], /Approval refused: .* has no precheck of its payload in its evidence \(override with --force and a --note\)\.\n$/);
  });

  it('a hand-edited report, renamed to its new hash and attached, is judged by its gate values', () => {
    const ws = exampleWorkspace();
    // Whole 100-share lots on 15,000 keep the precise engine flat: consistency fails.
    writeJson(join(ws, 'lots.json'), { ...readJson<Json>(join(ws, 'strategy.json')), execution: { lot_size: 100 } });
    const failed = cli(['deploy', 'precheck', '--strategy', 'lots.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin', '--base-cash', '15000'], ws, 1);
    const report = readJson<Json>(failed.report_path);
    rmSync(failed.report_path);
    const edited = { ...report, passed: true, gates: report.gates.map((gate: Json) => ({ ...gate, passed: true })) };
    forge(join(ws, 'artifacts', 'reports'), edited);
    const proposal = cli(['deploy', 'propose', '--payload', 'lots.json', '--metadata', 'metadata.json'], ws);
    assert.equal(proposal.evidence[0].passed, true, 'the forged report claims to pass');
    expectRefused(ws, approve(proposal.manifest_hash), ['precheck_failed'], /its consistency gate fails under the current thresholds/);
  });

  it('a report edited inside the candidate (not re-hashed) is tampered evidence', () => {
    const ws = exampleWorkspace();
    const precheck = cli(PRECHECK, ws);
    const proposal = cli(PROPOSE, ws);
    const path = join(evidenceDir(ws, proposal.manifest_hash), `precheck-${precheck.report_hash}.json`);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"cash": 1000000', '"cash": 1000001'));
    expectRefused(ws, approve(proposal.manifest_hash), ['evidence_tampered', 'precheck_missing'], /does not hash to its name/);
  });

  it("another strategy's passing report does not count for this payload", () => {
    const ws = exampleWorkspace();
    const other = cli(PRECHECK, ws);
    const proposal = cli(['deploy', 'propose', '--payload', 'payload.json', '--metadata', 'metadata.json'], ws);
    cpSync(other.report_path, join(evidenceDir(ws, proposal.manifest_hash), `precheck-${other.report_hash}.json`));
    expectRefused(ws, approve(proposal.manifest_hash), ['evidence_tampered', 'precheck_missing'], /is a report on another strategy/);
  });

  it('a forged report whose numbers the quick engine does not reproduce is refused (recheck: quick)', () => {
    const ws = exampleWorkspace();
    const precheck = cli(PRECHECK, ws);
    const report = readJson<Json>(precheck.report_path);
    rmSync(precheck.report_path);
    forge(join(ws, 'artifacts', 'reports'), { ...report, quick: { ...report.quick, metrics: { ...report.quick.metrics, sharpe: report.quick.metrics.sharpe + 0.5 } } });
    const proposal = cli(PROPOSE, ws);
    expectRefused(ws, approve(proposal.manifest_hash), ['precheck_not_reproduced'], /does not reproduce: run again, the quick engine's sharpe differ/);
    // With recheck off the same report is believed as recorded (the policy says so).
    cli(approve(proposal.manifest_hash, '--set', 'approval.recheck=none'), ws);
  });

  it('recheck: full also runs the precise engine again: a forged precise figure is caught only there', () => {
    const ws = exampleWorkspace();
    const precheck = cli(PRECHECK, ws);
    const report = readJson<Json>(precheck.report_path);
    rmSync(precheck.report_path);
    forge(join(ws, 'artifacts', 'reports'), { ...report, precise: { ...report.precise, metrics: { ...report.precise.metrics, max_drawdown: report.precise.metrics.max_drawdown / 2 } } });
    const proposal = cli(PROPOSE, ws);
    expectRefused(ws, approve(proposal.manifest_hash, '--set', 'approval.recheck=full'), ['precheck_not_reproduced'], /the builtin engine's max_drawdown differ/);
    cli(approve(proposal.manifest_hash), ws);
  });

  it('a passing report fails when today\'s thresholds are stricter than the ones it ran under', () => {
    const ws = exampleWorkspace();
    cli(PRECHECK, ws);
    const proposal = cli(PROPOSE, ws);
    expectRefused(ws, approve(proposal.manifest_hash, '--set', 'gates.consistency.tolerance=0.0000000001'), ['precheck_failed'], /consistency gate fails under the current thresholds/);
  });

  it('a recorded price file that changed is refused; one that moved is found again with --prices', () => {
    const ws = exampleWorkspace();
    cli(PRECHECK, ws);
    const proposal = cli(PROPOSE, ws);
    const prices = join(ws, 'prices', 'SPY.csv');
    const original = readFileSync(prices, 'utf8');
    writeFileSync(prices, original.replace(/\n(2019-06-03,[^,]+,[^,]+,[^,]+,)([0-9.]+)/, (_m, head, close) => `\n${head}${(Number(close) + 0.01).toFixed(6)}`));
    expectRefused(ws, approve(proposal.manifest_hash), ['fingerprint_mismatch'], /ran on data with fingerprint [0-9a-f]{12}, but .*SPY\.csv now has [0-9a-f]{12}/);
    writeFileSync(prices, original);
    const moved = join(tempDir('qraft-moved-'), 'spy-daily.csv');
    renameSync(prices, moved);
    expectRefused(ws, approve(proposal.manifest_hash), ['prices_missing'], /which is not there; give the price file's new location with --prices/);
    const published = cli(approve(proposal.manifest_hash, '--prices', moved), ws);
    assert.equal(published.current.manifest_hash, proposal.manifest_hash);
  });

  it('a failed canary refuses; a forced approval with a note passes and HISTORY records what it overrode', () => {
    const ws = withConfig(exampleWorkspace(), { canary: { max_drawdown: 0.001 } });
    cli(PRECHECK, ws);
    const canary = cli(CANARY, ws, 1);
    assert.equal(canary.verdict, 'fail');
    const proposal = cli(PROPOSE, ws);
    expectRefused(ws, approve(proposal.manifest_hash), ['canary_failed'], /the canary report [0-9a-f]{12} fails: drawdown/);
    const forced = cli(approve(proposal.manifest_hash, '--force', '--note', 'drawdown limit under review'), ws);
    assert.equal(forced.entry.forced, true);
    assert.deepEqual(forced.entry.overridden, ['canary_failed']);
    const history = readJson<Json[]>(join(ws, 'artifacts', 'deploy', 'HISTORY.json'));
    assert.deepEqual(history.at(-1)?.overridden, ['canary_failed']);
    assert.equal(cli(['deploy', 'verify'], ws).ok, true);
  });

  it('a marginal canary needs a note', () => {
    const ws = exampleWorkspace();
    const measured = cli(CANARY, ws).candidate.metrics.max_drawdown as number;
    // The drawdown sits at 90% of the limit: above the marginal share (80%), below the limit.
    withConfig(ws, { canary: { max_drawdown: measured / 0.9 } });
    cli(PRECHECK, ws);
    assert.equal(cli(CANARY, ws).verdict, 'marginal');
    const proposal = cli(PROPOSE, ws);
    expectRefused(ws, approve(proposal.manifest_hash), ['canary_marginal'], /is marginal .* so the approval needs a note/);
    cli(approve(proposal.manifest_hash, '--note', 'drawdown close to the limit, accepted for one week'), ws);
  });

  it('a canary against the CURRENT being replaced is required once something is live', () => {
    const ws = exampleWorkspace();
    cli(PRECHECK, ws);
    cli(approve(cli(PROPOSE, ws).manifest_hash), ws);
    cli(['deploy', 'precheck', '--strategy', 'payload.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin'], ws);
    const second = cli(['deploy', 'propose', '--payload', 'payload.json', '--metadata', 'metadata.json'], ws);
    expectRefused(ws, approve(second.manifest_hash), ['canary_missing'], /has no canary against CURRENT/);
    const loose = ['--set', 'canary.min_return_vs_baseline=-1', '--set', 'canary.max_drawdown=1'];
    const canary = cli(['deploy', 'canary', '--strategy', 'payload.json', '--prices', 'prices/SPY.csv', ...loose], ws);
    assert.equal(canary.baseline.manifest_hash, cli(['deploy', 'current'], ws).manifest_hash);
    cli(['deploy', 'propose', '--payload', 'payload.json', '--metadata', 'metadata.json'], ws);
    cli(approve(second.manifest_hash, ...loose), ws);
  });

  it('self-approval is compared case- and space-insensitively', () => {
    assert.equal(samePerson('alice', ' Alice '), true);
    assert.equal(samePerson('Alice  Smith', 'alice smith'), true);
    assert.equal(samePerson('alice', 'alicia'), false);
    const ws = withConfig(exampleWorkspace(), { approval: { forbid_self_approval: true } });
    cli(PRECHECK, ws);
    const proposal = cli(PROPOSE, ws);
    for (const name of ['alice', 'Alice', ' ALICE ']) {
      expectRefused(ws, ['deploy', 'approve-and-publish', '--hash', proposal.manifest_hash, '--approver', name], ['self_approval'], /was proposed by alice, so .* may not approve it too/);
    }
    cli(approve(proposal.manifest_hash), ws);
  });

  it('require_engine: nautilus refuses a precheck whose precise channel fell back to the built-in engine', () => {
    const ws = withConfig(exampleWorkspace(), { approval: { require_engine: 'nautilus' } });
    const report = cli(['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--python', join(ws, 'no-such-python')], ws);
    assert.equal(report.precise.engine, 'builtin');
    assert.equal(report.precise.fallback.code, 'interpreter_missing');
    const text = runCli(['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--python', join(ws, 'no-such-python')], ws);
    assert.match(text.stdout, /WARNING {2}the precise channel fell back to the built-in engine/);
    const proposal = cli(PROPOSE, ws);
    expectRefused(ws, approve(proposal.manifest_hash), ['engine_required'], /the precise channel ran on builtin .* and the policy requires nautilus/);
  });

  it('evidence older than max_evidence_age_days is refused', () => {
    const ws = exampleWorkspace();
    cli(PRECHECK, ws);
    const proposal = cli(PROPOSE, ws);
    expectRefused(ws, approve(proposal.manifest_hash, '--set', 'approval.max_evidence_age_days=0.0000001'), ['evidence_stale'], /older than 1e-7 days/);
  });

  it("the seed's section 六 path works verbatim from the repository root of a fresh copy", () => {
    const root = tempDir('qraft-seed-');
    cpSync(EXAMPLES, join(root, 'examples'), { recursive: true, filter: (src) => !src.includes('artifacts') });
    const run = (args: string[], code = 0) => {
      const result = runCli(args, root);
      assert.equal(result.code, code, `qraft ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    };
    run(['deploy', 'precheck', '--strategy', 'examples/strategy.json', '--prices', 'examples/prices.csv', '--start', '2023-01-01', '--end', '2024-01-01']);
    run(['deploy', 'canary', '--strategy', 'examples/strategy.json', '--prices', 'examples/prices.csv']);
    const proposed = run(['deploy', 'propose', '--payload', 'artifacts/pool/payload.json', '--metadata', 'artifacts/pool/metadata.json']);
    const hash = /manifest_hash {2}([0-9a-f]{64})/.exec(proposed)?.[1] ?? '';
    assert.match(proposed, /evidence {7}precheck [0-9a-f]{12} \(passed\)/);
    assert.match(run(['deploy', 'approve-and-publish', '--hash', hash, '--approver', 'bob', '--note', 'first release']), /Approved and published sma-cross-spy@1\.0\.0 as CURRENT/);
    assert.match(run(['deploy', 'current']), /sma-cross-spy@1\.0\.0/);
    assert.match(run(['deploy', 'history']), /publish/);
    const rollback = runCli(['deploy', 'rollback'], root);
    assert.equal(rollback.code, 1);
    assert.equal(rollback.stderr, 'qraft: Only one version is on the release stack; there is no earlier version to roll back to.\n');
  });
});
