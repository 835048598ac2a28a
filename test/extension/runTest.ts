// `npm run test:electron`: the extension-host suite in a downloaded desktop VS Code, for machines
// that can download it (this project's CI cannot reach update.code.visualstudio.com and runs the
// same checks through code-server instead: test/e2e). It opens a fresh copy of examples/.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = join(__dirname, '..', '..');
  const workspace = mkdtempSync(join(tmpdir(), 'qraft-electron-'));
  cpSync(join(root, 'examples'), workspace, { recursive: true, filter: (src) => !src.includes('artifacts') });
  await runTests({
    version: process.env.QRAFT_VSCODE_VERSION ?? '1.100.0',
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'extension-tests', 'index.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
  });
}

main().catch((err) => {
  console.error(`test:electron: ${(err as Error).message}`);
  process.exit(1);
});
