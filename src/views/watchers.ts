import { isAbsolute, relative } from 'node:path';
import * as vscode from 'vscode';
import { workspaceFor } from './workspace';

const DEBOUNCE_MS = 150;

/**
 * Calls `onChange` (debounced) when anything under a folder's pool, deploy or reports directory
 * changes on disk, whoever wrote it (the extension, the CLI, another window). Watchers are rebuilt
 * when folders or the qraft settings change.
 */
export function watchArtifacts(context: vscode.ExtensionContext, onChange: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  const fire = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, DEBOUNCE_MS);
  };
  let watchers: vscode.Disposable[] = [];
  const rebuild = () => {
    for (const watcher of watchers) watcher.dispose();
    watchers = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const workspace = workspaceFor(folder);
      for (const dir of [workspace.release.pool.root, workspace.release.deploy.dir, workspace.reportsDir]) {
        const inside = relative(folder.uri.fsPath, dir);
        const pattern =
          inside && !inside.startsWith('..') && !isAbsolute(inside)
            ? new vscode.RelativePattern(folder, `${inside.split('\\').join('/')}/**`)
            : new vscode.RelativePattern(vscode.Uri.file(dir), '**');
        const watcher = vscode.workspace.createFileSystemWatcher(pattern);
        watcher.onDidCreate(fire);
        watcher.onDidChange(fire);
        watcher.onDidDelete(fire);
        watchers.push(watcher);
      }
    }
    fire();
  };
  rebuild();
  context.subscriptions.push(
    vscode.workspace.onDidChangeWorkspaceFolders(rebuild),
    vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration('qraft') && rebuild()),
    { dispose: () => { for (const watcher of watchers) watcher.dispose(); if (timer) clearTimeout(timer); } },
  );
}
