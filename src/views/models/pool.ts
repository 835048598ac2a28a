import type { ListedCandidate, PoolListing } from '../../core/release/pool/pool';
import type { Lineage } from '../../core/release/pool/schemas';
import { shortHash, strategyLabel } from '../../core/shared/labels';
import { l10n } from './localize';
import { type NodeArgument, type ViewNode, inFolder, relativeAge } from './nodes';

export const POOL_CONTEXT = {
  candidate: 'qraft.candidate',
  stable: 'qraft.stable',
  rejected: 'qraft.rejected',
  problem: 'qraft.problem',
} as const;

/**
 * Markdown's inline special characters escaped (emphasis, code, links, HTML, entities, tables, theme
 * icons), so a name, note or path is shown as the text it is; newlines become spaces. Callers never
 * start a line with such text, so the block markers (#, -, 1.) need no escape.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]|<>~&$]/g, (char) => `\\${char}`).replace(/\r?\n/g, ' ');
}

/** A commit as git abbreviates it. */
export function shortCommit(commit: string): string {
  return commit.slice(0, 7);
}

/** `git 1a2b3c4` (`git 1a2b3c4 dirty` when the file differed from that commit): short enough for a row. */
export function lineageShort(lineage: Lineage): string {
  return lineage.dirty ? l10n.t('git {0} dirty', shortCommit(lineage.commit)) : l10n.t('git {0}', shortCommit(lineage.commit));
}

export interface EvidenceWords {
  /** `precheck passed (nautilus)`, `precheck FAILED (builtin)`, `no precheck`. */
  precheck: string;
  /** `canary pass`, or empty without a canary. */
  canary: string;
  /** Why the precise channel ran on the built-in engine, when it fell back. */
  fallback: string;
}

/** A candidate's evidence verdicts in words: the precheck's result and engine, the canary's verdict. */
export function evidenceWords(candidate: Pick<ListedCandidate, 'evidence'>): EvidenceWords {
  const { precheck, canary } = candidate.evidence;
  return {
    precheck: precheck ? `${precheck.passed ? l10n.t('precheck passed') : l10n.t('precheck FAILED')} (${precheck.engine})` : l10n.t('no precheck'),
    canary: canary ? l10n.t('canary {0}', canary.verdict) : '',
    fallback: precheck?.fallback ? l10n.t('⚠ precise ran on the built-in engine: {0}', precheck.fallback) : '',
  };
}

function lineageLong(lineage: Lineage | undefined): string {
  if (!lineage) return l10n.t('lineage: none (not proposed from a git work tree)');
  return lineage.dirty
    ? l10n.t('lineage: {0} at commit {1}, dirty (changed or untracked)', lineage.path, shortCommit(lineage.commit))
    : l10n.t('lineage: {0} at commit {1}, clean', lineage.path, shortCommit(lineage.commit));
}

/** The plain-text tooltip of a candidate row (also what tests read). */
function candidateTooltip(candidate: ListedCandidate, words: EvidenceWords, tampered: string): string[] {
  const { manifest, metadata } = candidate;
  return [
    l10n.t('candidate {0}', manifest.manifest_hash),
    l10n.t('strategy {0}', manifest.strategy_hash),
    l10n.t('proposed by {0} at {1}', manifest.proposed_by, manifest.proposed_at),
    metadata.description ?? '',
    words.precheck,
    words.fallback,
    words.canary,
    lineageLong(candidate.lineage),
    candidate.rejection ? l10n.t('rejected by {0} at {1}: {2}', candidate.rejection.rejected_by, candidate.rejection.ts, candidate.rejection.note) : '',
    tampered,
  ].filter(Boolean);
}

/**
 * The Markdown tooltip of a candidate row: title, evidence verdicts, lineage, proposal. Every value
 * from the pool is escaped (names, notes and paths are the proposer's text); no command links.
 */
