import type { ListedCandidate, PoolListing } from './pool/pool';
import type { Lineage } from './pool/schemas';
import type { RejectResult, VersionDetails } from './registry';
import type { VersionDiff } from './diff';
import { formatHistoryEntry } from './text';
import { shortHash, strategyLabel } from '../shared/labels';

/** Plain-text renderings of the registry's answers (list, show, diff, reject), for the CLI and the log channel. */

/** `abc123def456 strategies/sma.json` with `(dirty)` when the file differed from that commit. */
export function lineageText(lineage: Lineage | null | undefined): string {
  return lineage ? `${lineage.path} @ ${shortHash(lineage.commit)}${lineage.dirty ? ' (dirty: changed or untracked)' : ''}` : 'none (not proposed from a git work tree)';
}

function evidenceWords(listed: ListedCandidate): string {
  const { precheck, canary, problems } = listed.evidence;
  return [
    precheck ? (precheck.passed ? 'precheck passed' : 'precheck FAILED') : 'no precheck',
    canary ? `canary ${canary.verdict}` : '',
    problems > 0 ? `${problems} evidence file(s) not intact` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ').trimEnd());
}

/** `list`: candidates waiting, stable versions (CURRENT marked), rejected ones; newest first. */
export function formatListing(listing: PoolListing, currentHash: string | undefined): string {
  const lines: string[] = [];
  const section = (title: string, entries: ListedCandidate[], describe: (listed: ListedCandidate) => string) => {
    lines.push(`${title} (${entries.length})`);
    if (entries.length === 0) return;
    const rows = entries.map((listed) => [`  ${shortHash(listed.manifest.manifest_hash)}`, strategyLabel(listed.manifest.strategy), describe(listed)]);
    lines.push(...table(rows));
  };
  const waiting = listing.candidates.filter((listed) => !listed.stable);
  const stable = listing.candidates.filter((listed) => listed.stable).sort((a, b) => ((a.stable?.ts ?? '') < (b.stable?.ts ?? '') ? 1 : -1));
  section('Candidates', waiting, (listed) => `proposed by ${listed.manifest.proposed_by} at ${listed.manifest.proposed_at}; ${evidenceWords(listed)}${listed.lineage ? `; from ${lineageText(listed.lineage)}` : ''}`);
  section('Stable', stable, (listed) => `${listed.manifest.manifest_hash === currentHash ? 'CURRENT; ' : ''}approved by ${listed.stable?.approved_by} at ${listed.stable?.ts}${listed.stable?.forced ? ' [forced]' : ''}`);
  section('Rejected', listing.rejected ?? [], (listed) => `rejected by ${listed.rejection?.rejected_by} at ${listed.rejection?.ts}: "${listed.rejection?.note}"`);
  for (const problem of listing.problems) lines.push(`  problem: ${problem}`);
  return lines.join('\n');
}

/** `show`: one version in full. */
export function formatDetails(details: VersionDetails): string {
  const lines = [
    `${strategyLabel(details.manifest.strategy)}  [${details.status}]`,
    `  manifest_hash  ${details.manifest_hash}`,
    `  strategy_hash  ${details.manifest.strategy_hash}`,
    `  proposed_by    ${details.manifest.proposed_by} at ${details.manifest.proposed_at}`,
    ...(details.metadata.description ? [`  description    ${details.metadata.description}`] : []),
    `  folder         ${details.dir}`,
    `  lineage        ${lineageText(details.lineage)}`,
  ];
  if (details.approval) lines.push(`  approved_by    ${details.approval.approved_by} at ${details.approval.ts}${details.approval.forced ? ' [forced]' : ''}${details.approval.note ? ` — "${details.approval.note}"` : ''}`);
  if (details.rejection) lines.push(`  rejected_by    ${details.rejection.rejected_by} at ${details.rejection.ts} — "${details.rejection.note}"`);
  if (details.evidence.length === 0) lines.push('  evidence       none');
  for (const saved of details.evidence) {
    const result = saved.passed === undefined ? saved.verdict : saved.passed ? 'passed' : 'FAILED';
    lines.push(`  evidence       ${saved.kind.replace('qraft.', '')} ${shortHash(saved.report_hash)} ${result} (${saved.engine}, ${saved.ts}${saved.signed ? ', signed' : ''})`);
  }
  for (const problem of details.evidence_problems) lines.push(`  evidence problem: ${problem}`);
  lines.push(details.history.length === 0 ? '  history        none' : '  history (newest first):');
  for (const entry of [...details.history].reverse()) lines.push(`    ${formatHistoryEntry(entry)}`);
  lines.push('  payload:', ...JSON.stringify(details.payload, null, 2).split('\n').map((line) => `    ${line}`));
  return lines.join('\n');
}

function value(v: unknown): string {
  return v === undefined ? '—' : JSON.stringify(v);
}

function number(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
}

/** `diff`: payload changes, then the metric table. */
export function formatDiff(diff: VersionDiff): string {
  const lines = [`a: ${strategyLabel(diff.a.strategy)} ${shortHash(diff.a.manifest_hash)}`, `b: ${strategyLabel(diff.b.strategy)} ${shortHash(diff.b.manifest_hash)}`, ''];
  lines.push(diff.payload.length === 0 ? 'Payload: identical.' : `Payload (${diff.payload.length} change${diff.payload.length === 1 ? '' : 's'}):`);
  if (diff.payload.length > 0) lines.push(...table([['  path', 'a', 'b'], ...diff.payload.map((change) => [`  ${change.path}`, value(change.a), value(change.b)])]));
  lines.push('');
  if (diff.metrics.length === 0) {
    lines.push('Metrics: not compared (each version needs a precheck in its evidence).');
  } else {
    lines.push(`Metrics (newest ${diff.reports.map((report) => report.kind.replace('qraft.', '')).join(' and ')} of each; delta = b − a):`);
    lines.push(...table([['  channel', 'metric', 'a', 'b', 'delta'], ...diff.metrics.map((row) => [`  ${row.channel}`, row.metric, number(row.a), number(row.b), `${row.delta > 0 ? '+' : ''}${number(row.delta)}`])]));
  }
  return lines.join('\n');
}

export function formatRejection(result: RejectResult): string {
  const { rejection } = result;
  return `${result.created ? 'Rejected' : 'Already rejected'}: ${shortHash(result.manifest_hash)} by ${rejection.rejected_by} at ${rejection.ts} — "${rejection.note}". It is no longer offered for approval.`;
}
