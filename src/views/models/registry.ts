/**
 * The registry's answers as the editor shows them, without vscode (unit-tested): `show` and `diff`
 * as Markdown documents (read-only, opened in the Markdown preview), the versions *Diff with…*
 * offers, and what a report page offers next (Propose, Approve and Publish, nothing). Every value
 * from the pool is escaped: names, notes and paths are other people's text.
 */
import type { AnyReport } from '../../core/evidence/reports/schema';
import type { VersionDiff } from '../../core/release/diff';
import type { ListedCandidate, PoolListing } from '../../core/release/pool/pool';
import type { VersionDetails, VersionStatus } from '../../core/release/registry';
import { shortHash, strategyLabel } from '../../core/shared/labels';
import { l10n } from './localize';
import { escapeMarkdown as e, shortCommit } from './pool';

/** A status in words. */
export function statusWord(status: VersionStatus): string {
  switch (status) {
    case 'candidate':
      return l10n.t('candidate, waiting for approval');
    case 'stable':
      return l10n.t('stable (approved)');
    case 'current':
      return l10n.t('CURRENT (live)');
    case 'rejected':
      return l10n.t('rejected');
  }
}

/** A table cell: escaped, on one line. */
const cell = (text: string) => e(text);
const code = (hex: string) => `\`${hex.replace(/`/g, '')}\``;

function table(headers: string[], rows: string[][]): string[] {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)];
}

/** A fenced block whose fence is longer than any backtick run inside it. */
function fenced(language: string, text: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${language}`, text, fence];
}

function number(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  // Four significant digits: the table is read beside the payload diff (the CLI prints six).
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** `show`: one version in full, as a Markdown document. */
export function versionMarkdown(details: VersionDetails): string {
  const { manifest, metadata, lineage, approval, rejection } = details;
  const facts: string[][] = [
    [l10n.t('Status'), cell(statusWord(details.status))],
    [l10n.t('Manifest hash'), code(details.manifest_hash)],
    [l10n.t('Strategy hash'), code(manifest.strategy_hash)],
    [l10n.t('Proposed by'), cell(l10n.t('{0} at {1}', manifest.proposed_by, manifest.proposed_at))],
  ];
  if (metadata.description) facts.push([l10n.t('Description'), cell(metadata.description)]);
  facts.push([l10n.t('Folder'), cell(details.dir)]);
  facts.push([
    l10n.t('Lineage'),
    lineage
      ? `${cell(lineage.path)} @ ${code(shortCommit(lineage.commit))} ${lineage.dirty ? cell(l10n.t('dirty (changed or untracked)')) : cell(l10n.t('clean'))}`
      : cell(l10n.t('none (not proposed from a git work tree)')),
  ]);
  if (approval) facts.push([l10n.t('Approved by'), cell([l10n.t('{0} at {1}', approval.approved_by, approval.ts), approval.forced ? l10n.t('forced') : '', approval.note ? `“${approval.note}”` : ''].filter(Boolean).join(' · '))]);
  if (rejection) facts.push([l10n.t('Rejected by'), cell(`${l10n.t('{0} at {1}', rejection.rejected_by, rejection.ts)} · “${rejection.note}”`)]);

  const lines = [`# ${cell(strategyLabel(manifest.strategy))}`, '', ...table([l10n.t('Field'), l10n.t('Value')], facts), ''];
  lines.push(`## ${l10n.t('Evidence')}`, '');
  if (details.evidence.length === 0) lines.push(cell(l10n.t('No evidence reports: propose after a precheck (and a canary) of this strategy.')), '');
  else {
    const rows = details.evidence.map((saved) => [
      saved.kind === 'qraft.precheck' ? l10n.t('precheck') : l10n.t('canary'),
      code(shortHash(saved.report_hash)),
      cell(saved.passed === undefined ? (saved.verdict ?? '') : saved.passed ? l10n.t('passed') : l10n.t('FAILED')),
      cell(saved.engine),
      cell(saved.ts),
      saved.signed ? l10n.t('signed') : '',
    ]);
    lines.push(...table([l10n.t('Kind'), l10n.t('Report'), l10n.t('Result'), l10n.t('Engine'), l10n.t('Time'), l10n.t('Signature')], rows), '');
  }
  for (const problem of details.evidence_problems) lines.push(`- ⚠ ${cell(problem)}`);
  if (details.evidence_problems.length > 0) lines.push('');
  lines.push(`## ${l10n.t('History')}`, '');
  if (details.history.length === 0) lines.push(cell(l10n.t('Never published.')), '');
  else {
    const rows = [...details.history].reverse().map((entry) => [`#${entry.seq}`, cell(entry.action), cell(entry.actor), cell(entry.note), cell(entry.ts)]);
    lines.push(...table(['#', l10n.t('Action'), l10n.t('Actor'), l10n.t('Note'), l10n.t('Time')], rows), '');
  }
  lines.push(`## ${l10n.t('Payload')}`, '', ...fenced('json', JSON.stringify(details.payload, null, 2)), '');
  return lines.join('\n');
}