export function candidateMarkdown(candidate: ListedCandidate, words: EvidenceWords, tampered: string): string {
  const { manifest, metadata, evidence, lineage, rejection } = candidate;
  const e = escapeMarkdown;
  const lines = [
    `**${e(strategyLabel(manifest.strategy))}** \`${shortHash(manifest.manifest_hash)}\``,
    '',
    `$(${evidence.precheck ? (evidence.precheck.passed ? 'pass' : 'error') : 'circle-large-outline'}) ${e(words.precheck)}`,
  ];
  if (words.fallback) lines.push('', `$(warning) ${e(words.fallback)}`);
  if (words.canary) lines.push('', `$(pulse) ${e(words.canary)}${evidence.canary?.baseline ? ` — ${e(l10n.t('against {0}', evidence.canary.baseline))}` : ''}`);
  if (tampered) lines.push('', `$(warning) ${e(tampered)}`);
  lines.push('', `$(git-commit) ${lineage ? `${e(l10n.t('lineage:'))} \`${e(lineage.path)}\` @ \`${shortCommit(lineage.commit)}\`${lineage.dirty ? ` — **${e(l10n.t('dirty (changed or untracked)'))}**` : ` — ${e(l10n.t('clean'))}`}` : e(lineageLong(undefined))}`);
  lines.push('', `$(person) ${e(l10n.t('proposed by {0} at {1}', manifest.proposed_by, manifest.proposed_at))}`);
  if (metadata.description) lines.push('', `_${e(metadata.description)}_`);
  if (rejection) lines.push('', `$(circle-slash) ${e(l10n.t('rejected by {0} at {1}: {2}', rejection.rejected_by, rejection.ts, rejection.note))}`);
  return lines.join('\n');
}

/**
 * The Strategy Pool tree: candidates not yet approved (approve, show, diff, reject, open manifest,
 * compare with CURRENT) with their evidence verdicts and git lineage, stable versions newest first
 * with the CURRENT one marked, and rejected candidates in a collapsed group (as `qraft deploy list`
 * lists them last). Entries that cannot be read are listed as problems. No nodes at all = the
 * welcome view ("propose a strategy"). Every row, and every click's argument, carries `folder`
 * (the workspace folder's URI string).
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
    const { manifest, evidence } = candidate;
    const verdicts = evidenceWords(candidate);
    const tampered = evidence.problems > 0 ? l10n.t('⚠ {0} evidence file(s) not intact', evidence.problems) : '';
    return {
      id: `candidate-${manifest.manifest_hash}`,
      label: strategyLabel(manifest.strategy),
      description: [
        shortHash(manifest.manifest_hash),
        manifest.proposed_by,
        verdicts.precheck,
        evidence.precheck?.fallback ? l10n.t('built-in fallback') : '',
        verdicts.canary,
        candidate.lineage ? lineageShort(candidate.lineage) : '',
        relativeAge(manifest.proposed_at, now),
      ]
        .filter(Boolean)
        .join(' · '),
      tooltip: candidateTooltip(candidate, verdicts, tampered).join('\n'),
      markdownTooltip: candidateMarkdown(candidate, verdicts, tampered),
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
  const rejected = listing.rejected ?? [];
  if (rejected.length > 0) {
    nodes.push({
      id: 'rejected',
      label: l10n.t('Rejected'),
      description: `${rejected.length}`,
      icon: 'circle-slash',
      collapsed: true,
      children: rejected.map<ViewNode>((candidate) => {
        const { manifest, rejection } = candidate;
        const words = evidenceWords(candidate);
        return {
          id: `rejected-${manifest.manifest_hash}`,
          label: strategyLabel(manifest.strategy),
          description: [shortHash(manifest.manifest_hash), rejection ? l10n.t('rejected by {0}', rejection.rejected_by) : '', rejection ? `“${rejection.note}”` : '', rejection ? relativeAge(rejection.ts, now) : ''].filter(Boolean).join(' · '),
          tooltip: candidateTooltip(candidate, words, '').join('\n'),
          markdownTooltip: candidateMarkdown(candidate, words, ''),
          icon: 'circle-slash',
          iconColor: 'disabledForeground',
          contextValue: POOL_CONTEXT.rejected,
          manifestHash: manifest.manifest_hash,
          command: openManifest(manifest.manifest_hash),
        };
      }),
    });
  }
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
