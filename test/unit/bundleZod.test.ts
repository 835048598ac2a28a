// The extension bundle leaves zod's JSON Schema converter out (scripts/zodJsonSchemaOut.mjs, ≈ 18 KB):
// the schemas bundled with that plugin must parse and refuse exactly as the sources do, and only
// a JSON Schema conversion (which the extension never asks for) hits the stub.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { AnyReportSchema } from '../../src/core/evidence/reports/schema';
import { StrategySchema } from '../../src/core/backtest/strategy/schema';
import { QraftConfigSchema } from '../../src/core/release/config';
import { REPO_ROOT } from '../support/fixtures';

type Schemas = Record<'report' | 'strategy' | 'config', { safeParse(value: unknown): { success: boolean; data?: unknown; error?: { issues: unknown[] } }; toJSONSchema(): unknown }>;

describe('extension bundle without the zod JSON Schema converter', () => {
  let bundled: Schemas;

  before(async function () {
    this.timeout(60_000);
    const { zodJsonSchemaOut } = (await import(join(REPO_ROOT, 'scripts', 'zodJsonSchemaOut.mjs'))) as { zodJsonSchemaOut: import('esbuild').Plugin };
    const result = await build({
      stdin: {
        contents: [
          "export { AnyReportSchema as report } from './src/core/evidence/reports/schema';",
          "export { StrategySchema as strategy } from './src/core/backtest/strategy/schema';",
          "export { QraftConfigSchema as config } from './src/core/release/config';",
        ].join('\n'),
        resolveDir: REPO_ROOT,
        loader: 'ts',
      },
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      logLevel: 'silent',
      external: ['arquero'],
      mainFields: ['module', 'main'],
      plugins: [zodJsonSchemaOut],
    });
    const text = result.outputFiles[0].text;
    const module = { exports: {} as Schemas };
    new Function('module', 'exports', 'require', text)(module, module.exports, require);
    bundled = module.exports;
  });

  it('parses and refuses like the sources', () => {
    const report = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'data', 'reference', 'precheck-parity.json'), 'utf8')) as Record<string, unknown>;
    const strategy = JSON.parse(readFileSync(join(REPO_ROOT, 'examples', 'strategy.json'), 'utf8')) as Record<string, unknown>;
    const cases: [keyof Schemas, { safeParse(value: unknown): unknown }, unknown[]][] = [
      ['strategy', StrategySchema, [strategy, { ...strategy, signal: { type: 'sma_cross', fast: 'ten' } }, { ...strategy, name: '' }, {}]],
      ['config', QraftConfigSchema, [{}, { gates: { consistency: { tolerance: 0.05 } } }, { gates: { consistency: { tolerance: -1 } } }, { nope: 1 }]],
      ['report', AnyReportSchema, [report.spy_sma, { kind: 'qraft.precheck' }, { kind: 'other' }]],
    ];
    for (const [name, source, values] of cases) {
      for (const value of values) assert.deepEqual(JSON.parse(JSON.stringify(bundled[name].safeParse(value))), JSON.parse(JSON.stringify(source.safeParse(value))), name);
    }
    assert.equal(bundled.strategy.safeParse(strategy).success, true);
  });

  it('only a JSON Schema conversion hits the stub', () => {
    assert.throws(() => bundled.strategy.toJSONSchema(), /JSON Schema conversion is not bundled in the extension/);
  });
});
