import { isAbsolute, relative } from 'node:path';
import * as vscode from 'vscode';
import { fileStoreOf } from '../core/release/store/file';
import { resetStores, workspaceFor } from './workspace';

const DEBOUNCE_MS = 150;

/**
 * Calls `onChange` (debounced) when anything under a folder's pool, deploy or reports directory
 * changes on disk, whoever wrote it (the extension, the CLI, another window); with a database store,
 * when the store reports a change (any client's write, or a reconnect). Watchers are rebuilt
 * when folders or the qraft settings change.
 */
export function watchArtifacts(context: vscode.ExtensionContext, onChange: () => void): { rebuild(): void } {
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
      let workspace;
      try {
        workspace = workspaceFor(folder);
      } catch {
        continue; // a bad setting: the trees say why
      }
      const files = fileStoreOf(workspace.release.store);
      // A database store pushes its changes (LISTEN/NOTIFY); the file store's folders are watched on disk.
      if (!files) watchers.push(workspace.release.store.watch(fire));
      const dirs = files ? [files.pool.root, files.deploy.dir, workspace.reportsDir] : [workspace.reportsDir];
      for (const dir of dirs) {
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
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('qraft')) return;
      // Another store URL: the old connections go before the watchers subscribe again.
      if (event.affectsConfiguration('qraft.store')) void resetStores().then(rebuild);
      else rebuild();
    }),
    { dispose: () => { for (const watcher of watchers) watcher.dispose(); if (timer) clearTimeout(timer); } },
  );
  return { rebuild };
}
