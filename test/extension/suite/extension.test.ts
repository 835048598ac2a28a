import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { QraftApi } from '../../../src/extension';

const EXTENSION_ID = 'qraft.qraft-release';

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Qraft Release in the extension host', () => {
  let api: QraftApi;
  const folder = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
  const cli = (...args: string[]) => execFileSync(process.execPath, [join(__dirname, '..', '..', '..', 'dist', 'cli.js'), 'deploy', ...args], { cwd: folder(), encoding: 'utf8' });

  before(async () => {
    const extension = vscode.extensions.getExtension<QraftApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed`);
    api = await extension.activate();
  });

  it('registers every contributed command', async () => {
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), []);
  });

  it('the trees follow releases written by the CLI, and rollback from a history item changes CURRENT', async () => {
    for (const [file, note] of [['strategy.json', 'first'], ['payload.json', 'second']]) {
      cli('precheck', '--strategy', file, '--prices', 'prices/SPY.csv', '--engine', 'builtin');
      const hash = JSON.parse(cli('propose', '--payload', file, '--metadata', 'metadata.json', '--fmt', 'json')).manifest_hash as string;
      cli('approve-and-publish', '--hash', hash, '--approver', 'bob', '--note', note);
    }
    await until('CURRENT 1.1.0 in the Deployment tree', async () => (await api.deploymentNodes())[0]?.label === 'CURRENT  sma-cross-spy@1.1.0');
    const history = (await api.deploymentNodes())[1].children ?? [];
    const first = history.find((node) => node.label.startsWith('#1 publish'));
    assert.equal(first?.contextValue, 'qraft.history.rollbackable');
    // The command a history item's "Rollback to This Version…" runs, with that item; the prompts are answered by the test.
    const answers = ['tester', 'from the extension test'];
    const original = vscode.window.showInputBox;
    const confirm = vscode.window.showWarningMessage;
    (vscode.window as { showInputBox: unknown }).showInputBox = async () => answers.shift();
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = async () => 'Rollback';
    try {
      await vscode.commands.executeCommand('qraft.rollbackToVersion', first);
    } finally {
      (vscode.window as { showInputBox: unknown }).showInputBox = original;
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = confirm;
    }
    await until('CURRENT 1.0.0 again', async () => (await api.deploymentNodes())[0]?.label === 'CURRENT  sma-cross-spy@1.0.0');
  });
});
