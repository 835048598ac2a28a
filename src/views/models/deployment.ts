import type { HistoryEntry } from '../../core/release/deploy/schemas';
import type { DeployState } from '../../core/release/deploy/store';
import type { EntrySignature } from '../../core/release/service';
import { shortHash, strategyLabel } from '../../core/shared/labels';
import { type ViewNode, inFolder, relativeAge } from './nodes';

export const CONTEXT = {
  current: 'qraft.current',
  history: 'qraft.history',
  /** A history entry whose version is still below the top of the release stack. */
  historyRollbackable: 'qraft.history.rollbackable',
  problem: 'qraft.problem',
} as const;

/**
 * The Deployment tree: CURRENT, then HISTORY newest first. A history entry offers "Rollback to
 * this version" when its version can still be rolled back to (it is on the stack, below the top).
 * An unreadable deploy dir shows its problem instead of guessing. No nodes at all = the welcome.
 * Every row carries `folder` (the workspace folder's URI string), so its commands act there.
 * With `signature`, a signed entry carries a badge: verified (its key is allowed for its actor) or
 * not; an unsigned entry says so in its tooltip.
 */
export function deploymentNodes(state: DeployState | { error: string }, now: Date, folder?: string, signature?: (entry: HistoryEntry) => EntrySignature): ViewNode[] {
  if ('error' in state) {
    return inFolder([{ id: 'problem', label: 'Deploy files need attention', description: state.error, tooltip: state.error, icon: 'error', iconColor: 'errorForeground', contextValue: CONTEXT.problem }], folder);
  }
  if (state.history.length === 0 && !state.current) return [];
  const nodes: ViewNode[] = [];
  const current = state.current;
  if (current) {
    nodes.push({
      id: 'current',
      label: `CURRENT  ${strategyLabel(current.strategy)}`,
      description: `${shortHash(current.manifest_hash)} · ${current.approved_by} · ${relativeAge(current.ts, now)}`,
      tooltip: [`CURRENT ${strategyLabel(current.strategy)}`, `manifest ${current.manifest_hash}`, `approved by ${current.approved_by}`, current.note ? `note: ${current.note}` : '', `live since ${current.ts}`].filter(Boolean).join('\n'),
      icon: 'rocket',
      iconColor: 'charts.green',
      contextValue: CONTEXT.current,
      manifestHash: current.manifest_hash,
    });
  }
  const below = new Set(state.stack.slice(0, -1).map((item) => item.manifest_hash));
  const entries = [...state.history].reverse().map<ViewNode>((entry) => {
    const rollbackable = below.has(entry.manifest_hash) && entry.manifest_hash !== current?.manifest_hash;
    const move = entry.action === 'rollback' && entry.from_hash ? `${shortHash(entry.from_hash)} → ${shortHash(entry.manifest_hash)}` : shortHash(entry.manifest_hash);
    const signed = signature ? signature(entry) : entry.signature ? { status: 'unverified' as const, reason: 'not checked' } : { status: 'unsigned' as const };
    const badge = signed.status === 'verified' ? `✓ signed by ${signed.principal}` : signed.status === 'unverified' ? '✗ signature not verified' : '';
    const signatureLine =
      signed.status === 'verified' ? `signature verified: ${signed.principal}` : signed.status === 'unverified' ? `signature NOT verified: ${signed.reason}` : 'not signed';
    const plainIcon = entry.action === 'publish' ? (entry.forced ? 'warning' : 'arrow-up') : 'history';
    return {
      id: `history-${entry.seq}`,
      label: `#${entry.seq} ${entry.action} ${strategyLabel(entry.strategy)}`,
      description: [move, entry.actor, entry.note ? `“${entry.note}”` : '', relativeAge(entry.ts, now), badge].filter(Boolean).join(' · '),
      tooltip: [`#${entry.seq} ${entry.action}${entry.forced ? ' (forced past a gate)' : ''}`, `manifest ${entry.manifest_hash}`, entry.from_hash ? `from ${entry.from_hash}` : '', `by ${entry.actor} at ${entry.ts}`, entry.note ? `note: ${entry.note}` : '', `entry hash ${entry.hash}`, signatureLine].filter(Boolean).join('\n'),
      icon: signed.status === 'verified' ? 'verified-filled' : signed.status === 'unverified' ? 'unverified' : plainIcon,
      ...(signed.status === 'verified' ? { iconColor: 'charts.green' } : signed.status === 'unverified' ? { iconColor: 'errorForeground' } : {}),
      contextValue: rollbackable ? CONTEXT.historyRollbackable : CONTEXT.history,
      manifestHash: entry.manifest_hash,
    };
  });
  nodes.push({ id: 'history', label: 'HISTORY', description: `${state.history.length} entr${state.history.length === 1 ? 'y' : 'ies'}`, icon: 'list-ordered', children: entries });
  return inFolder(nodes, folder);
}
