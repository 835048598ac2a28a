import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { InputError } from '../core/errors';
import { DEFAULT_DEPLOY_DIR, DEFAULT_POOL_ROOT, ReleaseService } from '../core/release';

/** The workspace folder commands act on: the active editor's, else the only one, else a pick. */
export async function pickWorkspaceFolder(hint?: vscode.Uri): Promise<vscode.WorkspaceFolder | undefined> {
  const fromHint = hint ?? vscode.window.activeTextEditor?.document.uri;
  const owner = fromHint ? vscode.workspace.getWorkspaceFolder(fromHint) : undefined;
  if (owner) return owner;
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new InputError('Open a folder first: Qraft keeps its pool and deploy files in the workspace.');
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Workspace folder holding the Qraft artifacts' });
}

/** A setting that names a folder, resolved against the workspace folder when relative. */
export function folderSetting(folder: vscode.WorkspaceFolder, key: string, fallback: string): string {
  const value = vscode.workspace.getConfiguration('qraft', folder.uri).get<string>(key)?.trim() || fallback;
  return isAbsolute(value) ? value : join(folder.uri.fsPath, value);
}

export interface WorkspaceRelease {
  folder: vscode.WorkspaceFolder;
  release: ReleaseService;
}

/** The release service for a workspace folder, configured from its settings. */
export function releaseFor(folder: vscode.WorkspaceFolder): ReleaseService {
  return new ReleaseService({
    poolRoot: folderSetting(folder, 'poolRoot', DEFAULT_POOL_ROOT),
    deployDir: folderSetting(folder, 'deployDir', DEFAULT_DEPLOY_DIR),
  });
}

export async function pickRelease(hint?: vscode.Uri): Promise<WorkspaceRelease | undefined> {
  const folder = await pickWorkspaceFolder(hint);
  return folder ? { folder, release: releaseFor(folder) } : undefined;
}
