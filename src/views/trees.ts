import * as vscode from 'vscode';
import type { HistoryEntry } from '../core/release/deploy/schemas';
import type { DeployState } from '../core/release/deploy/store';
import type { EntrySignature } from '../core/release/service';
import { type DeployProblem, deploymentNodes } from './models/deployment';
import { type ViewNode, folderRow } from './models/nodes';
import { poolNodes } from './models/pool';
import { NodeTreeProvider } from './treeItems';
import { storeKindFor, workspaceFor } from './workspace';

export interface ReleaseTrees {
  deployment: NodeTreeProvider;
  pool: NodeTreeProvider;
  /** Reloads both trees from disk. */
  refresh(): void;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * With several workspace folders each gets a folder row; with one, its rows are at the top.
 * `build` gets the folder and its URI string, which every row it makes carries.
 */
async function perFolder(build: (folder: vscode.WorkspaceFolder, uri: string) => Promise<ViewNode[]>): Promise<ViewNode[]> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return build(folders[0], folders[0].uri.toString());
  const groups = await Promise.all(folders.map(async (folder) => ({ folder, children: await build(folder, folder.uri.toString()) })));
  return groups
    .filter((group) => group.children.length > 0)
    .map(({ folder, children }) => folderRow({ index: folder.index, name: folder.name, uri: folder.uri.toString() }, children));
}

export async function deployState(folder: vscode.WorkspaceFolder): Promise<DeployState | DeployProblem> {
  try {
    return await workspaceFor(folder).release.store.readDeploy();
  } catch (err) {
    return { error: message(err), store: storeKindFor(folder) };
  }
}

/** The badge of each signed HISTORY entry: checked against the folder's allowed-signers file (cached). */
function signatureBadges(folder: vscode.WorkspaceFolder): ((entry: HistoryEntry) => EntrySignature) | undefined {
  try {
    const release = workspaceFor(folder).release;
    return (entry) => release.entrySignature(entry);
  } catch {
    return undefined;
  }
}

/** The Deployment and Strategy Pool trees, registered as views of the Qraft container. */
export function registerTrees(context: vscode.ExtensionContext): ReleaseTrees {
  const deployment = new NodeTreeProvider(() => perFolder(async (folder, uri) => deploymentNodes(await deployState(folder), new Date(), uri, signatureBadges(folder))));
  const pool = new NodeTreeProvider(() =>
    perFolder(async (folder, uri) => {
      const state = await deployState(folder);
      const currentHash = 'error' in state ? undefined : state.current?.manifest_hash;
      let listing;
      try {
        listing = await workspaceFor(folder).release.listPool();
      } catch (err) {
        listing = { error: message(err) };
      }
      return poolNodes(listing, currentHash, new Date(), uri);
    }),
  );
  context.subscriptions.push(
    deployment,
    pool,
    vscode.window.createTreeView('qraft.deployment', { treeDataProvider: deployment, showCollapseAll: false }),
    vscode.window.createTreeView('qraft.pool', { treeDataProvider: pool, showCollapseAll: true }),
  );
  return {
    deployment,
    pool,
    refresh() {
      deployment.refresh();
      pool.refresh();
    },
  };
}
