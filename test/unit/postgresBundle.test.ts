// node-postgres stays out of the extension's and the CLI's bundles: it is bundled alone into
// dist/pg.js (scripts/build.mjs), loaded by `await import('pg')` only when a PostgreSQL store is
// opened, and shipped in the VSIX. `npm test` builds before mocha; run alone, this builds when
// dist/pg.js is missing.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const dist = (name: string) => join(ROOT, 'dist', name);
/** A string only node-postgres's SCRAM authentication holds. */
const PG_MARKER = 'SCRAM-SERVER-FIRST-MESSAGE';

describe('the pg bundle', () => {
  before(function () {
    if (!existsSync(dist('pg.js'))) {
      this.timeout(120_000);
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    }
  });

  it('dist/pg.js holds node-postgres; dist/extension.js and dist/cli.js only import it', () => {
    assert.ok(readFileSync(dist('pg.js'), 'utf8').includes(PG_MARKER));
    for (const bundle of ['extension.js', 'cli.js']) {
      const text = readFileSync(dist(bundle), 'utf8');
      assert.ok(!text.includes(PG_MARKER), `${bundle} carries node-postgres`);
      assert.match(text, /import\("\.\/pg\.js"\)/, `${bundle} loads dist/pg.js on first use`);
    }
  });

  it('dist/pg.js loads on its own and gives the client and the pool', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require(dist('pg.js')) as { Client?: unknown; Pool?: unknown };
    assert.equal(typeof pg.Client, 'function');
    assert.equal(typeof pg.Pool, 'function');
  });

  it('the VSIX ships it', () => {
    const ignore = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((line) => line.trim());
    assert.ok(ignore.includes('!dist/pg.js'));
  });
});
