/**
 * The one message protocol between the report panel (extension host) and its webview. Both sides
 * import this file, so it must not import `vscode` or anything Node-only.
 *
 * The host never trusts what the webview sends: every incoming message goes through the guards
 * below before it is acted on, and restored state through isReportViewState (report/load.ts,
 * host side, as only the report store knows the saved file names).
 */
import type { AnyReport, CanaryReport, PrecheckReport } from '../../core/evidence/reports/schema';
import { strategyLabel } from '../../core/shared/labels';
import { l10n } from '../models/localize';

/** The webview panel's view type (package.json `onWebviewPanel:qraft.report`). */
export const REPORT_VIEW_TYPE = 'qraft.report';

export type { AnyReport, CanaryReport, PrecheckReport };

/**
 * The page's strings in the editor's language: `vscode.l10n.bundle` (English message → text), sent
 * with every message because the page cannot call vscode.l10n (media/report/l10n.ts looks them
 * up); absent or empty in English.
 */
export type L10nBundle = Record<string, string>;

/** Host → webview: draw this report (sent after every `ready`, and on update). */
export interface RenderMessage {
  type: 'render';
  l10n?: L10nBundle;
  report: AnyReport;
  /** Absolute path of the saved report file. */
  reportPath: string;
  /** The release step the page offers for this report's strategy, worded by the host. */
  release?: ReleaseOffer;
}

/**
 * What the report page offers next, decided by the host from the pool (the page only draws it):
 * `approve` shows *Approve and Publish…* for the waiting candidate `hash`; `published` and
 * `rejected` show `status`; `propose` leaves the Propose button to `canPropose`. The texts are the
 * host's, in the editor's language.
 */
export interface ReleaseOffer {
  step: 'none' | 'propose' | 'approve' | 'published' | 'rejected';
  /** The candidate's short hash. */
  hash?: string;
  /** The button's label and tooltip (`approve`). */
  label?: string;
  title?: string;
  /** One line saying where the strategy stands (`published`, `rejected`, `approve`). */
  status?: string;
}

/** The offer as the page may trust it: known step, string texts (a stray field is dropped). */
export function isReleaseOffer(value: unknown): value is ReleaseOffer {
  if (!isPlainObject(value) || !['none', 'propose', 'approve', 'published', 'rejected'].includes(value.step as string)) return false;
  return ['hash', 'label', 'title', 'status'].every((key) => value[key] === undefined || typeof value[key] === 'string');
}

/** Host → webview: the report could not be shown (file gone or invalid); one line of text. */
export interface UnavailableMessage {
  type: 'unavailable';
  l10n?: L10nBundle;
  reportPath: string;
  message: string;
}

/**
 * Host → webview: the release step of the shown report changed (the pool or the deploy dir changed,
 * here or elsewhere): the page redraws its buttons only, keeping its scroll position and charts.
 */
export interface ReleaseUpdateMessage {
  type: 'release';
  reportPath: string;
  release: ReleaseOffer;
}

export type HostToWebview = RenderMessage | UnavailableMessage | ReleaseUpdateMessage;

/**
 * Webview → host. None carries data: the host acts on the report it holds, never on input.
 * `exportHtml`: save the shown report as one self-contained HTML file (the host asks where).
 * `approve`: run Approve and Publish on the candidate the host offered for this report.
 */
export type WebviewToHost = { type: 'ready' } | { type: 'propose' } | { type: 'openJson' } | { type: 'rerun' } | { type: 'exportHtml' } | { type: 'approve' };

export type WebviewMessageType = WebviewToHost['type'];

export const WEBVIEW_MESSAGE_TYPES: readonly WebviewMessageType[] = ['ready', 'propose', 'openJson', 'rerun', 'exportHtml', 'approve'];

/** What the webview persists with `setState`, so the panel serializer can restore it (checked by isReportViewState). */
export interface ReportViewState {
  reportPath: string;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

export function hasExactKeys(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value);
  return own.length === keys.length && keys.every((key) => Object.prototype.hasOwnProperty.call(value, key));
}

/** A message from the webview: an object with exactly one key, `type`, naming a known message. */
export function isWebviewMessage(value: unknown): value is WebviewToHost {
  return isPlainObject(value) && hasExactKeys(value, ['type']) && typeof value.type === 'string' && (WEBVIEW_MESSAGE_TYPES as readonly string[]).includes(value.type);
}

/**
 * A message from the host (used by the webview). The host validated the report with zod before
 * sending it; this checks the envelope so a stray message cannot crash the page.
 */
export function isHostMessage(value: unknown): value is HostToWebview {
  if (!isPlainObject(value) || typeof value.reportPath !== 'string' || !isL10nBundle(value.l10n)) return false;
  if (value.type === 'render') {
    const report = value.report;
    return isPlainObject(report) && (report.kind === 'qraft.precheck' || report.kind === 'qraft.canary');
  }
  if (value.type === 'release') return isReleaseOffer(value.release);
  return value.type === 'unavailable' && typeof value.message === 'string';
}

/** An absent bundle, or an object of strings (anything else makes the message a stray). */
export function isL10nBundle(value: unknown): value is L10nBundle | undefined {
  return value === undefined || (isPlainObject(value) && Object.values(value).every((text) => typeof text === 'string'));
}

/** The panel title, plain text (VS Code shows it as text, never as HTML). */
export function reportTitle(report: AnyReport): string {
  const label = strategyLabel(report.strategy);
  return report.kind === 'qraft.precheck' ? l10n.t('Precheck: {0}', label) : l10n.t('Canary: {0}', label);
}

/** The command Re-run executes for a report. */
export function rerunCommand(report: AnyReport): 'qraft.runPrecheck' | 'qraft.runCanary' {
  return report.kind === 'qraft.precheck' ? 'qraft.runPrecheck' : 'qraft.runCanary';
}

/** Propose is offered (and honoured) only for a precheck that passed. */
export function canPropose(report: AnyReport): boolean {
  return report.kind === 'qraft.precheck' && report.passed;
}
