import type { HistoryEntry } from '../../core/release/deploy/schemas';
import type { DeployState } from '../../core/release/deploy/store';
import type { EntrySignature } from '../../core/release/service';
import type { StoreKind } from '../../core/release/store/types';
import { shortHash, strategyLabel } from '../../core/shared/labels';
import { l10n } from './localize';
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
 * An unreadable deploy dir (or an unreachable database store) shows its problem instead of guessing. No nodes at all = the welcome.
 * Every row carries `folder` (the workspace folder's URI string), so its commands act there.
 * With `signature`, a signed entry carries a badge: verified (its key is allowed for its actor) or
 * not; an unsigned entry says so in its tooltip.
 */
/** Why the deploy state could not be read; `store: 'postgres'` for a database store (or a store URL), whose problem is not a file's. */
export interface DeployProblem {
  error: string;
  store?: StoreKind;
}

export function deploymentNodes(state: DeployState | DeployProblem, now: Date, folder?: string, signature?: (entry: HistoryEntry) => EntrySignature): ViewNode[] {
  if ('error' in state) {
    const label = state.store === 'postgres' ? l10n.t('The release store needs attention') : l10n.t('Deploy files need attention');
    return inFolder([{ id: 'problem', label, description: state.error, tooltip: state.error, icon: 'error', iconColor: 'errorForeground', contextValue: CONTEXT.problem }], folder);
  }
  if (state.history.length === 0 && !state.current) return [];
  const nodes: ViewNode[] = [];
  const current = state.current;
  if (current) {
    nodes.push({
      id: 'current',
      label: `CURRENT  ${strategyLabel(current.strategy)}`,
      description: `${shortHash(current.manifest_hash)} · ${current.approved_by} · ${relativeAge(current.ts, now)}`,
      tooltip: [
        `CURRENT ${strategyLabel(current.strategy)}`,
        l10n.t('manifest {0}', current.manifest_hash),
        l10n.t('approved by {0}', current.approved_by),
        current.note ? l10n.t('note: {0}', current.note) : '',
        l10n.t('live since {0}', current.ts),
      ]
        .filter(Boolean)
        .join('\n'),
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
    const signed = signature ? signature(entry) : entry.signature ? { status: 'unverified' as const, reason: l10n.t('not checked') } : { status: 'unsigned' as const };
    const badge = signed.status === 'verified' ? l10n.t('✓ signed by {0}', signed.principal) : signed.status === 'unverified' ? l10n.t('✗ signature not verified') : '';
    const signatureLine =
      signed.status === 'verified' ? l10n.t('signature verified: {0}', signed.principal) : signed.status === 'unverified' ? l10n.t('signature NOT verified: {0}', signed.reason) : l10n.t('not signed');
    const action = entry.action === 'publish' ? l10n.t('publish') : l10n.t('rollback');
    const plainIcon = entry.action === 'publish' ? (entry.forced ? 'warning' : 'arrow-up') : 'history';
    return {
      id: `history-${entry.seq}`,
      label: `#${entry.seq} ${action} ${strategyLabel(entry.strategy)}`,
      description: [move, entry.actor, entry.note ? `“${entry.note}”` : '', relativeAge(entry.ts, now), badge].filter(Boolean).join(' · '),
      tooltip: [
        `#${entry.seq} ${action}${entry.forced ? ` ${l10n.t('(forced past a gate)')}` : ''}`,
        l10n.t('manifest {0}', entry.manifest_hash),
        entry.from_hash ? l10n.t('from {0}', entry.from_hash) : '',
        l10n.t('by {0} at {1}', entry.actor, entry.ts),
        entry.note ? l10n.t('note: {0}', entry.note) : '',
        l10n.t('entry hash {0}', entry.hash),
        signatureLine,
      ]
        .filter(Boolean)
        .join('\n'),
      icon: signed.status === 'verified' ? 'verified-filled' : signed.status === 'unverified' ? 'unverified' : plainIcon,
      ...(signed.status === 'verified' ? { iconColor: 'charts.green' } : signed.status === 'unverified' ? { iconColor: 'errorForeground' } : {}),
      contextValue: rollbackable ? CONTEXT.historyRollbackable : CONTEXT.history,
      manifestHash: entry.manifest_hash,
    };
  });
  nodes.push({ id: 'history', label: 'HISTORY', description: state.history.length === 1 ? l10n.t('1 entry') : l10n.t('{0} entries', state.history.length), icon: 'list-ordered', children: entries });
  return inFolder(nodes, folder);
}
