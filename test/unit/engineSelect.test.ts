import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NautilusProbe, probeNautilus } from '../../src/core/backtest/engines/nautilus';
import { type EngineSelectionOptions, nautilusRefusal, preciseNeeds, selectPreciseEngine } from '../../src/core/backtest/engines/select';
import { FALLBACK_CODES } from '../../src/core/backtest/engines/types';
import { parseStrategy } from '../../src/core/backtest/strategy/load';
import { GateConfigSchema, CanaryConfigSchema } from '../../src/core/evidence/gates/config';
import { PrecheckReportSchema } from '../../src/core/evidence/reports/schema';
import { precheckFiles } from '../../src/core/evidence/runFiles';
import { InputError } from '../../src/core/shared/errors';
import { EXAMPLES, REPO_ROOT, cleanupTempDirs, readJson, tempDir, writeJson } from '../support/fixtures';

const PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');
const SPY = join(EXAMPLES, 'prices', 'SPY.csv');
const CONFIG = { gates: GateConfigSchema.parse({}), canary: CanaryConfigSchema.parse({}) };

/** A probe that answers as told and counts its calls. */
function countingProbe(answer: NautilusProbe): { probe: NonNullable<EngineSelectionOptions['probe']>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    probe: async (python) => {
      calls.push(python);
      return answer;
    },
  };
}

const IMPORT_ERROR = "nautilus_trader cannot be imported (ModuleNotFoundError: No module named 'nautilus_trader')";
const MISSING: NautilusProbe = { ok: false, code: 'nautilus_missing', message: IMPORT_ERROR };

