import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSetOptions } from '../../src/cli/options';
import { loadConfig } from '../../src/core/release/config';
import { InputError } from '../../src/core/shared/errors';

describe('configuration', () => {
  let root = '';
  // Made when the tests run, not when the file loads: the suite runs for minutes before reaching these.
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'qraft-config-'));
    writeFileSync(join(root, 'qraft.config.json'), JSON.stringify({ gates: { consistency: { tolerance: 0.05, floors: { sharpe: 0.2 } } }, approval: { forbid_self_approval: true } }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('defaults, then the file, then typed overrides key by key, without dropping the file’s other keys', () => {
    const { config } = loadConfig({ root, overrides: { gates: { consistency: { floors: { ann_vol: 0.03 } } }, canary: { max_drawdown: 0.1 } } });
    assert.equal(config.gates.consistency.tolerance, 0.05);
    assert.equal(config.gates.consistency.floors.sharpe, 0.2);
    assert.equal(config.gates.consistency.floors.ann_vol, 0.03);
    assert.equal(config.gates.consistency.floors.total_return, 0.01);
    assert.equal(config.canary.max_drawdown, 0.1);
    assert.equal(config.approval.forbid_self_approval, true);
  });

  it('an override of the wrong type is one sentence naming the file, its origin and the key', () => {
    assert.throws(
      () => loadConfig({ root, overrides: { canary: { cash_ratio: 2 } }, overridesLabel: 'the qraft.* settings' }),
      (err: unknown) => err instanceof InputError && /qraft\.config\.json \(with the qraft\.\* settings\)/.test(err.message) && /cash_ratio/.test(err.message),
    );
  });

  it('--set strings become the same typed overrides (the CLI is the only place that parses them)', () => {
    assert.deepEqual(parseSetOptions(['gates.consistency.tolerance=0.1', 'approval.require_precheck=false', 'gates.cost_sensitivity.multipliers=[0.5,1,2]']), {
      gates: { consistency: { tolerance: 0.1 }, cost_sensitivity: { multipliers: [0.5, 1, 2] } },
      approval: { require_precheck: false },
    });
    assert.equal(parseSetOptions(undefined), undefined);
    assert.throws(() => parseSetOptions(['nonsense']), /--set "nonsense" must look like section\.key=value/);
    assert.throws(() => parseSetOptions(['gates.consistency=1', 'gates.consistency.tolerance=2']), /gates\.consistency\.tolerance: consistency is not a section/);
  });
});
