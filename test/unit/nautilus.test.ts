import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backtest } from '../../src/core/backtest/run';
import { loadPrices } from '../../src/core/backtest/data/load';
import { builtinEngine, runBuiltin } from '../../src/core/backtest/engines/builtin';
import { type Fill, fillsToList } from '../support/fills';
import { nautilusEngine, probeNautilus } from '../../src/core/backtest/engines/nautilus';
import { defaultPython } from '../../src/core/backtest/engines/python';
import { selectPreciseEngine } from '../../src/core/backtest/engines/select';
import type { Costs, EngineInput } from '../../src/core/backtest/engines/types';
import { GateConfigSchema } from '../../src/core/evidence/gates/config';
import { consistencyGate } from '../../src/core/evidence/gates/consistency';
import { quickEngine } from '../../src/core/backtest/engines/quick';
import { computeTargets } from '../../src/core/backtest/signals';
import { parseStrategy } from '../../src/core/backtest/strategy/load';
import type { Timing } from '../../src/core/backtest/strategy/schema';
import { frameFrom, targetsFrom } from '../support/frames';
import { DAILY, REPO_ROOT, cleanupTempDirs, exampleWorkspace, runCli, tempDir } from '../support/fixtures';

/** The venv `npm test` creates with the pinned nautilus_trader (scripts/setup-python.mjs). */
const PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
const nautilus = nautilusEngine({ python: PYTHON });

