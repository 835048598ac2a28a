/**
 * Plain descriptions of tree rows, built from core state without vscode so they can be unit
 * tested; the tree providers turn them into vscode.TreeItems.
 */
import { l10n } from './localize';

export interface ViewNode {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  /** A Markdown tooltip (theme icons allowed, every value escaped) shown instead of `tooltip`. */
  markdownTooltip?: string;
  /** A row with children that starts collapsed (e.g. the Rejected group). */
  collapsed?: boolean;
  /** Drives the context menus in package.json (`viewItem == …`). */
  contextValue?: string;
  /** A codicon id. */
  icon?: string;
  /** A theme colour id for the icon. */
  iconColor?: string;
  children?: ViewNode[];
  /** What a click runs, with its arguments. */
  command?: { command: string; title: string; arguments?: unknown[] };
  /** The manifest hash the row's context-menu commands act on. */
  manifestHash?: string;
  /** The row's workspace folder, as its URI string: the commands act on that folder's release. */
  folder?: string;
}

/** What a row's click hands its command: the row's manifest hash and workspace folder. */
export interface NodeArgument {
  manifestHash: string;
  folder?: string;
}

/** The manifest hash and workspace folder a command was given; either may be absent (then the command asks). */
export interface CommandTarget {
  hash?: string;
  folder?: string;
}

/**
 * What a command argument names: a hash string (a test, another extension), or a tree row or a
 * row's click argument, which carry `manifestHash` and `folder`. Anything else names nothing, and
 * the command picks as it does from the palette.
 */
export function commandTarget(argument: unknown): CommandTarget {
  if (typeof argument === 'string') return { hash: argument };
  if (!argument || typeof argument !== 'object') return {};
  const { manifestHash, folder } = argument as Record<string, unknown>;
  return {
    ...(typeof manifestHash === 'string' ? { hash: manifestHash } : {}),
    ...(typeof folder === 'string' ? { folder } : {}),
  };
}

/** The open workspace folder a row names (by URI string); undefined when it is no longer open. */
export function folderNamed<F extends { uri: { toString(): string } }>(folders: readonly F[], folder: string): F | undefined {
  return folders.find((candidate) => candidate.uri.toString() === folder);
}

/** Marks rows, and the rows below them, as belonging to a workspace folder. */
export function inFolder(nodes: ViewNode[], folder: string | undefined): ViewNode[] {
  if (folder === undefined) return nodes;
  return nodes.map((node) => ({ ...node, folder, ...(node.children ? { children: inFolder(node.children, folder) } : {}) }));
}

/**
 * A folder's row, with the folder's rows below it (several folders open). Ids are prefixed all
 * the way down: a tree's ids must be unique, and two folders both have a `history-1`.
 */
export function folderRow(folder: { index: number; name: string; uri: string }, children: ViewNode[]): ViewNode {
  const prefixed = (nodes: ViewNode[]): ViewNode[] =>
    nodes.map((node) => ({ ...node, id: `${folder.index}-${node.id}`, ...(node.children ? { children: prefixed(node.children) } : {}) }));
  return { id: `folder-${folder.index}`, label: folder.name, icon: 'root-folder', folder: folder.uri, children: prefixed(children) };
}

/** "3 min ago", "2 h ago", "5 d ago": ages in a tree row stay short. */
export function relativeAge(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 60) return l10n.t('just now');
  if (seconds < 3600) return l10n.t('{0} min ago', Math.floor(seconds / 60));
  if (seconds < 86400) return l10n.t('{0} h ago', Math.floor(seconds / 3600));
  return l10n.t('{0} d ago', Math.floor(seconds / 86400));
}
