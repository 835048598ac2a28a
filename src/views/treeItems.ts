import * as vscode from 'vscode';
import type { ViewNode } from './models/nodes';

/** A view-model node as a tree row. */
export function toTreeItem(node: ViewNode): vscode.TreeItem {
  const state = node.children ? (node.collapsed ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded) : vscode.TreeItemCollapsibleState.None;
  const item = new vscode.TreeItem(node.label, state);
  item.id = node.id;
  item.description = node.description;
  if (node.markdownTooltip) {
    // Untrusted: no command links run from it; theme icons ($(pass)) are drawn.
    const markdown = new vscode.MarkdownString(node.markdownTooltip, true);
    markdown.isTrusted = false;
    item.tooltip = markdown;
  } else {
    item.tooltip = node.tooltip;
  }
  item.contextValue = node.contextValue;
  if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon, node.iconColor ? new vscode.ThemeColor(node.iconColor) : undefined);
  if (node.command) item.command = node.command;
  return item;
}

/** A tree over view-model nodes that a `load` function rebuilds on refresh. */
export class NodeTreeProvider implements vscode.TreeDataProvider<ViewNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private nodes: ViewNode[] | undefined;

  constructor(private readonly load: () => Promise<ViewNode[]>) {}

  refresh(): void {
    this.nodes = undefined;
    this.changed.fire();
  }

  /** The current top-level nodes (loaded on demand): also what tests and the status bar read. */
  async roots(): Promise<ViewNode[]> {
    this.nodes ??= await this.load();
    return this.nodes;
  }

  getTreeItem(node: ViewNode): vscode.TreeItem {
    return toTreeItem(node);
  }

  async getChildren(node?: ViewNode): Promise<ViewNode[]> {
    return node ? (node.children ?? []) : this.roots();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
