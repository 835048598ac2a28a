import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fsInputError } from '../../shared/errors';
import { ensureDir, writeFileAtomicSync } from '../../shared/files';
import { canonicalHash, parseJsonText, prettyJson } from '../../shared/json';
import { type AnyReport, AnyReportSchema } from './schema';

export const DEFAULT_REPORTS_DIR = join('artifacts', 'reports');

export interface SavedReport<R extends AnyReport = AnyReport> {
  report: R;
  /** sha256 of the report's canonical JSON: what a proposal's metadata points at. */
  report_hash: string;
  path: string;
}

type ReportOf<K extends AnyReport['kind']> = Extract<AnyReport, { kind: K }>;

/** Reports live as `<kind>-<report_hash>.json`, so a hash in metadata names exactly one file. */
export function reportPath(dir: string, kind: AnyReport['kind'], hash: string): string {
  return join(dir, `${kind.replace('qraft.', '')}-${hash}.json`);
}

export function saveReport<R extends AnyReport>(dir: string, report: R): SavedReport<R> {
  ensureDir(dir);
  const report_hash = canonicalHash(report);
  const path = reportPath(dir, report.kind, report_hash);
  if (!existsSync(path)) writeFileAtomicSync(path, prettyJson(report));
  return { report, report_hash, path };
}

/** Reads a report back and checks it still hashes to its name; undefined when absent or altered. */
export function loadReport<K extends AnyReport['kind']>(dir: string, kind: K, hash: string): SavedReport<ReportOf<K>> | undefined {
  const path = reportPath(dir, kind, hash);
  if (!existsSync(path)) return undefined;
  let parsed;
  try {
    parsed = AnyReportSchema.safeParse(parseJsonText(readFileSync(path, 'utf8'), path));
  } catch {
    return undefined;
  }
  if (!parsed.success || parsed.data.kind !== kind || canonicalHash(parsed.data) !== hash) return undefined;
  return { report: parsed.data as ReportOf<K>, report_hash: hash, path };
}

/** The newest intact report of `kind` for a strategy hash (and data fingerprint, when given). */
export function latestReport<K extends AnyReport['kind']>(dir: string, kind: K, strategyHash: string, fingerprint?: string): SavedReport<ReportOf<K>> | undefined {
  if (!existsSync(dir)) return undefined;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw fsInputError(err, 'list', dir);
  }
  const prefix = `${kind.replace('qraft.', '')}-`;
  let best: SavedReport<ReportOf<K>> | undefined;
  for (const name of names) {
    const match = name.startsWith(prefix) ? /-([0-9a-f]{64})\.json$/.exec(name) : null;
    if (!match) continue;
    const saved = loadReport(dir, kind, match[1]);
    if (!saved || saved.report.strategy_hash !== strategyHash) continue;
    if (fingerprint && saved.report.data.fingerprint !== fingerprint) continue;
    if (!best || saved.report.created_at > best.report.created_at) best = saved;
  }
  return best;
}
