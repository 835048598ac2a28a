import { strict as assert } from 'node:assert';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEntry } from '../../src/core/release/deploy/schemas';
import { cleanupTempDirs, exampleWorkspace, readJson, runCli, snapshot, writeJson } from '../support/fixtures';

type Json = Record<string, any>;

function cli(args: string[], cwd: string, expectedCode = 0): Json {
  const run = runCli([...args, '--fmt', 'json'], cwd);
  assert.equal(run.code, expectedCode, `qraft ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Json;
}

const PRECHECK = ['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin'];
const PROPOSE = ['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json'];

describe('gated release through the CLI', () => {
  after(cleanupTempDirs);

  it('precheck → propose attaches the passing report → approve-and-publish goes through', () => {
    const ws = exampleWorkspace();
    const report = cli(PRECHECK, ws);
    assert.equal(report.passed, true);
    assert.equal(report.gates.length, 5);
    assert.equal(report.precise.engine, 'builtin');
    assert.match(report.report_path, /artifacts\/reports\/precheck-[0-9a-f]{64}\.json$/);
    const canary = cli(['deploy', 'canary', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--cash-ratio', '0.1', '--base-cash', '200000'], ws);
    assert.equal(canary.cash, 20_000);
    const proposal = cli(PROPOSE, ws);
    const evidence = readdirSync(join(ws, 'artifacts', 'pool', 'candidates', proposal.manifest_hash, 'evidence')).sort();
    assert.deepEqual(evidence, [`canary-${canary.report_hash}.json`, `precheck-${report.report_hash}.json`]);
    assert.deepEqual(proposal.evidence.map((saved: Json) => saved.report_hash), [report.report_hash, canary.report_hash]);
    const published = cli(['deploy', 'approve-and-publish', '--hash', proposal.manifest_hash, '--approver', 'bob'], ws);
    assert.equal(published.current.manifest_hash, proposal.manifest_hash);
    assert.equal(published.entry.forced, undefined);
  });

  it('refuses a candidate without a precheck (exit 1, nothing written) unless --force with a note, which HISTORY records', () => {
    const ws = exampleWorkspace();
    const proposal = cli(PROPOSE, ws);
    const before = snapshot(ws);
    const refused = runCli(['deploy', 'approve-and-publish', '--hash', proposal.manifest_hash, '--approver', 'bob'], ws);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Approval refused: .*has no precheck of its payload in its evidence \(override with --force and a --note\)/);
    assert.deepEqual(snapshot(ws), before);
    const noNote = runCli(['deploy', 'approve-and-publish', '--hash', proposal.manifest_hash, '--approver', 'bob', '--force'], ws);
    assert.equal(noNote.code, 2);
    assert.match(noNote.stderr, /--force needs a --note/);
    const forced = cli(['deploy', 'approve-and-publish', '--hash', proposal.manifest_hash, '--approver', 'bob', '--force', '--note', 'hotfix, precheck tomorrow'], ws);
    assert.deepEqual(forced.overridden, ['precheck_missing']);
    const history = readJson<HistoryEntry[]>(join(ws, 'artifacts', 'deploy', 'HISTORY.json'));
    assert.equal(history[0].forced, true);
    assert.equal(history[0].note, 'hotfix, precheck tomorrow');
    assert.equal(readJson<Json>(join(ws, 'artifacts', 'pool', 'stable', proposal.manifest_hash, 'manifest.json')).forced, true);
    assert.equal(cli(['deploy', 'verify'], ws).ok, true);
  });

  it('refuses a failed precheck, and a report altered after proposal', () => {
    const ws = exampleWorkspace();
    // Whole 100-share lots on 15,000 keep the precise engine flat: consistency fails, exit 1.
    const strategy = readJson<Json>(join(ws, 'strategy.json'));
    writeJson(join(ws, 'strategy.json'), { ...strategy, execution: { lot_size: 100 } });
    const failed = cli([...PRECHECK, '--base-cash', '15000'], ws, 1);
    assert.equal(failed.passed, false);
    const proposal = cli(PROPOSE, ws);
    const refused = runCli(['deploy', 'approve-and-publish', '--hash', proposal.manifest_hash, '--approver', 'bob'], ws);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the precheck report [0-9a-f]{12} does not pass: its consistency gate fails under the current thresholds/);

    writeJson(join(ws, 'strategy.json'), strategy);
    cli(PRECHECK, ws);
    const good = cli(PROPOSE, ws);
    const evidence = join(ws, 'artifacts', 'pool', 'candidates', good.manifest_hash, 'evidence');
    const name = readdirSync(evidence).find((file) => file.startsWith('precheck-'));
    assert.ok(name);
    const altered = readJson<Json>(join(evidence, name));
    writeFileSync(join(evidence, name), JSON.stringify({ ...altered, passed: true, cash: 1 }));
    const tampered = runCli(['deploy', 'approve-and-publish', '--hash', good.manifest_hash, '--approver', 'bob'], ws);
    assert.equal(tampered.code, 1);
    assert.match(tampered.stderr, /does not hash to its name or is not a valid report/);
  });

  it('thresholds come from qraft.config.json and --set; bad values are exit 2 naming the key', () => {
    const ws = exampleWorkspace();
    const strict = cli([...PRECHECK, '--set', 'gates.consistency.tolerance=0.0000001'], ws, 1);
    const consistency = strict.gates.find((g: Json) => g.name === 'consistency');
    assert.equal(consistency.threshold, 0.0000001);
    assert.equal(consistency.passed, false);
    writeJson(join(ws, 'qraft.config.json'), { canary: { max_drawdown: 0.01 } });
    const canary = cli(['deploy', 'canary', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv'], ws, 1);
    assert.equal(canary.verdict, 'fail');
    writeJson(join(ws, 'qraft.config.json'), { gates: { consistency: { tolerance: 'wide' } } });
    const bad = runCli(PRECHECK, ws);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /qraft\.config\.json is invalid: gates\.consistency\.tolerance: /);
    const badSet = runCli([...PRECHECK.slice(0, 2), '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--set', 'nonsense'], ws);
    assert.equal(badSet.code, 2);
    assert.match(badSet.stderr, /--set "nonsense" must look like section\.key=value/);
  });

  it('bad precheck input is one sentence and exit 2', () => {
    const ws = exampleWorkspace();
    const cases: [string[], RegExp][] = [
      [['deploy', 'precheck', '--prices', 'prices/SPY.csv'], /needs --strategy/],
      [['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'missing.csv'], /missing\.csv/],
      [[...PRECHECK.slice(0, 6), '--engine', 'fast'], /--engine must be one of auto, builtin, nautilus/],
      [[...PRECHECK, '--base-cash=-5'], /--base-cash must be a positive number/],
      [[...PRECHECK, '--base-cash', '-5'], /^qraft: --base-cash must be a positive number, not "-5"\./],
      [[...PRECHECK, '--start', 'yesterday'], /--start/],
      [['deploy', 'canary', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--cash-ratio', '2'], /--cash-ratio must be at most 1/],
    ];
    writeFileSync(join(ws, 'broken.json'), '{"name": "x", "version": "1", "universe": ["SPY"], "signal": {"type": "sma_cross", "fast": 30, "slow": 10}}');
    cases.push([['deploy', 'precheck', '--strategy', 'broken.json', '--prices', 'prices/SPY.csv'], /broken\.json is invalid: signal\.fast: fast must be shorter than slow/]);
    for (const [args, message] of cases) {
      const before = snapshot(ws);
      const run = runCli(args, ws);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split('\n').length, 1);
      assert.deepEqual(snapshot(ws), before);
    }
  });
});
