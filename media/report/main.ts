/**
 * The report webview: waits for the host's `render`, draws the report, and sends button clicks
 * back as data-free messages. Bundled by esbuild (browser, IIFE) to media/dist/report.js.
 */
import 'uplot/dist/uPlot.min.css';
import './report.css';
import { type HostToWebview, type ReleaseOffer, type ReleaseUpdateMessage, type RenderMessage, type ReportViewState, type WebviewToHost, isHostMessage } from '../../src/views/report/protocol';
import { clear, el } from './dom';
import { l10n, useBundle } from './l10n';
import { type RenderedReport, type ReportActions, actionBar, renderReport, renderUnavailable } from './render';
import { registerToolkit } from './toolkit';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: ReportViewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

// vscode-tag is not used: its template sets a style attribute, which the CSP refuses (see render.ts).
registerToolkit();

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') ?? document.body;
let current: RenderedReport | undefined;

const post = (message: WebviewToHost) => vscode.postMessage(message);

function drawCharts(): void {
  for (const chart of current?.charts ?? []) chart.draw();
}

/** The render message drawn last: a release update redraws its buttons. */
let shown: RenderMessage | undefined;

function actionsFor(release: ReleaseOffer | undefined): ReportActions {
  return {
    propose: () => post({ type: 'propose' }),
    openJson: () => post({ type: 'openJson' }),
    rerun: () => post({ type: 'rerun' }),
    exportHtml: () => post({ type: 'exportHtml' }),
    approve: () => post({ type: 'approve' }),
    release,
  };
}

/** The release step changed: only the action bar is drawn again. */
function updateRelease(message: ReleaseUpdateMessage): void {
  if (!shown || !current || shown.reportPath !== message.reportPath) return;
  shown = { ...shown, release: message.release };
  current.root.querySelector('.actions')?.replaceWith(actionBar(shown.report, actionsFor(shown.release)));
}

function show(message: Exclude<HostToWebview, ReleaseUpdateMessage>): void {
  shown = undefined;
  for (const chart of current?.charts ?? []) chart.destroy();
  current = undefined;
  clear(app);
  vscode.setState({ reportPath: message.reportPath });
  useBundle(message.l10n);
  if (message.type === 'unavailable') {
    app.append(renderUnavailable(message.reportPath, message.message));
    return;
  }
  try {
    current = renderReport(message.report, message.reportPath, actionsFor(message.release));
    shown = message;
    app.append(current.root);
    drawCharts();
  } catch (err) {
    // A report the page cannot draw (e.g. written by a newer version): say so in one line.
    clear(app);
    app.append(renderUnavailable(message.reportPath, l10n.t('This report cannot be shown: {0}', err instanceof Error ? err.message : String(err))));
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isHostMessage(event.data)) return;
  if (event.data.type === 'release') updateRelease(event.data);
  else show(event.data);
});

// VS Code swaps the theme's CSS variables (and the body class) in place: redraw the canvases.
let themeTimer: number | undefined;
const onThemeChange = () => {
  window.clearTimeout(themeTimer);
  themeTimer = window.setTimeout(drawCharts, 50);
};
new MutationObserver(onThemeChange).observe(document.body, { attributes: true, attributeFilter: ['class'] });
new MutationObserver(onThemeChange).observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });

// Until the host answers, keep the loading line; a restored panel already knows its path.
if (!app.firstChild) app.append(el('p', { className: 'loading', text: l10n.t('Loading report…') }));
post({ type: 'ready' });
