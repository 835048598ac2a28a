/**
 * The report page of an exported HTML file (`qraft deploy report --html`, the panel's Export HTML):
 * the same renderer as the webview, reading the report from the page's JSON data block instead of
 * a host message, with no action bar. Bundled by esbuild (browser, IIFE) to
 * media/dist/report-export.js and .css, which the exporter inlines (src/core/evidence/reportExport.ts).
 */
import 'uplot/dist/uPlot.min.css';
import './report.css';
import './export.css';
import type { AnyReport } from '../../src/views/report/protocol';
import { renderReport, renderUnavailable } from './render';

/** The id of the page's `<script type="application/json">` block (reportExport.ts writes it). */
const DATA_ID = 'qraft-report';

interface Embedded {
  report: AnyReport;
  reportPath: string;
}

function embedded(): Embedded | undefined {
  const text = document.getElementById(DATA_ID)?.textContent;
  if (!text) return undefined;
  const value = JSON.parse(text) as Partial<Embedded> | null;
  const kind = value?.report?.kind;
  if (!value || typeof value.reportPath !== 'string' || (kind !== 'qraft.precheck' && kind !== 'qraft.canary')) return undefined;
  return value as Embedded;
}

const app = document.getElementById('app') ?? document.body;
try {
  const data = embedded();
  app.replaceChildren();
  if (!data) app.append(renderUnavailable('', 'This file holds no report.'));
  else {
    const page = renderReport(data.report, data.reportPath);
    app.append(page.root);
    for (const chart of page.charts) chart.draw();
  }
} catch (err) {
  app.replaceChildren(renderUnavailable('', `This report cannot be shown: ${err instanceof Error ? err.message : String(err)}`));
}
