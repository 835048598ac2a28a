import * as vscode from 'vscode';
import { InputError } from '../core/shared/errors';
import { type QraftWorkspace, closeStores, openWorkspace } from '../core/release/workspace';
import type { ReleaseStore, StoreKind } from '../core/release/store/types';
import { folderNamed } from './models/nodes';
import { settingOverrides, stringSetting } from './settings';
import { storePasswordFor, storeSetting } from './storePassword';

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

/** The database stores the folders use, one per URL and password, kept open while the extension runs. */
const stores = new Map<string, ReleaseStore>();

/** Closes the database stores (a changed setting or password, deactivation); the next use reconnects. */
export function resetStores(): Promise<void> {
  return closeStores(stores);
}

/** The database stores open now (the watchers subscribe to them). */
export function openStores(): ReleaseStore[] {
  return [...stores.values()];
}

/**
 * The folder's pool, deploy store, reports and config (qraft.config.json), from its settings:
 * qraft.store (a PostgreSQL URL without a password; else $QRAFT_STORE; else the file store).
 */
export function workspaceFor(folder: vscode.WorkspaceFolder): QraftWorkspace {
  const setting = storeSetting(folder);
  const store = setting.url ?? process.env.QRAFT_STORE;
  return openWorkspace({
    root: folder.uri.fsPath,
    store,
    storeOrigin: setting.url ? 'the qraft.store setting' : '$QRAFT_STORE',
    ...(setting.location && storePasswordFor(setting.location) ? { storePassword: storePasswordFor(setting.location) } : {}),
    stores,
    poolRoot: stringSetting(folder, 'poolRoot'),
    deployDir: stringSetting(folder, 'deployDir'),
    reportsDir: stringSetting(folder, 'reportsDir'),
    overrides: settingOverrides(folder),
    overridesLabel: 'the qraft.* settings',
  });
}

/**
 * The kind of store a folder is set to use, for wording a problem: 'postgres' when qraft.store (or
 * else $QRAFT_STORE) names one, even a bad one (a setting's problem is the store's, not a file's).
 */
export function storeKindFor(folder: vscode.WorkspaceFolder): StoreKind {
  try {
    return workspaceFor(folder).release.store.kind;
  } catch {
    return stringSetting(folder, 'store') || process.env.QRAFT_STORE?.trim() ? 'postgres' : 'file';
  }
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
