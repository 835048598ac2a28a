import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, fsInputError } from '../../shared/errors';
import { ensureDir, writeFileAtomicSync } from '../../shared/files';
import { canonicalHash } from '../../shared/hashing';
import { parseJsonText, prettyJson } from '../../shared/json';
import { type AnyReport, AnyReportSchema } from './schema';

export const DEFAULT_REPORTS_DIR = join('artifacts', 'reports');

export interface SavedReport<R extends AnyReport = AnyReport> {
  report: R;
  /** sha256 of the report's canonical JSON: what a proposal's metadata points at. */
  report_hash: string;
  path: string;
}

type ReportOf<K extends AnyReport['kind']> = Extract<AnyReport, { kind: K }>;

/** The word each kind of report is filed under. */
const FILE_PREFIX: Record<AnyReport['kind'], string> = { 'qraft.precheck': 'precheck', 'qraft.canary': 'canary' };
const FILE_NAME = /^([a-z]+)-([0-9a-f]{64})\.json$/;

/** A report's `report_hash`: the canonical hash of its content, which also names its file. */
export function reportHash(report: AnyReport): string {
  return canonicalHash(report);
}

/**
 * Reports live as `<kind>-<report_hash>.json` (`precheck-…`, `canary-…`), so a hash in metadata
 * names exactly one file. This file is the only place that knows the name.
 */
function reportPath(dir: string, kind: AnyReport['kind'], hash: string): string {
  return join(dir, `${FILE_PREFIX[kind]}-${hash}.json`);
}

/** The kind and hash a saved report's file name (no directory) says it holds; undefined for any other name. */
export function parseReportFileName(name: string): { kind: AnyReport['kind']; hash: string } | undefined {
  const match = FILE_NAME.exec(name);
  if (!match) return undefined;
  const kind = (Object.keys(FILE_PREFIX) as AnyReport['kind'][]).find((candidate) => FILE_PREFIX[candidate] === match[1]);
  return kind && { kind, hash: match[2] };
}

export function saveReport<R extends AnyReport>(dir: string, report: R): SavedReport<R> {
  ensureDir(dir);
  const report_hash = reportHash(report);
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
  if (!parsed.success || parsed.data.kind !== kind || reportHash(parsed.data) !== hash) return undefined;
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
  let best: SavedReport<ReportOf<K>> | undefined;
  for (const name of names) {
    const named = parseReportFileName(name);
    if (named?.kind !== kind) continue;
    const saved = loadReport(dir, kind, named.hash);
    if (!saved || saved.report.strategy_hash !== strategyHash) continue;
    if (fingerprint && saved.report.data.fingerprint !== fingerprint) continue;
    if (!best || saved.report.created_at > best.report.created_at) best = saved;
  }
  return best;
}

export interface ReportFolder {
  /** Every report that parses and hashes to its file name. */
  reports: SavedReport[];
  /** One clause per file that is not such a report (named, never quoted). */
  problems: string[];
}

/**
 * Every file of a folder of reports (a candidate's evidence), each re-hashed against its name: a
 * file that does not parse, is not a report, or was edited after it was saved is a problem.
 */
export function readReportFolder(dir: string): ReportFolder {
  if (!existsSync(dir)) return { reports: [], problems: [] };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw fsInputError(err, 'list', dir);
  }
  const reports: SavedReport[] = [];
  const problems: string[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const parsed = parseReportFileName(name);
    const saved = parsed && loadReport(dir, parsed.kind, parsed.hash);
    if (saved) reports.push(saved);
    else problems.push(parsed ? `${join(dir, name)} does not hash to its name or is not a valid report` : `${join(dir, name)} is not a report file`);
  }
  return { reports, problems };
}

/**
 * A saved report by its hash or a prefix of it (at least `minPrefix` hex characters), looked up in
 * several report folders (the reports folder, candidates' evidence). The same report in several
 * folders is one match; a name whose file is not intact is reported, never used.
 */
export function findReportByHash(dirs: readonly string[], prefix: string, where = dirs.join(' or '), minPrefix = 8): SavedReport {
  const wanted = prefix.trim().toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${minPrefix},64}$`).test(wanted)) {
    throw new InputError(`"${prefix}" is neither a report file nor a report hash (64 hex characters, or a unique prefix of at least ${minPrefix}).`);
  }
  const found = new Map<string, SavedReport>();
  let damaged: string | undefined;
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      throw fsInputError(err, 'list', dir);
    }
    for (const name of names.sort()) {
      const named = parseReportFileName(name);
      if (!named || !named.hash.startsWith(wanted) || found.has(named.hash)) continue;
      const saved = loadReport(dir, named.kind, named.hash);
      if (saved) found.set(named.hash, saved);
      else damaged ??= join(dir, name);
    }
  }
  if (found.size === 1) return [...found.values()][0];
  if (found.size > 1) throw new InputError(`The report hash prefix ${wanted} is ambiguous: it matches ${found.size} reports; give more characters.`);
  if (damaged) throw new InputError(`${damaged} does not hash to its name or is not a valid report.`);
  throw new InputError(`No report ${wanted} in ${where}.`);
}