function jsonValue(value: unknown): string {
  return value === undefined ? '—' : cell(JSON.stringify(value));
}

/** `diff`: the payload changes and the metric deltas (b − a) of two versions, as a Markdown document. */
export function diffMarkdown(diff: VersionDiff): string {
  const label = (side: VersionDiff['a']) => `${cell(strategyLabel(side.strategy))} ${code(shortHash(side.manifest_hash))}`;
  const lines = [`# ${l10n.t('Diff')}: ${label(diff.a)} → ${label(diff.b)}`, ''];
  lines.push(`## ${l10n.t('Payload')}`, '');
  if (diff.payload.length === 0) lines.push(cell(l10n.t('The payloads are identical.')), '');
  else {
    const change = (kind: string) => (kind === 'added' ? l10n.t('added') : kind === 'removed' ? l10n.t('removed') : l10n.t('changed'));
    lines.push(...table([l10n.t('Path'), l10n.t('Change'), 'a', 'b'], diff.payload.map((row) => [code(row.path), cell(change(row.change)), jsonValue(row.a), jsonValue(row.b)])), '');
  }
  lines.push(`## ${l10n.t('Metrics (delta = b − a)')}`, '');
  if (diff.metrics.length === 0) lines.push(cell(l10n.t('Not compared: each version needs a precheck in its evidence.')), '');
  else {
    const rows = diff.metrics.map((row) => [cell(row.channel), cell(row.metric), number(row.a), number(row.b), `${row.delta > 0 ? '+' : ''}${number(row.delta)}`]);
    lines.push(...table([l10n.t('Channel'), l10n.t('Metric'), 'a', 'b', 'Δ'], rows), '');
    lines.push(cell(l10n.t('Compared reports: {0}', diff.reports.map((report) => `${report.kind.replace('qraft.', '')} ${shortHash(report.a)} → ${shortHash(report.b)}`).join('; '))), '');
  }
  return lines.join('\n');
}

export interface VersionPick {
  label: string;
  description: string;
  detail: string;
  hash: string;
}

/**
 * What *Diff with…* offers against `hash`: every other version in the pool, CURRENT first, then
 * waiting candidates, stable versions and rejected ones, each newest first.
 */
export function diffTargets(listing: PoolListing, hash: string, currentHash: string | undefined): VersionPick[] {
  const all: ListedCandidate[] = [...listing.candidates, ...(listing.rejected ?? [])].filter((candidate) => candidate.manifest.manifest_hash !== hash);
  const rank = (candidate: ListedCandidate) => (candidate.manifest.manifest_hash === currentHash ? 0 : candidate.rejection ? 3 : candidate.stable ? 2 : 1);
  return all
    .map((candidate, order) => ({ candidate, order }))
    .sort((a, b) => rank(a.candidate) - rank(b.candidate) || a.order - b.order)
    .map(({ candidate }) => {
      const { manifest } = candidate;
      const status = manifest.manifest_hash === currentHash ? l10n.t('CURRENT') : candidate.rejection ? l10n.t('rejected') : candidate.stable ? l10n.t('stable') : l10n.t('candidate');
      return {
        label: strategyLabel(manifest.strategy),
        description: `${shortHash(manifest.manifest_hash)} · ${status}`,
        detail: l10n.t('proposed by {0} at {1}', manifest.proposed_by, manifest.proposed_at),
        hash: manifest.manifest_hash,
      };
    });
}

/**
 * What a report page offers next, from the pool as it is now: `propose` (a passed precheck whose
 * strategy is not a waiting candidate), `approve` (a waiting, not rejected candidate of the
 * report's strategy: the newest), `published` (its strategy is a stable version, maybe CURRENT),
 * or `none`. A failed report offers nothing; the host decides, the page only draws it.
 */
export type ReleaseStep =
  | { step: 'none' }
  | { step: 'propose' }
  | { step: 'approve'; hash: string }
  | { step: 'published'; hash: string; current: boolean }
  | { step: 'rejected'; hash: string };

export function releaseStep(report: AnyReport, listing: PoolListing | undefined, currentHash: string | undefined): ReleaseStep {
  const passed = report.kind === 'qraft.precheck' ? report.passed : report.verdict !== 'fail';
  if (!passed) return { step: 'none' };
  const same = (candidate: ListedCandidate) => candidate.manifest.strategy_hash === report.strategy_hash;
  const candidates = listing?.candidates.filter(same) ?? [];
  const waiting = candidates.find((candidate) => !candidate.stable);
  if (waiting) return { step: 'approve', hash: waiting.manifest.manifest_hash };
  const stable = candidates.find((candidate) => candidate.manifest.manifest_hash === currentHash) ?? candidates.find((candidate) => candidate.stable);
  if (stable) return { step: 'published', hash: stable.manifest.manifest_hash, current: stable.manifest.manifest_hash === currentHash };
  if (report.kind === 'qraft.precheck') return { step: 'propose' };
  const rejected = listing?.rejected?.find(same);
  return rejected ? { step: 'rejected', hash: rejected.manifest.manifest_hash } : { step: 'none' };
}
