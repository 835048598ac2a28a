import type { CurrentRecord, HistoryEntry } from './deploy/schemas';
import type { VerifyReport } from './deploy/store';
import { shortHash, strategyLabel } from '../shared/labels';
import type { ProposeResult } from './pool/pool';
import type { ApproveAndPublishResult, ReleaseVerifyReport } from './service';
import type { DeployWrite } from './deploy/store';

/** Plain-text renderings shared by the CLI's `--fmt text` and the extension's log channel. */

function noteSuffix(note: string): string {
  return note ? ` — "${note}"` : '';
}

export function formatProposal(result: ProposeResult): string {
  const verb = result.created ? 'Proposed' : 'Already in the pool';
  return [
    `${verb}: ${strategyLabel(result.manifest.strategy)}`,
    `  manifest_hash  ${result.manifest_hash}`,
    `  strategy_hash  ${result.manifest.strategy_hash}`,
    `  proposed_by    ${result.manifest.proposed_by} at ${result.manifest.proposed_at}`,
    `  folder         ${result.dir}`,
    ...(result.lineage ? [`  lineage        ${result.lineage.path} @ ${shortHash(result.lineage.commit)}${result.lineage.dirty ? ' (dirty: changed or untracked)' : ''}`] : []),
    ...(result.evidence.length === 0
      ? ['  evidence       none found for this payload (approval will refuse it unless the policy allows)']
      : result.evidence.map((saved) => `  evidence       ${saved.kind.replace('qraft.', '')} ${shortHash(saved.report_hash)} (${saved.passed === true ? 'passed' : saved.passed === false ? 'FAILED' : saved.passed})`)),
  ].join('\n');
}

export function formatCurrent(current: CurrentRecord | null): string {
  if (!current) return 'No CURRENT release: nothing has been published yet.';
  return [
    `CURRENT: ${strategyLabel(current.strategy)}`,
    `  manifest_hash  ${current.manifest_hash}`,
    `  approved_by    ${current.approved_by}${noteSuffix(current.note)}`,
    `  live since     ${current.ts} (history seq ${current.seq})`,
  ].join('\n');
}

export function formatHistoryEntry(entry: HistoryEntry): string {
  const move = entry.from_hash ? `${shortHash(entry.from_hash)} → ${shortHash(entry.manifest_hash)}` : `→ ${shortHash(entry.manifest_hash)}`;
  const forced = entry.forced ? ' [forced]' : '';
  const signed = entry.signature ? ' [signed]' : '';
  return `#${entry.seq}  ${entry.ts}  ${entry.action.padEnd(8)} ${move}  ${strategyLabel(entry.strategy)}  by ${entry.actor}${forced}${signed}${noteSuffix(entry.note)}`;
}

export function formatHistory(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return 'HISTORY is empty: nothing has been published yet.';
  return [...entries].reverse().map(formatHistoryEntry).join('\n');
}

/** The new head after a write: the line a consumer pins (`head <hash>`). */
function headLine(result: DeployWrite & { dry_run?: true }): string {
  return `  ${result.dry_run ? 'head (would be)' : 'head'} ${result.head}`;
}

/** A dry run's first line says that nothing was written, and what would have been. */
function dryRunLine(result: { dry_run?: true }, done: string, would: string): string {
  return result.dry_run ? `Dry run, nothing written: every check passed; this would ${would}.` : done;
}

export function formatPublish(result: ApproveAndPublishResult): string {
  const lines = [dryRunLine(result, `Approved and published ${strategyLabel(result.current.strategy)} as CURRENT.`, `approve ${strategyLabel(result.current.strategy)} and publish it as CURRENT`), formatHistoryEntry(result.entry)];
  if (result.overridden.length > 0) lines.push(`  forced past: ${result.overridden.join(', ')}`);
  lines.push(headLine(result));
  return lines.join('\n');
}

export function formatRollback(result: DeployWrite & { dry_run?: true }): string {
  return [dryRunLine(result, `Rolled back: CURRENT is ${strategyLabel(result.current.strategy)} again.`, `roll back to ${strategyLabel(result.current.strategy)}`), formatHistoryEntry(result.entry), headLine(result)].join('\n');
}

export function formatVerify(report: VerifyReport | ReleaseVerifyReport): string {
  const head = `  head ${report.head ?? '(none: HISTORY is empty)'}`;
  const signatures = 'signatures' in report && report.signatures.signed > 0 ? [`  signatures: ${report.signatures.verified} of ${report.signatures.signed} signed entries verified`] : [];
  const notes = report.notes.map((note) => `  note: ${note}`);
  if (report.ok) {
    const pinned = 'expected_head' in report && report.expected_head ? ', head as expected' : '';
    return [`HISTORY verified: ${report.entries} entries, chain intact, CURRENT agrees with the replay, pool files and signatures match${pinned}.`, head, ...signatures, ...notes].join('\n');
  }
  return [`HISTORY failed verification (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}):`, ...report.problems.map((p) => `  - ${p}`), head, ...notes].join('\n');
}

