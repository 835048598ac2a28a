/**
 * Plain descriptions of tree rows, built from core state without vscode so they can be unit
 * tested; the tree providers turn them into vscode.TreeItems.
 */
export interface ViewNode {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  /** Drives the context menus in package.json (`viewItem == …`). */
  contextValue?: string;
  /** A codicon id. */
  icon?: string;
  /** A theme colour id for the icon. */
  iconColor?: string;
  children?: ViewNode[];
  /** What a click runs, with its arguments. */
  command?: { command: string; title: string; arguments?: unknown[] };
  /** Arguments the context-menu commands receive (a manifest hash, a file). */
  manifestHash?: string;
  filePath?: string;
}

/** "3 min ago", "2 h ago", "5 d ago": ages in a tree row stay short. */
export function relativeAge(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return iso;
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}
