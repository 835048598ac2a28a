/**
 * Host side of the precheck and canary report webviews: one panel per (report kind, strategy
 * file), revealed and updated when the same strategy is run again, and restored after a reload
 * by re-reading the saved report file.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { REPORT_EXPORT_ASSETS, writeReportExport } from '../../core/evidence/reportExport';
import type { AnyReport } from '../../core/evidence/reports/schema';
import { createNonce, reportHtml } from './html';
import { type ReportContent as Content, isReportViewState, loadSavedReport } from './load';
import { type HostToWebview, REPORT_VIEW_TYPE, canPropose, isWebviewMessage, reportTitle, rerunCommand } from './protocol';
import { approveFromReport, releaseOffer } from './release';

export interface ShownReport {
  report: AnyReport;
  /** Absolute path of the saved report file, as the report store named it. */
  path: string;
}

export interface ReportPanelsApi {
  /** Opens a report panel, or reveals and updates the one showing this kind for this strategy. */
  show(saved: ShownReport): void;
  /** The pool or deploy dir changed: each open report's release step (Approve and Publish…) is asked again. */
  refreshRelease(): void;
}

function keyOf(content: Content): string | undefined {
  return content.kind === 'report' ? `${content.report.kind}\0${content.report.strategy.path}` : undefined;
}

