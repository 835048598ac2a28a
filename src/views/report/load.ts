/** Re-reading a saved report for a restored panel (no `vscode` import, so it is unit-tested). */
import { basename } from 'node:path';
import { isQraftError } from '../../core/shared/errors';
import { canonicalHash, readJsonFile } from '../../core/shared/json';
import { type AnyReport, AnyReportSchema } from '../../core/evidence/reports/schema';

/** What a report panel shows: a report, or one line saying why it cannot. */
export type ReportContent = { kind: 'report'; report: AnyReport; path: string } | { kind: 'unavailable'; path: string; message: string };

const SAVED_NAME = /^(precheck|canary)-([0-9a-f]{64})\.json$/;

/**
 * Re-reads a saved report: it must exist, pass the schema, be of the kind its name says, and
 * still hash to its name (reports are content-addressed; an edited file is not shown as genuine).
 */
export function loadSavedReport(path: string): ReportContent {
  const unavailable = (message: string): ReportContent => ({ kind: 'unavailable', path, message });
  const name = SAVED_NAME.exec(basename(path));
  if (!name) return unavailable(`${path} is not a saved precheck or canary report.`);
  let report: AnyReport;
  try {
    report = readJsonFile(path, AnyReportSchema, 'report');
  } catch (err) {
    return unavailable(isQraftError(err) ? `This report is no longer available. ${err.message}` : `This report cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (report.kind !== `qraft.${name[1]}` || canonicalHash(report) !== name[2]) {
    return unavailable(`This report was changed after it was saved (its content no longer matches its name), so it is not shown: ${path}`);
  }
  return { kind: 'report', report, path };
}
