import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXTENSION_BUNDLE, MAX_EXTENSION_BYTES, probeRequire, vscodeStubFolder } from '../../scripts/benchBundle';

// What the VSIX ships as its main: small, and inert until VS Code calls activate() (issue 14).
// `npm test` builds before mocha; run alone, this builds when dist/extension.js is missing.
describe('extension bundle', () => {
  let stub: ReturnType<typeof vscodeStubFolder>;

  before(function () {
    if (!existsSync(EXTENSION_BUNDLE)) {
      this.timeout(120_000);
      execFileSync(process.execPath, [resolve(__dirname, '..', '..', 'scripts', 'build.mjs')], { stdio: 'inherit' });
    }
    stub = vscodeStubFolder();
  });
  after(() => stub.dispose());

  it(`dist/extension.js is at most ${MAX_EXTENSION_BYTES.toLocaleString('en-US')} bytes`, () => {
    const bytes = statSync(EXTENSION_BUNDLE).size;
    assert.ok(bytes <= MAX_EXTENSION_BYTES, `dist/extension.js is ${bytes} bytes`);
  });

  it('is minified', () => {
    // A readable bundle has a line per statement; esbuild's minified output has a few hundred.
    const lines = execFileSync('wc', ['-l', EXTENSION_BUNDLE], { encoding: 'utf8' }).trim().split(/\s+/)[0];
    assert.ok(Number(lines) < 1000, `dist/extension.js has ${lines} lines`);
  });

  it('requiring it uses no vscode API, sets no global and exports only activate and deactivate', () => {
    const probe = probeRequire(EXTENSION_BUNDLE, stub.nodePath);
    assert.deepEqual(probe.vscodeUses, []);
    assert.deepEqual(probe.globalsAdded, []);
    assert.deepEqual(probe.exports.sort(), ['activate', 'deactivate']);
  });

  it('the probe catches a bundle that does work on load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qraft-bundle-'));
    try {
      const eager = join(dir, 'eager.js');
      writeFileSync(eager, "const vscode = require('vscode'); const emitter = new vscode.EventEmitter(); globalThis.__built = true; exports.activate = () => emitter;");
      const probe = probeRequire(eager, stub.nodePath);
      assert.deepEqual(probe.vscodeUses, ['EventEmitter', 'new EventEmitter']);
      assert.deepEqual(probe.globalsAdded, ['__built']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