class ReportPanel {
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private content: Content,
    private readonly mediaRoot: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    onDidDispose: (panel: ReportPanel) => void,
  ) {
    panel.webview.options = { enableScripts: true, localResourceRoots: [mediaRoot] };
    panel.title = this.title();
    panel.webview.html = this.html();
    panel.webview.onDidReceiveMessage((message: unknown) => this.receive(message), undefined, this.disposables);
    panel.onDidDispose(
      () => {
        this.disposed = true;
        onDidDispose(this);
        for (const disposable of this.disposables.splice(0)) disposable.dispose();
      },
      undefined,
      this.disposables,
    );
  }

  get key(): string | undefined {
    return keyOf(this.content);
  }

  update(content: Content): void {
    this.content = content;
    this.panel.title = this.title();
    // If the page is live it redraws at once; if it is hidden (and so unloaded), it sends
    // `ready` when shown again and gets the new content then.
    this.post();
  }

  dispose(): void {
    if (!this.disposed) this.panel.dispose();
  }

  private title(): string {
    return this.content.kind === 'report' ? reportTitle(this.content.report) : vscode.l10n.t('Qraft report (unavailable)');
  }

  private html(): string {
    const webview = this.panel.webview;
    return reportHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.mediaRoot, 'report.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.mediaRoot, 'report.css')).toString(),
      title: this.title(),
      lang: vscode.env.language,
      loading: vscode.l10n.t('Loading report…'),
    });
  }

  /** The release step the page was last sent (JSON), so an unchanged one is not sent again. */
  private sentOffer = '';

  /** Asks the pool for the page's release step again and, when it changed, sends it (the page redraws its buttons only). */
  refreshRelease(): void {
    const content = this.content;
    if (this.disposed || content.kind !== 'report') return;
    void releaseOffer(content.report, this.log).then((offer) => {
      if (this.disposed || this.content !== content || !offer || JSON.stringify(offer) === this.sentOffer) return;
      this.sentOffer = JSON.stringify(offer);
      const message: HostToWebview = { type: 'release', reportPath: content.path, release: offer };
      this.panel.webview.postMessage(message).then(undefined, (err: unknown) => this.log.warn(`Report view: could not send the release step: ${String(err)}`));
    });
  }

  private post(): void {
    if (this.disposed) return;
    const content = this.content;
    // The release step (Approve and Publish…) comes from the pool as it is now, so every render asks it.
    const release = content.kind === 'report' ? releaseOffer(content.report, this.log) : Promise.resolve(undefined);
    void release.then((offer) => {
      if (this.disposed || this.content !== content) return;
      this.sentOffer = JSON.stringify(offer ?? null);
      const message: HostToWebview =
        content.kind === 'report'
          ? { type: 'render', report: content.report, reportPath: content.path, ...(offer ? { release: offer } : {}) }
          : { type: 'unavailable', reportPath: content.path, message: content.message };
      // The page's strings travel with each message: it cannot call vscode.l10n itself.
      const bundle = vscode.l10n.bundle;
      this.panel.webview.postMessage(bundle ? { ...message, l10n: bundle } : message).then(undefined, (err: unknown) => this.log.warn(`Report view: could not send the report: ${String(err)}`));
    });
  }

  private run(command: string, ...args: unknown[]): Thenable<void> {
    return vscode.commands.executeCommand(command, ...args).then(undefined, (err: unknown) => this.log.error(`Report view: ${command} failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  /** Export HTML: asks where, then writes the same self-contained file as `qraft deploy report --html`. */
  private async exportHtml(report: AnyReport, path: string): Promise<void> {
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(dirname(path), `${basename(path, '.json')}.html`)),
      filters: { HTML: ['html'] },
      title: vscode.l10n.t('Export Report as HTML'),
    });
    if (!target) return;
    try {
      const root = this.mediaRoot.fsPath;
      const assets = { script: readFileSync(join(root, REPORT_EXPORT_ASSETS.script), 'utf8'), style: readFileSync(join(root, REPORT_EXPORT_ASSETS.style), 'utf8') };
      const written = writeReportExport(target.fsPath, report, path, assets);
      this.log.info(`Report view: exported ${path} to ${written.path} (${written.bytes} bytes).`);
      void vscode.window.showInformationMessage(vscode.l10n.t('Report exported to {0}.', written.path));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`Report view: export failed: ${message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not export the report: {0}', message));
    }
  }

  /** Messages come from the page: checked by the protocol guard, and acted on with host data only. */
  private receive(message: unknown): void {
    if (!isWebviewMessage(message)) {
      this.log.warn('Report view: ignored a malformed message from the webview.');
      return;
    }
    const content = this.content;
    if (message.type === 'ready') {
      this.post();
      return;
    }
    if (content.kind !== 'report') {
      this.log.warn(`Report view: "${message.type}" ignored: no report is shown.`);
      return;
    }
    const { report, path } = content;
    const strategy = vscode.Uri.file(report.strategy.path);
    switch (message.type) {
      case 'propose':
        if (!canPropose(report)) {
          this.log.warn('Report view: Propose ignored: only a passed precheck can be proposed from its report.');
          return;
        }
        // Once proposed, the page offers Approve and Publish…
        this.run('qraft.propose', strategy).then(() => this.refreshRelease());
        return;
      case 'approve':
        approveFromReport(report, this.log).then(
          () => this.refreshRelease(),
          (err: unknown) => this.log.error(`Report view: Approve and Publish failed: ${err instanceof Error ? err.message : String(err)}`),
        );
        return;
      case 'rerun':
        this.run(rerunCommand(report), strategy);
        return;
      case 'exportHtml':
        void this.exportHtml(report, path);
        return;
      case 'openJson':
        vscode.window
          .showTextDocument(vscode.Uri.file(path), { preview: true, viewColumn: vscode.ViewColumn.Beside })
          .then(undefined, (err: unknown) => this.log.error(`Report view: cannot open ${path}: ${err instanceof Error ? err.message : String(err)}`));
        return;
    }
  }
}

export class ReportPanels implements ReportPanelsApi, vscode.Disposable {
  private readonly panels = new Set<ReportPanel>();
  private readonly mediaRoot: vscode.Uri;

  constructor(
    context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.mediaRoot = vscode.Uri.joinPath(context.extensionUri, 'media', 'dist');
  }

  show(saved: ShownReport): void {
    const content: Content = { kind: 'report', report: saved.report, path: saved.path };
    const key = keyOf(content);
    const existing = [...this.panels].find((panel) => panel.key === key);
    if (existing) {
      existing.update(content);
      existing.panel.reveal(existing.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW_TYPE,
      reportTitle(saved.report),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [this.mediaRoot], retainContextWhenHidden: false, enableFindWidget: true },
    );
    this.adopt(panel, content);
  }

  /** Restores a panel VS Code kept across a reload; its state comes from the page, so it is checked. */
  restore(panel: vscode.WebviewPanel, state: unknown): void {
    const content: Content = isReportViewState(state)
      ? loadSavedReport(state.reportPath)
      : { kind: 'unavailable', path: '', message: vscode.l10n.t('This report panel has no saved report to show; run the precheck or canary again.') };
    if (content.kind === 'unavailable') this.log.warn(`Report view: ${content.message}`);
    this.adopt(panel, content);
  }

  refreshRelease(): void {
    for (const panel of this.panels) panel.refreshRelease();
  }

  dispose(): void {
    for (const panel of [...this.panels]) panel.dispose();
    this.panels.clear();
  }

  private adopt(panel: vscode.WebviewPanel, content: Content): void {
    this.panels.add(new ReportPanel(panel, content, this.mediaRoot, this.log, (gone) => this.panels.delete(gone)));
  }
}

/** Restores report panels VS Code kept across a window reload (the webview's state names the file). */
export function registerReportSerializer(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, panels: ReportPanels): void {
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        try {
          panels.restore(panel, state);
        } catch (err) {
          log.error(`Report view: could not restore a report panel: ${err instanceof Error ? err.message : String(err)}`);
          panel.dispose();
        }
      },
    }),
  );
}

/**
 * The report panels and their serializer. Call once from `activate`; everything it registers is
 * disposed with the extension.
 */
export function registerReportPanels(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): ReportPanelsApi {
  const panels = new ReportPanels(context, log);
  context.subscriptions.push(panels);
  registerReportSerializer(context, log, panels);
  return { show: (saved) => panels.show(saved), refreshRelease: () => panels.refreshRelease() };
}
