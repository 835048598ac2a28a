import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINE_NAMES } from '../../src/core/backtest/engines/types';
import { pythonNamesModule, runnerNames } from '../../src/core/backtest/engines/runnerNames';
import { METRICS, METRIC_NAMES } from '../../src/core/backtest/metrics';
import { TIMINGS } from '../../src/core/backtest/strategy/schema';
import { GATE_NAMES } from '../../src/core/evidence/gates/types';
import { EngineSummarySchema, GateResultSchema, MetricsSchema, PrecheckReportSchema } from '../../src/core/evidence/reports/schema';
import { REPO_ROOT } from '../support/fixtures';

const NAMES_PY = join(REPO_ROOT, 'python', 'qraft_nautilus', 'names.py');
const PYTHON = join(REPO_ROOT, '.venv', 'bin', 'python');

describe('one definition per name', () => {
  it('python/qraft_nautilus/names.py is what the TypeScript definitions generate (run npm run schemas after changing them)', () => {
    assert.equal(readFileSync(NAMES_PY, 'utf8'), pythonNamesModule(), 'python/qraft_nautilus/names.py is stale');
  });

  it('the Python runner sees the same values as the TypeScript side', function () {
    const python = existsSync(PYTHON) ? PYTHON : 'python3';
    const names = runnerNames().map(([name]) => name);
    const script = `import json; from qraft_nautilus import names, job, runner; print(json.dumps({n: getattr(names, n) for n in ${JSON.stringify(names)}}))`;
    const run = spawnSync(python, ['-c', script], { cwd: join(REPO_ROOT, 'python'), encoding: 'utf8' });
    if (run.error) this.skip();
    assert.equal(run.status, 0, run.stderr);
    const expected = Object.fromEntries(runnerNames().map(([name, value]) => [name, value]));
    assert.deepEqual(JSON.parse(run.stdout), JSON.parse(JSON.stringify(expected)));
  });

  it('the runner takes its timings, flags and codes from names.py, not literals of its own', () => {
    for (const file of ['job.py', 'runner.py', '__main__.py']) {
      const text = readFileSync(join(REPO_ROOT, 'python', 'qraft_nautilus', file), 'utf8');
      for (const literal of ['"bad_job"', '"unsupported"', '"unsupported_timing"', '"nautilus_missing"', '"nautilus_error"', '"next_close"', '"next_open"', '== "close"', 'REBALANCE_ALL = ', 'MAX_CASH = ', 'JOB_VERSION = ']) {
        assert.ok(!text.includes(literal), `${file} defines ${literal} itself`);
      }
    }
  });

  it('the report schema takes metric, gate, engine and timing names from their one definition', () => {
    assert.deepEqual(Object.keys(MetricsSchema.shape), METRIC_NAMES);
    assert.deepEqual(METRIC_NAMES, Object.keys(METRICS));
    assert.deepEqual(GateResultSchema.shape.name.options, [...GATE_NAMES]);
    assert.deepEqual(EngineSummarySchema.shape.engine.options, [...ENGINE_NAMES]);
    assert.deepEqual(PrecheckReportSchema.shape.timing.options, [...TIMINGS]);
  });
});
