import * as vscode from 'vscode';
import { InputError } from '../core/shared/errors';
import { type QraftWorkspace, openWorkspace } from '../core/release/workspace';
import { folderNamed } from './models/nodes';
import { settingOverrides, stringSetting } from './settings';

/** The workspace folder commands act on: the hint's or active editor's, else the only one, else a pick. */
export async function pickWorkspaceFolder(hint?: vscode.Uri): Promise<vscode.WorkspaceFolder | undefined> {
  const fromHint = hint ?? vscode.window.activeTextEditor?.document.uri;
  const owner = fromHint ? vscode.workspace.getWorkspaceFolder(fromHint) : undefined;
  if (owner) return owner;
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new InputError(vscode.l10n.t('Open a folder first: Qraft keeps its pool and deploy files in the workspace.'));
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: vscode.l10n.t('Workspace folder holding the Qraft artifacts') });
}

/** The folder's pool, deploy store, reports and config (qraft.config.json), from its settings. */
export function workspaceFor(folder: vscode.WorkspaceFolder): QraftWorkspace {
  return openWorkspace({
    root: folder.uri.fsPath,
    poolRoot: stringSetting(folder, 'poolRoot'),
    deployDir: stringSetting(folder, 'deployDir'),
    reportsDir: stringSetting(folder, 'reportsDir'),
    overrides: settingOverrides(folder),
    overridesLabel: 'the qraft.* settings',
  });
}

export interface WorkspaceRelease extends QraftWorkspace {
  folder: vscode.WorkspaceFolder;
}

export async function pickRelease(hint?: vscode.Uri): Promise<WorkspaceRelease | undefined> {
  const folder = await pickWorkspaceFolder(hint);
  return folder ? { folder, ...workspaceFor(folder) } : undefined;
}

/**
 * The release a command given a tree row acts on: that of the row's workspace folder (its URI
 * string). Without one (the palette, a view's title bar) it is picked as pickRelease does.
 */
export async function releaseIn(folder: string | undefined): Promise<WorkspaceRelease | undefined> {
  if (folder === undefined) return pickRelease();
  const open = folderNamed(vscode.workspace.workspaceFolders ?? [], folder);
  if (!open) throw new InputError(vscode.l10n.t('The workspace folder {0} is no longer open; refresh the Qraft views.', folder));
  return { folder: open, ...workspaceFor(open) };
}
