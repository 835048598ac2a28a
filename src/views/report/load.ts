/**
 * Re-reading a saved report for a restored panel (no `vscode` import, so it is unit-tested). Host
 * side only: the webview never sees these paths' files.
 */
import { basename } from 'node:path';
import { isQraftError } from '../../core/shared/errors';
import { readJsonFile } from '../../core/shared/json';
import { type AnyReport, AnyReportSchema } from '../../core/evidence/reports/schema';
import { parseReportFileName, reportHash } from '../../core/evidence/reports/store';
import { l10n } from '../models/localize';
import { type ReportViewState, hasExactKeys, isPlainObject } from './protocol';

/** What a report panel shows: a report, or one line saying why it cannot. */
export type ReportContent = { kind: 'report'; report: AnyReport; path: string } | { kind: 'unavailable'; path: string; message: string };

/** Reasonable upper bound for a path (Windows long paths are 32k; anything past that is junk). */
const MAX_PATH_LENGTH = 4096;

/** A path that names a saved report file: absolute (POSIX or Windows), a saved report's file name, no NUL. */
export function isReportPath(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PATH_LENGTH || value.includes('\0')) return false;
  const absolute = value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value) || value.startsWith('\\\\');
  return absolute && parseReportFileName(value.split(/[\\/]/).at(-1) ?? '') !== undefined;
}

/** Restored webview state: it comes from the webview, so it is checked like any message (exactly `reportPath`). */
export function isReportViewState(value: unknown): value is ReportViewState {
  return isPlainObject(value) && hasExactKeys(value, ['reportPath']) && isReportPath(value.reportPath);
}

/**
 * Re-reads a saved report: it must exist, pass the schema, be of the kind its name says, and
 * still hash to its name (reports are content-addressed; an edited file is not shown as genuine).
 */
export function loadSavedReport(path: string): ReportContent {
  const unavailable = (message: string): ReportContent => ({ kind: 'unavailable', path, message });
  const name = parseReportFileName(basename(path));
  if (!name) return unavailable(l10n.t('{0} is not a saved precheck or canary report.', path));
  let report: AnyReport;
  try {
    report = readJsonFile(path, AnyReportSchema, 'report');
  } catch (err) {
    return unavailable(isQraftError(err) ? l10n.t('This report is no longer available. {0}', err.message) : l10n.t('This report cannot be read: {0}', err instanceof Error ? err.message : String(err)));
  }
  if (report.kind !== name.kind || reportHash(report) !== name.hash) {
    return unavailable(l10n.t('This report was changed after it was saved (its content no longer matches its name), so it is not shown: {0}', path));
  }
  return { kind: 'report', report, path };
}