/** An interpreter that runs without site-packages, so nautilus_trader cannot be imported. */
function pythonWithoutNautilus(): string {
  const path = join(tempDir('qraft-bare-python-'), 'python');
  const base = existsSync(PYTHON) ? PYTHON : 'python3';
  writeFileSync(path, `#!/bin/sh\nexec ${base} -S "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

function strategyFile(execution: Record<string, unknown>, sizing: Record<string, unknown> = {}): string {
  const document = readJson<Record<string, unknown>>(join(EXAMPLES, 'strategy.json'));
  return writeJson(join(tempDir(), 'strategy.json'), { ...document, execution, sizing: { ...(document.sizing as object), ...sizing }, grid: undefined });
}

function refusedAsUnavailable(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof InputError, String(err));
    assert.equal(err.kind, 'engine_unavailable');
    assert.equal(err.exitCode, 2);
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /--/, 'no CLI flag in a core message');
    return true;
  };
}

describe('precise engine selection: one place, one probe, a typed fallback', function () {
  this.timeout(120_000);
  after(cleanupTempDirs);

  it('the fallback codes are one list, and the strategy-side refusals follow the runner', () => {
    // short_unsupported is no longer given (the runner's margin account sells short) but stays readable in old reports.
    assert.deepEqual([...FALLBACK_CODES], ['interpreter_missing', 'nautilus_missing', 'nautilus_broken', 'next_open_unsupported', 'lot_size_unsupported', 'short_unsupported', 'cash_unsupported']);
    assert.equal(nautilusRefusal({ timing: 'next_close', lotSize: 1, cash: 1e6 }), undefined);
    assert.equal(nautilusRefusal({ timing: 'close', lotSize: 100 }), undefined);
    assert.equal(nautilusRefusal({ timing: 'next_open' })?.code, 'next_open_unsupported');
    assert.equal(nautilusRefusal({ lotSize: 0 })?.code, 'lot_size_unsupported');
    assert.equal(nautilusRefusal({ lotSize: 0.5 })?.code, 'lot_size_unsupported');
    assert.equal(nautilusRefusal({ cash: 2e12 })?.code, 'cash_unsupported');
    const strategy = parseStrategy({ name: 'x', version: '1', universe: ['SPY'], signal: { type: 'buy_and_hold' }, execution: { lot_size: 0 } }, 'x.json', EXAMPLES).strategy;
    assert.deepEqual(preciseNeeds(strategy, 5), { timing: 'next_close', lotSize: 0, cash: 5 });
    const longShort = parseStrategy({ name: 'x', version: '1', universe: ['SPY'], signal: { type: 'sma_cross', fast: 10, slow: 30 }, sizing: { allow_short: true } }, 'x.json', EXAMPLES).strategy;
    assert.deepEqual(preciseNeeds(longShort, 5), { timing: 'next_close', lotSize: 1, cash: 5 });
    assert.equal(nautilusRefusal(preciseNeeds(longShort, 1e6)), undefined, 'allow_short runs on NautilusTrader');
  });

  it('auto with execution.lot_size 0 falls back to builtin with lot_size_unsupported, without probing', async () => {
    const { probe, calls } = countingProbe({ ok: true, version: '1.221.0', python: '3.11.2' });
    const selected = await selectPreciseEngine('auto', { python: PYTHON, lotSize: 0, probe });
    assert.equal(selected.engine.name, 'builtin');
    assert.equal(selected.fallback?.code, 'lot_size_unsupported');
    assert.match(selected.fallback?.message ?? '', /^NautilusTrader trades whole shares and cannot run execution\.lot_size 0 \(fractional quantities\)\.$/);
    assert.equal(selected.note, 'auto: NautilusTrader trades whole shares and cannot run execution.lot_size 0 (fractional quantities), so the built-in engine ran');
    assert.deepEqual(calls, []);
    for (const [needs, code] of [
      [{ timing: 'next_open' as const }, 'next_open_unsupported'],
      [{ lotSize: 2.5 }, 'lot_size_unsupported'],
      [{ cash: 5e12 }, 'cash_unsupported'],
    ] as const) {
      const other = await selectPreciseEngine('auto', { python: PYTHON, ...needs, probe });
      assert.equal(other.engine.name, 'builtin');
      assert.equal(other.fallback?.code, code);
    }
    assert.deepEqual(calls, []);
  });

  it('nautilus chosen by name with a strategy the runner refuses: engine_unavailable, one sentence, no flag', async () => {
    const { probe, calls } = countingProbe({ ok: true, version: '1.221.0', python: '3.11.2' });
    await assert.rejects(selectPreciseEngine('nautilus', { python: PYTHON, lotSize: 0, probe }), refusedAsUnavailable(/^NautilusTrader trades whole shares and cannot run execution\.lot_size 0 \(fractional quantities\); use a whole lot size of at least 1\.$/));
    await assert.rejects(selectPreciseEngine('nautilus', { python: PYTHON, timing: 'next_open', probe }), refusedAsUnavailable(/^NautilusTrader has no next-bar-open execution; use execution\.timing "next_close" or "close"\.$/));
    assert.deepEqual(calls, []);
  });

  it('auto with an interpreter lacking nautilus_trader falls back with nautilus_missing (a real probe)', async () => {
    const bare = pythonWithoutNautilus();
    const selected = await selectPreciseEngine('auto', { python: bare, lotSize: 1 });
    assert.equal(selected.engine.name, 'builtin');
    assert.equal(selected.fallback?.code, 'nautilus_missing');
    assert.equal(selected.fallback?.message, `nautilus_trader is not importable by ${bare}.`);
    assert.match(selected.fallback?.detail ?? '', /ModuleNotFoundError/);
    assert.equal(selected.note, `auto: nautilus_trader is not importable by ${bare}, so the built-in engine ran`);
    await assert.rejects(selectPreciseEngine('nautilus', { python: bare }), refusedAsUnavailable(/^NautilusTrader is not installed for .*; install it with .* -m pip install "nautilus_trader==1\.221\.0"/));
  });

  it('auto with an interpreter that does not exist falls back with interpreter_missing; by name it is interpreter_missing', async () => {
    const selected = await selectPreciseEngine('auto', { python: '/nonexistent/python3' });
    assert.equal(selected.engine.name, 'builtin');
    assert.equal(selected.fallback?.code, 'interpreter_missing');
    await assert.rejects(selectPreciseEngine('nautilus', { python: '/nonexistent/python3' }), (err: unknown) => {
      assert.ok(err instanceof InputError);
      assert.equal(err.kind, 'interpreter_missing');
      assert.equal(err.message, 'NautilusTrader cannot run: The Python interpreter "/nonexistent/python3" was not found.');
      return true;
    });
    const probe = await probeNautilus('/nonexistent/python3');
    assert.deepEqual(probe, { ok: false, code: 'interpreter_missing', message: 'The Python interpreter "/nonexistent/python3" was not found' });
  });

  it('an interpreter that answers the probe with something else is nautilus_broken', async () => {
    const path = join(tempDir('qraft-odd-python-'), 'python');
    writeFileSync(path, '#!/bin/sh\necho hello\n');
    chmodSync(path, 0o755);
    const selected = await selectPreciseEngine('auto', { python: path });
    assert.equal(selected.fallback?.code, 'nautilus_broken');
    await assert.rejects(selectPreciseEngine('nautilus', { python: path }), refusedAsUnavailable(/^NautilusTrader cannot run: ".*" did not answer the probe like a Python 3 interpreter\.$/));
  });

  describe('precheckFiles', () => {
    it('resolves a choice with one probe and records the typed fallback in the report', async () => {
      const { probe, calls } = countingProbe(MISSING);
      const reportsDir = tempDir();
      const saved = await precheckFiles({ strategyPath: join(EXAMPLES, 'strategy.json'), pricesPath: SPY, config: CONFIG, reportsDir, engine: 'auto', python: '/opt/python', probe });
      assert.deepEqual(calls, ['/opt/python'], 'one probe per precheck');
      const { precise } = saved.report;
      assert.equal(precise.engine, 'builtin');
      assert.deepEqual(precise.fallback, { code: 'nautilus_missing', message: 'nautilus_trader is not importable by /opt/python.', detail: IMPORT_ERROR });
      assert.equal(precise.note, 'auto: nautilus_trader is not importable by /opt/python, so the built-in engine ran');
      // The saved file holds the same, and reads back through the schema.
      const stored = PrecheckReportSchema.parse(JSON.parse(readFileSync(saved.path, 'utf8')));
      assert.equal(stored.precise.fallback?.code, 'nautilus_missing');
    });

    it('takes an engine selected beforehand (the extension) and probes no more', async () => {
      const { probe, calls } = countingProbe(MISSING);
      const selected = await selectPreciseEngine('auto', { python: '/opt/python', probe });
      assert.equal(calls.length, 1);
      const saved = await precheckFiles({ strategyPath: join(EXAMPLES, 'strategy.json'), pricesPath: SPY, config: CONFIG, reportsDir: tempDir(), engine: selected, probe });
      assert.equal(calls.length, 1, 'the precheck itself probed again');
      assert.equal(saved.report.precise.fallback?.code, 'nautilus_missing');
    });

    it('auto with execution.lot_size 0 runs the built-in engine instead of failing, and says why', async () => {
      const { probe, calls } = countingProbe({ ok: true, version: '1.221.0', python: '3.11.2' });
      const strategyPath = strategyFile({ lot_size: 0 });
      const saved = await precheckFiles({ strategyPath, pricesPath: SPY, config: CONFIG, reportsDir: tempDir(), engine: 'auto', python: PYTHON, probe });
      assert.deepEqual(calls, []);
      assert.equal(saved.report.precise.engine, 'builtin');
      assert.equal(saved.report.precise.fallback?.code, 'lot_size_unsupported');
      await assert.rejects(
        precheckFiles({ strategyPath, pricesPath: SPY, config: CONFIG, reportsDir: tempDir(), engine: 'nautilus', python: PYTHON, probe }),
        refusedAsUnavailable(/execution\.lot_size 0/),
      );
    });

    it('a report written before the fallback field existed still reads', async () => {
      const saved = await precheckFiles({ strategyPath: join(EXAMPLES, 'strategy.json'), pricesPath: SPY, config: CONFIG, reportsDir: tempDir(), engine: 'builtin' });
      assert.equal(saved.report.precise.fallback, undefined);
      assert.equal(saved.report.precise.note, undefined);
      const old = JSON.parse(JSON.stringify(saved.report));
      old.precise.note = 'auto: nautilus_trader is not importable by python3, so the built-in engine ran';
      const parsed = PrecheckReportSchema.parse(old);
      assert.equal(parsed.precise.fallback, undefined);
      assert.equal(parsed.precise.note, old.precise.note);
    });
  });

  it('auto with sizing.allow_short probes and picks NautilusTrader: no short fallback any more', async () => {
    const { probe, calls } = countingProbe({ ok: true, version: '1.221.0', python: '3.11.2' });
    const longShort = parseStrategy({ name: 'x', version: '1', universe: ['SPY'], signal: { type: 'sma_cross', fast: 10, slow: 30 }, sizing: { allow_short: true } }, 'x.json', EXAMPLES).strategy;
    const selected = await selectPreciseEngine('auto', { ...preciseNeeds(longShort, 1e6), python: PYTHON, probe });
    assert.equal(selected.engine.name, 'nautilus');
    assert.equal(selected.fallback, undefined);
    assert.deepEqual(calls, [PYTHON]);
    const byName = await selectPreciseEngine('nautilus', { ...preciseNeeds(longShort, 1e6), python: PYTHON, probe });
    assert.equal(byName.engine.name, 'nautilus');
  });

  it('a real NautilusTrader: a long/short precheck with auto runs it, and the report says so', async function () {
    if (!existsSync(PYTHON)) this.skip();
    const strategyPath = strategyFile({ lot_size: 1 }, { allow_short: true });
    const saved = await precheckFiles({ strategyPath, pricesPath: SPY, config: CONFIG, reportsDir: tempDir(), engine: 'auto', python: PYTHON });
    const { precise } = saved.report;
    assert.equal(precise.engine, 'nautilus');
    assert.match(precise.version, /^1\.\d+\.\d+$/);
    assert.equal(precise.fallback, undefined);
    assert.match(precise.note ?? '', /^auto: NautilusTrader 1\.\d+\.\d+ is importable by /);
    const stored = PrecheckReportSchema.parse(JSON.parse(readFileSync(saved.path, 'utf8')));
    assert.equal(stored.precise.engine, 'nautilus');
    // The same numbers as the built-in engine's precheck of the same long/short strategy.
    const builtin = (await precheckFiles({ strategyPath, pricesPath: SPY, config: CONFIG, reportsDir: tempDir(), engine: 'builtin' })).report.precise;
    for (const name of ['total_return', 'max_drawdown', 'sharpe', 'fees'] as const) {
      assert.ok(Math.abs(precise.metrics[name] - builtin.metrics[name]) < 1e-8, `${name}: ${precise.metrics[name]} vs ${builtin.metrics[name]}`);
    }
  });

  it('a real NautilusTrader: auto picks it when the strategy is one it runs', async function () {
    if (!existsSync(PYTHON)) this.skip();
    const selected = await selectPreciseEngine('auto', { python: PYTHON, timing: 'next_close', lotSize: 1, cash: 1e6 });
    assert.equal(selected.engine.name, 'nautilus');
    assert.equal(selected.fallback, undefined);
    assert.match(selected.note ?? '', /^auto: NautilusTrader 1\.\d+\.\d+ is importable by /);
  });
});
