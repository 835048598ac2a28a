/**
 * A precheck or canary report as ONE self-contained HTML file, to attach to a review or a ticket:
 * the report page's own renderer (media/report/export.ts, bundled to media/dist/report-export.js
 * and .css) inlined with the report as a JSON data block. Nothing is fetched: a strict CSP with
 * `default-src 'none'` admits only the inline script and stylesheet, by their sha256.
 *
 * The renderer's files are given as strings: reading them from the extension or the package is
 * the caller's part (CLI, views).
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { InputError } from '../shared/errors';
import { writeFileAtomicSync } from '../shared/files';
import { strategyLabel } from '../shared/labels';
import type { AnyReport } from './reports/schema';

/** The bundled report renderer for exported files: media/dist/report-export.js and .css. */
export interface ReportAssets {
  script: string;
  style: string;
}

/** File names of the renderer in the built media folder. */
export const REPORT_EXPORT_ASSETS = { script: 'report-export.js', style: 'report-export.css' } as const;

/** The id of the JSON data block the renderer reads (media/report/export.ts). */
const DATA_ID = 'qraft-report';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

function escapeText(value: string): string {
  return value.replace(/[&<>"'`]/g, (char) => HTML_ESCAPES[char]);
}

/**
 * Text that can sit inside a <script> or <style> element without ending it early or opening a
 * comment: `</` followed by a letter becomes `<\/` (the same string, character, regex or CSS
 * token in JavaScript and CSS) and `<!--` becomes `<\!--`.
 */
function rawText(value: string): string {
  return value.replace(/<\/(?=[a-zA-Z])/g, '<\\/').replace(/<!--/g, '<\\!--');
}

/** JSON that cannot leave its data block: every <, > and & as a \u escape (JSON.parse reads them back). */
function jsonBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The exported page's title: what the report is about. */
export function exportTitle(report: AnyReport): string {
  const what = report.kind === 'qraft.precheck' ? `Precheck ${report.passed ? 'passed' : 'failed'}` : `Canary ${report.verdict}`;
  return `${what}: ${strategyLabel(report.strategy)} — Qraft report`;
}

/** The CSP of an exported page: nothing but the page's own script and stylesheet. */
export function exportCsp(script: string, style: string): string {
  return [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * The HTML file: the report (as a JSON data block) and the renderer, inline. `reportPath` is
 * shown in the page's footer, as the panel shows it.
 */
export function reportExportHtml(report: AnyReport, reportPath: string, assets: ReportAssets): string {
  const script = rawText(assets.script);
  const style = rawText(assets.style);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${exportCsp(script, style)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta name="generator" content="Qraft Release">
<title>${escapeText(exportTitle(report))}</title>
<style>${style}</style>
</head>
<body>
<main id="app" aria-live="polite"><noscript>This report is drawn by the script in this file: allow scripts for this file to see it.</noscript></main>
<script type="application/json" id="${DATA_ID}">${jsonBlock({ report, reportPath })}</script>
<script>${script}</script>
</body>
</html>
`;
}

/**
 * Where an export may be written: an absolute path whose folder exists and which is not itself a
 * folder. Checked before anything is built, so a refused export writes nothing.
 */
export function checkExportPath(out: string): string {
  if (out.trim() === '') throw new InputError('The HTML file to write needs a path.');
  const path = resolve(out);
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`Cannot write ${basename(path)}: the folder ${dir} does not exist.`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(`Cannot write the HTML file to ${path}: it is a folder.`);
  return path;
}

/** Writes the export atomically (a temp file renamed over `out`): never a partial file. Returns the absolute path. */
export function writeReportExport(out: string, report: AnyReport, reportPath: string, assets: ReportAssets): { path: string; bytes: number } {
  const path = checkExportPath(out);
  const html = reportExportHtml(report, reportPath, assets);
  writeFileAtomicSync(path, html);
  return { path, bytes: Buffer.byteLength(html, 'utf8') };
}
