import * as vscode from 'vscode';
import type { DeployState } from '../core/release/deploy/store';
import { deploymentNodes } from './models/deployment';
import type { ViewNode } from './models/nodes';
import { poolNodes } from './models/pool';
import { NodeTreeProvider } from './treeItems';
import { workspaceFor } from './workspace';

export interface ReleaseTrees {
  deployment: NodeTreeProvider;
  pool: NodeTreeProvider;
  /** Reloads both trees from disk. */
  refresh(): void;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** With several workspace folders each gets a folder row; with one, its rows are at the top. */
async function perFolder(build: (folder: vscode.WorkspaceFolder) => Promise<ViewNode[]>): Promise<ViewNode[]> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 1) return build(folders[0]);
  const groups = await Promise.all(folders.map(async (folder) => ({ folder, children: await build(folder) })));
  return groups
    .filter((group) => group.children.length > 0)
    .map(({ folder, children }) => ({ id: `folder-${folder.index}`, label: folder.name, icon: 'root-folder', children: children.map((child) => ({ ...child, id: `${folder.index}-${child.id}` })) }));
}

export async function deployState(folder: vscode.WorkspaceFolder): Promise<DeployState | { error: string }> {
  try {
    return await workspaceFor(folder).release.deploy.read();
  } catch (err) {
    return { error: message(err) };
  }
}

/** The Deployment and Strategy Pool trees, registered as views of the Qraft container. */
export function registerTrees(context: vscode.ExtensionContext): ReleaseTrees {
  const deployment = new NodeTreeProvider(() => perFolder(async (folder) => deploymentNodes(await deployState(folder), new Date())));
  const pool = new NodeTreeProvider(() =>
    perFolder(async (folder) => {
      const workspace = workspaceFor(folder);
      const state = await deployState(folder);
      const currentHash = 'error' in state ? undefined : state.current?.manifest_hash;
      let listing;
      try {
        listing = workspace.release.listPool();
      } catch (err) {
        listing = { error: message(err) };
      }
      return poolNodes(listing, currentHash, new Date(), (hash) => workspace.release.pool.candidateFiles(hash).manifest);
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
