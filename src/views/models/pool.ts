import type { PoolListing } from '../../core/release/pool/pool';
import { shortHash, strategyLabel } from '../../core/shared/labels';
import { l10n } from './localize';
import { type NodeArgument, type ViewNode, inFolder, relativeAge } from './nodes';

export const POOL_CONTEXT = {
  candidate: 'qraft.candidate',
  stable: 'qraft.stable',
  problem: 'qraft.problem',
} as const;

/**
 * The Strategy Pool tree: candidates not yet approved (approve, open manifest, compare with
 * CURRENT) and stable versions, newest first, with the CURRENT one marked. Entries that cannot be
 * read are listed as problems. No nodes at all = the welcome view ("propose a strategy"). Every
 * row, and every click's argument, carries `folder` (the workspace folder's URI string).
 */
export function poolNodes(listing: PoolListing | { error: string }, currentHash: string | undefined, now: Date, folder?: string): ViewNode[] {
  if ('error' in listing) return inFolder([{ id: 'problem', label: l10n.t('Strategy pool needs attention'), description: listing.error, tooltip: listing.error, icon: 'error', contextValue: POOL_CONTEXT.problem }], folder);
  if (listing.candidates.length === 0 && listing.problems.length === 0) return [];
  const openManifest = (manifestHash: string): ViewNode['command'] => {
    const argument: NodeArgument = folder === undefined ? { manifestHash } : { manifestHash, folder };
    return { command: 'qraft.openManifest', title: l10n.t('Open Manifest'), arguments: [argument] };
  };
  const pending = listing.candidates.filter((candidate) => !candidate.stable);
  const candidates = pending.map<ViewNode>((candidate) => {
    const { manifest, metadata, evidence } = candidate;
    const precheck = evidence.precheck ? (evidence.precheck.passed ? l10n.t('precheck passed') : l10n.t('precheck FAILED')) : l10n.t('no precheck');
    const fallback = evidence.precheck?.fallback ? l10n.t('⚠ precise ran on the built-in engine: {0}', evidence.precheck.fallback) : '';
    const canary = evidence.canary ? l10n.t('canary {0}', evidence.canary.verdict) : '';
    const tampered = evidence.problems > 0 ? l10n.t('⚠ {0} evidence file(s) not intact', evidence.problems) : '';
    return {
      id: `candidate-${manifest.manifest_hash}`,
      label: strategyLabel(manifest.strategy),
      description: [shortHash(manifest.manifest_hash), manifest.proposed_by, precheck, evidence.precheck?.fallback ? l10n.t('built-in fallback') : '', canary, relativeAge(manifest.proposed_at, now)].filter(Boolean).join(' · '),
      tooltip: [
        l10n.t('candidate {0}', manifest.manifest_hash),
        l10n.t('strategy {0}', manifest.strategy_hash),
        l10n.t('proposed by {0} at {1}', manifest.proposed_by, manifest.proposed_at),
        metadata.description ?? '',
        precheck,
        fallback,
        canary,
        tampered,
      ]
        .filter(Boolean)
        .join('\n'),
      icon: tampered ? 'warning' : evidence.precheck?.passed ? 'pass' : 'circle-large-outline',
      iconColor: tampered ? 'charts.red' : evidence.precheck?.passed ? (evidence.precheck.fallback ? 'charts.yellow' : 'charts.green') : evidence.precheck ? 'charts.red' : undefined,
      contextValue: POOL_CONTEXT.candidate,
      manifestHash: manifest.manifest_hash,
      command: openManifest(manifest.manifest_hash),
    };
  });
  const stable = listing.stable.map<ViewNode>((manifest) => ({
    id: `stable-${manifest.manifest_hash}`,
    label: strategyLabel(manifest.strategy),
    description: [shortHash(manifest.manifest_hash), l10n.t('approved by {0}', manifest.approved_by), manifest.forced ? l10n.t('forced') : '', manifest.manifest_hash === currentHash ? 'CURRENT' : '', relativeAge(manifest.ts, now)].filter(Boolean).join(' · '),
    tooltip: [l10n.t('stable {0}', manifest.manifest_hash), l10n.t('approved by {0} at {1}', manifest.approved_by, manifest.ts), manifest.note ? l10n.t('note: {0}', manifest.note) : ''].filter(Boolean).join('\n'),
    icon: manifest.manifest_hash === currentHash ? 'rocket' : 'verified',
    contextValue: POOL_CONTEXT.stable,
    manifestHash: manifest.manifest_hash,
    command: openManifest(manifest.manifest_hash),
  }));
  const nodes: ViewNode[] = [
    { id: 'candidates', label: l10n.t('Candidates'), description: pending.length === 0 ? l10n.t('none waiting for approval') : `${pending.length}`, icon: 'inbox', children: candidates },
    { id: 'stable', label: l10n.t('Stable versions'), description: `${stable.length}`, icon: 'package', children: stable },
  ];
  if (listing.problems.length > 0) {
    nodes.push({
      id: 'problems',
      label: l10n.t('Unreadable entries'),
      description: `${listing.problems.length}`,
      icon: 'warning',
      children: listing.problems.map((problem, index) => ({ id: `problem-${index}`, label: problem, tooltip: problem, icon: 'warning', contextValue: POOL_CONTEXT.problem })),
    });
  }
  return inFolder(nodes, folder);
}