function script(body: string): string {
  const path = join(tempDir('qraft-fake-python-'), 'python');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** Running, and not a zombie waiting for a parent to reap it (an orphan's parent here may never). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(path); i += 1) await new Promise((r) => setTimeout(r, 25));
}

function assertSameFills(actual: Fill[], expected: Fill[]): void {
  assert.equal(actual.length, expected.length, 'fill count');
  actual.forEach((fill, index) => {
    const reference = expected[index];
    const where = `fill ${index} (${reference.symbol} bar ${reference.bar})`;
    assert.deepEqual([fill.bar, fill.symbol, fill.side, fill.quantity], [reference.bar, reference.symbol, reference.side, reference.quantity], where);
    assert.ok(Math.abs(fill.price - reference.price) < 0.005, `${where}: price ${fill.price} vs ${reference.price}`);
    assert.ok(Math.abs(fill.commission - reference.commission) < 0.005, `${where}: commission ${fill.commission} vs ${reference.commission}`);
  });
}

/** Whether some symbol's position went below zero at some fill. */
function heldShort(fills: Fill[], symbols: readonly string[]): boolean {
  const held = new Map(symbols.map((symbol) => [symbol, 0]));
  for (const fill of fills) {
    const next = held.get(fill.symbol)! + (fill.side === 'buy' ? fill.quantity : -fill.quantity);
    if (next < 0) return true;
    held.set(fill.symbol, next);
  }
  return false;
}

describe('NautilusTrader engine (real nautilus_trader in .venv)', function () {
  this.timeout(180_000);
  after(cleanupTempDirs);

  it('the venv has nautilus_trader and the probe reports its version', async () => {
    const probe = await probeNautilus(PYTHON);
    assert.ok(probe.ok, JSON.stringify(probe));
    assert.match(probe.version, /^1\.(22[1-9]|230)\.\d+$/);
  });

  it('qraft deploy precheck --engine nautilus passes on examples/ and names the NautilusTrader version', () => {
    const ws = exampleWorkspace();
    const run = runCli(['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--engine', 'nautilus', '--python', PYTHON, '--fmt', 'json'], ws);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.passed, true);
    assert.equal(report.precise.engine, 'nautilus');
    assert.match(report.precise.version, /^1\.\d+\.\d+$/);
    const text = runCli(['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--python', PYTHON], ws);
    assert.match(text.stdout, /precise {2}nautilus 1\.\d+\.\d+ \(auto: NautilusTrader 1\.\d+\.\d+ is importable by /);
  });

  it("the CLI uses the folder's own venv, never one in a parent folder, unless $QRAFT_PYTHON says otherwise", () => {
    const root = tempDir();
    mkdirSync(join(root, '.venv', 'bin'), { recursive: true });
    writeFileSync(join(root, '.venv', 'bin', 'python'), '');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    assert.equal(defaultPython(root, {}), join(root, '.venv', 'bin', 'python'));
    assert.equal(defaultPython(join(root, 'a', 'b'), {}), 'python3');
    assert.equal(defaultPython(join(root, 'a'), { QRAFT_PYTHON: '/opt/py/bin/python' }), '/opt/py/bin/python');
    assert.equal(defaultPython('/', {}), 'python3');
  });

  describe('hand-computed cases match the built-in engine fill for fill', () => {
    // Two symbols: A rallies, B is sold at bar 3 to fund more A; 10 bps commission, 5 bps slippage, $1 minimum.
    const frame = frameFrom({ A: [100, 102, 104.5, 103, 107, 110], B: [50, 49.5, 51, 52.25, 50, 48] });
    const targets = targetsFrom([
      [0.5, 0.5, 0.5, 0.9, 0.9, 0],
      [0.5, 0.5, 0.5, 0, 0, 0],
    ]);
    const costs: Costs = { commission_bps: 10, slippage_bps: 5, min_commission: 1 };
    for (const timing of ['close', 'next_close'] as Timing[]) {
      it(`${timing}: same fills (count, side, quantity), prices and commissions to the cent, same final equity`, async () => {
        const input: EngineInput = { frame, targets, costs, timing, lotSize: 1, cash: 10_000 };
        const expected = fillsToList(runBuiltin(input).fills, frame.symbols, frame.times);
        const run = await nautilus.run(input);
        assert.equal(run.engine, 'nautilus');
        const fills = fillsToList(run.fills, frame.symbols, frame.times);
        assertSameFills(fills, expected);
        // By hand, close timing, bar 0: equity 10,000; A: floor(5000/100) = 50 at 100.05, commission max(1, 0.001 × 5002.5) = 5.0025.
        if (timing === 'close') {
          assert.deepEqual([fills[0].symbol, fills[0].side, fills[0].quantity], ['A', 'buy', 50]);
          assert.ok(Math.abs(fills[0].price - 100.05) < 1e-9);
          assert.ok(Math.abs(fills[0].commission - 5.0025) < 0.005);
        } else {
          assert.equal(fills[0].bar, 1);
        }
        const strategy = parseStrategy({ name: 'x', version: '1', universe: ['A', 'B'], signal: { type: 'buy_and_hold' }, costs, execution: { timing } }, 'x.json', REPO_ROOT).strategy;
        const [viaBuiltin, viaNautilus] = await Promise.all([backtest(strategy, frame, targets, builtinEngine, 10_000), backtest(strategy, frame, targets, nautilus, 10_000)]);
        assert.ok(Math.abs(viaBuiltin.ledger.equity.at(-1)! - viaNautilus.ledger.equity.at(-1)!) < 0.01);
      });
    }
  });

  describe('real daily prices on the margin account: NautilusTrader matches the built-in engine fill for fill', () => {
    const cases = [
      {
        label: 'long/short sma_cross 10/30 on SPY, 1 bps + 2 bps slippage',
        universe: ['SPY'],
        signal: { type: 'sma_cross', fast: 10, slow: 30 },
        sizing: { allow_short: true },
        costs: { commission_bps: 1, slippage_bps: 2, min_commission: 0 },
        start: '2005-01-01',
      },
      {
        label: 'long/short momentum over SPY, QQQ, TLT, GLD (top 1 long, bottom 1 short), $1 minimum',
        universe: ['SPY', 'QQQ', 'TLT', 'GLD'],
        signal: { type: 'momentum', lookback: 60, top_n: 1, rebalance_every: 21 },
        sizing: { allow_short: true },
        costs: { commission_bps: 1, slippage_bps: 2, min_commission: 1 },
        start: '2005-01-01',
      },
      // With the former cash account this run stopped at its 51st order ("cash account would have gone negative").
      {
        label: 'zero-cost long-only mean_reversion on QQQ, 1999-2024',
        universe: ['QQQ'],
        signal: { type: 'mean_reversion', lookback: 20, entry_z: 1, exit_z: 0 },
        sizing: { allow_short: false },
        costs: { commission_bps: 0, slippage_bps: 0, min_commission: 0 },
        start: undefined,
      },
      {
        label: 'zero-cost long-only sma_cross 10/30 on SPY, 1993-2024',
        universe: ['SPY'],
        signal: { type: 'sma_cross', fast: 10, slow: 30 },
        sizing: { allow_short: false },
        costs: { commission_bps: 0, slippage_bps: 0, min_commission: 0 },
        start: undefined,
      },
    ];
    for (const test of cases) {
      it(test.label, async () => {
        const { strategy } = parseStrategy({ name: 'x', version: '1', universe: test.universe, signal: test.signal, sizing: test.sizing, costs: test.costs }, 'x.json', REPO_ROOT);
        const frame = loadPrices(DAILY, { universe: test.universe, start: test.start });
        assert.ok(frame.times.length > 4000, `${frame.times.length} bars`);
        const targets = computeTargets(strategy, { frame, strategyDir: REPO_ROOT });
        const [viaBuiltin, viaNautilus] = await Promise.all([backtest(strategy, frame, targets, builtinEngine, 1e6), backtest(strategy, frame, targets, nautilus, 1e6)]);
        assert.equal(viaNautilus.engine, 'nautilus');
        const expected = fillsToList(viaBuiltin.fills, frame.symbols, frame.times);
        const fills = fillsToList(viaNautilus.fills, frame.symbols, frame.times);
        assert.ok(expected.length > 50, `${expected.length} fills`);
        assertSameFills(fills, expected);
        if (test.sizing.allow_short) assert.ok(heldShort(fills, frame.symbols), 'the run never held a short position');
        if (test.costs.commission_bps === 0) assert.ok(fills.every((fill) => fill.commission === 0 && fill.slippage === 0));
        const builtinFinal = viaBuiltin.ledger.equity.at(-1)!;
        const nautilusFinal = viaNautilus.ledger.equity.at(-1)!;
        assert.ok(Math.abs(nautilusFinal - builtinFinal) < 0.01, `final equity ${nautilusFinal} vs ${builtinFinal}`);
      });
    }
  });

  it('qraft deploy precheck with auto runs a long/short strategy on NautilusTrader (no fallback)', () => {
    const ws = exampleWorkspace();
    const path = join(ws, 'strategy.json');
    const document = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(path, JSON.stringify({ ...document, sizing: { ...document.sizing, allow_short: true } }));
    const run = runCli(['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--engine', 'auto', '--python', PYTHON, '--fmt', 'json'], ws);
    assert.ok(run.code === 0 || run.code === 1, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.precise.engine, 'nautilus');
    assert.equal(report.precise.fallback, undefined);
    assert.match(report.precise.note, /^auto: NautilusTrader 1\.\d+\.\d+ is importable by /);
  });

  describe('real daily prices: quick vs NautilusTrader passes consistency, builtin vs NautilusTrader within 0.5%', () => {
    const cases = [
      { label: 'sma_cross on SPY', universe: ['SPY'], signal: { type: 'sma_cross', fast: 10, slow: 30 }, start: '2005-01-01' },
      { label: 'rsi on QQQ', universe: ['QQQ'], signal: { type: 'rsi', period: 14, lower: 30, upper: 70 }, start: '2010-01-01' },
      { label: 'momentum on SPY, QQQ, TLT, GLD', universe: ['SPY', 'QQQ', 'TLT', 'GLD'], signal: { type: 'momentum', lookback: 60, top_n: 2, rebalance_every: 21 }, start: '2005-01-01' },
    ];
    for (const test of cases) {
      it(test.label, async () => {
        const { strategy } = parseStrategy({ name: 'x', version: '1', universe: test.universe, signal: test.signal, costs: { commission_bps: 1, slippage_bps: 2, min_commission: 1 } }, 'x.json', REPO_ROOT);
        const frame = loadPrices(DAILY, { universe: test.universe, start: test.start });
        const targets = computeTargets(strategy, { frame, strategyDir: REPO_ROOT });
        const [quick, builtin, viaNautilus] = await Promise.all([
          backtest(strategy, frame, targets, quickEngine, 1e6),
          backtest(strategy, frame, targets, builtinEngine, 1e6),
          backtest(strategy, frame, targets, nautilus, 1e6),
        ]);
        const gate = consistencyGate(quick, viaNautilus, GateConfigSchema.parse({}).consistency);
        assert.equal(gate.passed, true, gate.summary);
        const builtinFinal = builtin.ledger.equity.at(-1)!;
        const nautilusFinal = viaNautilus.ledger.equity.at(-1)!;
        assert.ok(Math.abs(nautilusFinal - builtinFinal) / builtinFinal < 0.005, `${nautilusFinal} vs ${builtinFinal}`);
        assert.ok(viaNautilus.fills.length > 10);
      });
    }
  });

  describe('failure paths are one clear error and leave no process behind', () => {
    const frame = frameFrom({ A: [100, 101, 102] });
    const input: EngineInput = { frame, targets: targetsFrom([[1, 1, 1]]), costs: { commission_bps: 0, slippage_bps: 0, min_commission: 0 }, timing: 'close', lotSize: 1, cash: 1000 };

    it('a missing interpreter', async () => {
      await assert.rejects(nautilusEngine({ python: '/nonexistent/python3' }).run(input), /The Python interpreter "\/nonexistent\/python3" was not found/);
      await assert.rejects(selectPreciseEngine('nautilus', { python: '/nonexistent/python3' }), /NautilusTrader cannot run: The Python interpreter .* was not found/);
      const auto = await selectPreciseEngine('auto', { python: '/nonexistent/python3' });
      assert.equal(auto.engine.name, 'builtin');
      assert.match(auto.note ?? '', /^auto: The Python interpreter .* was not found.*so the built-in engine ran$/);
    });

    it('nautilus_trader not installed: --engine nautilus says how to install it, auto falls back to builtin', async () => {
      // python3 -S leaves site-packages out, so nautilus_trader cannot be imported.
      const bare = script(`exec ${PYTHON} -S "$@"`);
      await assert.rejects(selectPreciseEngine('nautilus', { python: bare }), (err: Error) => {
        assert.match(err.message, /^NautilusTrader is not installed for .*; install it with .* -m pip install "nautilus_trader==1\.221\.0"/);
        assert.equal((err as { exitCode?: number }).exitCode, 2);
        return true;
      });
      const auto = await selectPreciseEngine('auto', { python: bare });
      assert.equal(auto.engine.name, 'builtin');
      assert.match(auto.note ?? '', /nautilus_trader is not importable by .*, so the built-in engine ran/);
      const chosen = await selectPreciseEngine('auto', { python: PYTHON });
      assert.equal(chosen.engine.name, 'nautilus');
      assert.match(chosen.note ?? '', /auto: NautilusTrader 1\.\d+\.\d+ is importable/);
    });

    it('a runner that crashes', async () => {
      await assert.rejects(nautilusEngine({ python: script('echo "Segmentation fault" >&2; kill -9 $$') }).run(input), /The NautilusTrader runner was killed by SIGKILL: Segmentation fault\./);
      await assert.rejects(nautilusEngine({ python: script('echo "boom" >&2; exit 7') }).run(input), /The NautilusTrader runner exited with code 7: boom\./);
    });

    it('malformed output', async () => {
      await assert.rejects(nautilusEngine({ python: script('echo "{not json" > "$4"; exit 0') }).run(input), /returned a result that is not valid JSON of the expected shape/);
      await assert.rejects(
        nautilusEngine({ python: script(`echo '{"ok": true, "nautilus_trader": "1.221.0", "fills": [{"bar": 9, "symbol": "A", "side": "BUY", "quantity": 1, "price": 1, "commission": 0, "executed_price": 1, "broker_commission": 0, "slippage": 0}], "final_balance": 0, "bars": 3}' > "$4"`) }).run(input),
        /returned a fill that does not fit the job \(A at bar 9\)/,
      );
    });

    it('a timeout kills the whole process group, even a child that keeps the pipes open, on time', async () => {
      const pidFile = join(tempDir(), 'child-pid');
      // The interpreter starts a child that inherits stdout/stderr and outlives it by a minute.
      const leaky = script(`sleep 60 & echo $! > ${pidFile}; sleep 60`);
      const started = Date.now();
      await assert.rejects(nautilusEngine({ python: leaky, timeoutMs: 700 }).run(input), /did not finish within 1 s, so the run was stopped/);
      assert.ok(Date.now() - started < 10_000, `the timeout took ${Date.now() - started} ms`);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await new Promise((done) => setTimeout(done, 200));
      assert.equal(alive(pid), false, `the child ${pid} was left running`);
    });

    it('an interpreter that exits but leaves a child holding the pipes does not keep the run waiting', async () => {
      const pidFile = join(tempDir(), 'child-pid');
      const leaves = script(`sleep 60 & echo $! > ${pidFile}; echo crashed >&2; exit 7`);
      const started = Date.now();
      await assert.rejects(nautilusEngine({ python: leaves, timeoutMs: 60_000 }).run(input), /exited with code 7/);
      assert.ok(Date.now() - started < 10_000, `waited ${Date.now() - started} ms for the orphan's pipes`);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await new Promise((done) => setTimeout(done, 200));
      assert.equal(alive(pid), false, `the orphan ${pid} is still running`);
    });

    it('a timeout kills the process', async () => {
      const pidFile = join(tempDir(), 'pid');
      const slow = script(`echo $$ > ${pidFile}; exec sleep 60`);
      await assert.rejects(nautilusEngine({ python: slow, timeoutMs: 700 }).run(input), /did not finish within 1 s, so the run was stopped/);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      assert.equal(alive(pid), false, `process ${pid} is still running`);
    });

    it('cancellation kills the real NautilusTrader process', async () => {
      const pidFile = join(tempDir(), 'pid');
      const wrapped = script(`echo $$ > ${pidFile}; exec ${PYTHON} "$@"`);
      const frameLong = loadPrices(join(DAILY, 'SPY.csv'), { universe: ['SPY'] });
      const weights = Float64Array.from({ length: frameLong.times.length }, (_, bar) => (bar % 2 === 0 ? 1 : 0.5));
      const controller = new AbortController();
      const running = nautilusEngine({ python: wrapped }).run(
        { frame: frameLong, targets: { weights: [weights], rebalance: new Uint8Array(weights.length).fill(1) }, costs: input.costs, timing: 'close', lotSize: 1, cash: 1e6 },
        { signal: controller.signal },
      );
      await waitFor(pidFile);
      await new Promise((r) => setTimeout(r, 300));
      controller.abort();
      await assert.rejects(running, /The NautilusTrader run was cancelled/);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(alive(pid), false, `process ${pid} is still running`);
    });

    it('next_open is refused before any process starts', async () => {
      await assert.rejects(nautilus.run({ ...input, timing: 'next_open' }), /NautilusTrader has no next-bar-open execution/);
      await assert.rejects(selectPreciseEngine('nautilus', { python: PYTHON, timing: 'next_open' }), /no next-bar-open execution/);
    });
  });
});
