/**
 * `qraft deploy report HASH|FILE --html OUT`: a saved report as one self-contained HTML file.
 * Parsing and printing only: the page is built and written by the core (evidence/reportExport.ts);
 * this reads the bundled renderer from media/dist next to the CLI.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { type ReportAssets, REPORT_EXPORT_ASSETS, checkExportPath, writeReportExport } from '../core/evidence/reportExport';
import { type SavedReport, findReportByHash, reportHash } from '../core/evidence/reports/store';
import { type AnyReport, AnyReportSchema } from '../core/evidence/reports/schema';
import { fileStoreOf } from '../core/release/store/file';
import type { QraftWorkspace } from '../core/release/workspace';
import { InputError, InternalError } from '../core/shared/errors';
import { readJsonFile } from '../core/shared/json';
import type { Options } from './options';
import { required } from './options';
import type { Subcommand } from './subcommands';

const STORE_OPTIONS = ['store', 'pool-root', 'deploy-dir', 'reports-dir', 'config', 'set'];

/**
 * The built renderer: media/dist beside dist/ (the bundled CLI, dist/cli.js) or two folders up
 * (the sources, src/cli/report.ts, run by tsx).
 */
export function reportAssets(from = __dirname): ReportAssets {
  for (const root of [resolve(from, '..'), resolve(from, '..', '..')]) {
    const dir = join(root, 'media', 'dist');
    const script = join(dir, REPORT_EXPORT_ASSETS.script);
    const style = join(dir, REPORT_EXPORT_ASSETS.style);
    if (existsSync(script) && existsSync(style)) return { script: readFileSync(script, 'utf8'), style: readFileSync(style, 'utf8') };
  }
  throw new InternalError(`the report renderer (media/dist/${REPORT_EXPORT_ASSETS.script}) is not built; run "npm run build" in the qraft-release folder`);
}

const here = (path: string) => relative(process.cwd(), path) || path;

/** Whether the argument names a file (an existing path, or one that looks like a path) rather than a hash. */
function looksLikeFile(arg: string): boolean {
  return existsSync(arg) || /[\\/]/.test(arg) || /\.json$/i.test(arg);
}

/** The report an argument names: a report JSON file, or a hash (prefix) in the reports folder or a candidate's evidence. */
async function resolveReport(arg: string, ws: QraftWorkspace): Promise<SavedReport> {
  if (looksLikeFile(arg)) {
    const path = resolve(arg);
    if (!existsSync(path)) throw new InputError(`No report file ${arg}.`);
    if (statSync(path).isDirectory()) throw new InputError(`${arg} is a folder, not a report file.`);
    let report: AnyReport;
    try {
      report = readJsonFile(path, AnyReportSchema, 'report');
    } catch (err) {
      throw new InputError(`${arg} is not a valid precheck or canary report: ${(err as Error).message.replace(/\.$/, '')}.`);
    }
    return { report, report_hash: reportHash(report), path };
  }
  const files = fileStoreOf(ws.release.store);
  if (!files) return findInStore(arg, ws);
  const candidates = files.pool.candidatesDir;
  const evidence = existsSync(candidates) ? safeList(candidates).map((name) => join(candidates, name, 'evidence')) : [];
  return findReportByHash([ws.reportsDir, ...evidence], arg, `${here(ws.reportsDir)} or the candidates' evidence in ${here(candidates)}`);
}

/** A report hash (prefix) in the local reports folder, else in the evidence of the store's candidates (a database store). */
async function findInStore(arg: string, ws: QraftWorkspace): Promise<SavedReport> {
  try {
    return findReportByHash([ws.reportsDir], arg);
  } catch (err) {
    if (!(err instanceof InputError) || !/^No report/.test(err.message)) throw err;
  }
  const wanted = arg.trim().toLowerCase();
  const listing = await ws.release.listPool();
  const found = new Map<string, SavedReport>();
  for (const listed of [...listing.candidates, ...(listing.rejected ?? [])]) {
    for (const saved of (await ws.release.store.evidence(listed.manifest.manifest_hash)).reports) if (saved.report_hash.startsWith(wanted)) found.set(saved.report_hash, saved);
  }
  if (found.size === 1) return [...found.values()][0];
  if (found.size > 1) throw new InputError(`The report hash prefix ${wanted} is ambiguous: it matches ${found.size} reports; give more characters.`);
  throw new InputError(`No report ${wanted} in ${here(ws.reportsDir)} or the candidates' evidence in ${ws.release.store.location}.`);
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export const reportSubcommand: Subcommand & { args: string[] } = {
  usage: 'report HASH|FILE --html OUT',
  summary: 'Write a precheck or canary report (a report hash or prefix in the reports folder or a candidate\'s evidence, or a report JSON file) as one self-contained HTML file: charts, gates, metrics and the per-symbol breakdown, nothing fetched.',
  options: ['html', ...STORE_OPTIONS],
  args: ['HASH|FILE'],
  async run(options: Options, workspace: () => QraftWorkspace, _format, args: string[] = []) {
    const target = args[0];
    if (target === undefined || target.trim() === '') throw new InputError('qraft deploy report needs a report hash or a report file: qraft deploy report HASH|FILE --html OUT.');
    const out = checkExportPath(required(options, 'html', 'report'));
    const saved = await resolveReport(target, workspace());
    const written = writeReportExport(out, saved.report, saved.path, reportAssets());
    const kind = saved.report.kind === 'qraft.precheck' ? 'precheck' : 'canary';
    return {
      json: { path: written.path, bytes: written.bytes, report_hash: saved.report_hash, report_path: saved.path, kind },
      text: `Wrote ${here(written.path)} (${(written.bytes / 1024).toFixed(0)} KB): the ${kind} report ${saved.report_hash.slice(0, 12)} of ${saved.report.strategy.name}@${saved.report.strategy.version}, self-contained (open it in any browser, offline).`,
    };
  },
};
