import { strict as assert } from 'node:assert';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, exampleWorkspace, readJson, runCli, snapshot, writeJson } from '../support/fixtures';

type Json = Record<string, any>;

/** Asserts exit 2, one sentence matching `message`, no stack, nothing on disk changed, and none of `secrets` printed. */
function refusedInput(ws: string, args: string[], message: RegExp, env: NodeJS.ProcessEnv = {}, secrets: string[] = []): void {
  const before = snapshot(ws);
  const run = runCli(args, ws, env);
  assert.equal(run.code, 2, `expected exit 2 from qraft ${args.join(' ')}, got ${run.code}: ${run.stderr}`);
  assert.match(run.stderr, message);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at |Error:/);
  for (const secret of secrets) assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), `the output quotes ${secret}`);
  assert.deepEqual(snapshot(ws), before, 'a refused command changed files');
}

const PRECHECK = ['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin'];

function withStrategy(ws: string, changes: Json, name = 'strategy.json'): string {
  const strategy = readJson<Json>(join(ws, 'strategy.json'));
  writeJson(join(ws, name), { ...strategy, ...changes });
  return name;
}

describe('inputs that cannot reach outside, and limits', () => {
  after(cleanupTempDirs);

  describe('a weights file is confined to the strategy folder or the workspace root, and never quoted', () => {
    const SECRET = 'hunter2-do-not-print';

    it('/proc/self/environ (the CI runner\'s secrets) is refused without a word of it', () => {
      const ws = exampleWorkspace();
      withStrategy(ws, { signal: { type: 'weights', file: '/proc/self/environ' }, grid: undefined });
      refusedInput(ws, PRECHECK, /^qraft: signal\.file \/proc\/self\/environ resolves outside the strategy's folder and the workspace root; weights files must live there\.\n$/, { CI_TOKEN: SECRET }, [SECRET]);
    });

    it('../../etc/passwd, and a symlink inside the folder that points out, are refused', () => {
      const ws = exampleWorkspace();
      withStrategy(ws, { signal: { type: 'weights', file: '../../etc/passwd' }, grid: undefined });
      refusedInput(ws, PRECHECK, /signal\.file \.\.\/\.\.\/etc\/passwd resolves outside the strategy's folder/, {}, ['root:x:0']);
      symlinkSync('/etc/passwd', join(ws, 'weights.csv'));
      withStrategy(ws, { signal: { type: 'weights', file: 'weights.csv' }, grid: undefined });
      refusedInput(ws, PRECHECK, /signal\.file weights\.csv resolves outside the strategy's folder/, {}, ['root:x:0']);
    });

    it('a file inside the folder that is not a weights file is named, never quoted', () => {
      const ws = exampleWorkspace();
      writeFileSync(join(ws, 'notes.csv'), `${SECRET},x\nmore,${SECRET}\n`);
      withStrategy(ws, { signal: { type: 'weights', file: 'notes.csv' }, grid: undefined });
      refusedInput(ws, PRECHECK, /notes\.csv line 1: the header must name exactly the columns date,symbol,weight\./, {}, [SECRET]);
    });

    it('legitimate files pass: in the strategy folder, and in the workspace root for a strategy in a subfolder', () => {
      const ws = exampleWorkspace();
      const rows = ['date,symbol,weight', '2015-03-02,SPY,1', '2016-03-01,SPY,0', '2017-03-01,SPY,1', '2018-03-01,SPY,0'];
      writeFileSync(join(ws, 'weights.csv'), rows.join('\n') + '\n');
      withStrategy(ws, { signal: { type: 'weights', file: 'weights.csv' }, grid: undefined });
      const here = runCli([...PRECHECK, '--fmt', 'json'], ws);
      assert.ok(here.code === 0 || here.code === 1, here.stderr);
      mkdirSync(join(ws, 'strategies'));
      withStrategy(ws, { signal: { type: 'weights', file: '../weights.csv' }, grid: undefined }, join('strategies', 'w.json'));
      const sub = runCli(['deploy', 'precheck', '--strategy', 'strategies/w.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin', '--fmt', 'json'], ws);
      assert.ok(sub.code === 0 || sub.code === 1, sub.stderr);
      assert.equal(JSON.parse(sub.stdout).strategy.name, 'sma-cross-spy');
    });
  });

  it('the CLI never runs a .venv found in a parent folder, only the workspace\'s own', () => {
    const parent = exampleWorkspace();
    const planted = join(parent, '.venv', 'bin');
    mkdirSync(planted, { recursive: true });
    const marker = join(parent, 'PLANTED-INTERPRETER-RAN');
    writeFileSync(join(planted, 'python'), `#!/bin/sh\ntouch ${marker}\nexit 1\n`);
    chmodSync(join(planted, 'python'), 0o755);
    const child = join(parent, 'team');
    mkdirSync(join(child, 'prices'), { recursive: true });
    writeFileSync(join(child, 'strategy.json'), JSON.stringify(readJson(join(parent, 'strategy.json'))));
    copyFileSync(join(parent, 'prices', 'SPY.csv'), join(child, 'prices', 'SPY.csv'));
    const run = runCli(['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--fmt', 'json'], child, { QRAFT_PYTHON: '' });
    assert.ok(run.code === 0 || run.code === 1, run.stderr);
    assert.equal(existsSync(marker), false, 'the parent folder\'s interpreter ran');
    assert.notEqual(JSON.parse(run.stdout).precise.fallback?.detail ?? '', planted);
    // The workspace's own .venv is the one the set-up makes, and it is used.
    runCli(['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--fmt', 'json'], parent, { QRAFT_PYTHON: '' });
    assert.equal(existsSync(marker), true, 'the workspace\'s own .venv was not tried');
  });

  describe('limits: one sentence, exit 2, nothing written', () => {
    it('a 300×300×300 grid is refused before any variant runs', () => {
      const ws = exampleWorkspace();
      const axis = Array.from({ length: 300 }, (_, i) => i + 2);
      withStrategy(ws, { signal: { type: 'momentum', lookback: 20, top_n: 1, rebalance_every: 5 }, grid: { 'signal.lookback': axis, 'signal.top_n': axis, 'signal.rebalance_every': axis } });
      refusedInput(ws, PRECHECK, /strategy\.json grid makes 27,000,000 variants, more than the 1,000 allowed\./);
    });

    it('JSON nested 5,000 deep, a number of 1e400, over 10 MB, and /dev/zero as metadata', () => {
      const ws = exampleWorkspace();
      writeFileSync(join(ws, 'deep.json'), '['.repeat(5000) + ']'.repeat(5000));
      refusedInput(ws, ['deploy', 'propose', '--payload', 'deep.json', '--metadata', 'metadata.json'], /deep\.json nests deeper than 64 levels\./);
      writeFileSync(join(ws, 'huge-number.json'), '{"name": "x", "version": "1", "cash": 1e400}');
      refusedInput(ws, ['deploy', 'propose', '--payload', 'huge-number.json', '--metadata', 'metadata.json'], /huge-number\.json has a number at cash too large to be finite\./);
      writeFileSync(join(ws, 'big.json'), `{"name": "x", "version": "1", "pad": "${'x'.repeat(11 * 1024 * 1024)}"}`);
      refusedInput(ws, ['deploy', 'propose', '--payload', 'big.json', '--metadata', 'metadata.json'], /big\.json is larger than 10 MB, the limit for a payload\./);
      refusedInput(ws, ['deploy', 'propose', '--payload', 'strategy.json', '--metadata', '/dev/zero'], /\/dev\/zero is not a regular file\./);
    });

    it('a signal window longer than the data, and a price file beyond the size a string can hold', () => {
      const ws = exampleWorkspace();
      withStrategy(ws, { signal: { type: 'sma_cross', fast: 10, slow: 1_000_000_000 }, grid: undefined });
      refusedInput(ws, PRECHECK, /strategy\.json signal needs 1,000,000,000 bars before its first target, but prices\/SPY\.csv has 2,321 in the window\./);
      const ws2 = exampleWorkspace();
      const sparse = join(ws2, 'prices', 'HUGE.csv');
      writeFileSync(sparse, 'date,open,high,low,close,volume\n');
      truncateSync(sparse, 520 * 1024 * 1024);
      refusedInput(ws2, ['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/HUGE.csv', '--symbol', 'SPY', '--engine', 'builtin'], /prices\/HUGE\.csv is 520 MB, larger than the 500 MB a price file may be/);
    });
  });
});
