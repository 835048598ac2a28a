/**
 * Builds the report page from a validated report object. DOM APIs only: every string from the
 * report (names, summaries, reasons, notes, paths) goes in as text.
 */
import { METRIC_NAMES } from '../../src/core/backtest/metrics';
import { formatMetric } from '../../src/core/evidence/reportText';
import { shortHash, strategyLabel } from '../../src/core/shared/labels';
import type { AnyReport, CanaryReport, PrecheckReport } from '../../src/views/report/protocol';
import { type ReleaseOffer, canPropose, isReleaseOffer } from '../../src/views/report/protocol';
import { type ReportChart, createChart } from './charts';
import { type Child, custom, el } from './dom';
import { l10n } from './l10n';

export interface ReportActions {
  propose(): void;
  openJson(): void;
  rerun(): void;
  /** Save the report as one self-contained HTML file. */
  exportHtml(): void;
  /** Approve and publish the candidate `release` offers. */
  approve(): void;
  /** What the host offers next for this report's strategy (Approve and Publish, or a status line). */
  release?: ReleaseOffer;
}

export interface RenderedReport {
  root: HTMLElement;
  charts: ReportChart[];
}

const day = (iso: string) => iso.slice(0, 10);

function when(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function took(timings: Record<string, number>): string | undefined {
  const total = timings.total;
  if (typeof total !== 'number' || !Number.isFinite(total)) return undefined;
  return total < 1000 ? l10n.t('{0} ms', Math.round(total)) : l10n.t('{0} s', (total / 1000).toFixed(2));
}

/**
 * A tag (PASS, FAIL, close). Plain <span> styled like the toolkit's vscode-tag: that component's
 * template (the shared badge template) carries a `style` attribute binding, which the strict CSP
 * (no 'unsafe-inline' for styles) reports as a violation on every page.
 */
function tag(text: string, state: 'pass' | 'fail' | 'warn' | 'info'): HTMLElement {
  return el('span', { className: `tag tag-${state}`, text });
}

function section(title: string, ...children: Child[]): HTMLElement {
  return el('section', { className: 'section' }, el('h2', { text: title }), ...children);
}

function divider(): HTMLElement {
  return custom('vscode-divider', { attrs: { role: 'separator' } });
}

function table(caption: string, headers: string[], rows: HTMLTableRowElement[], className = ''): HTMLTableElement {
  return el(
    'table',
    { className: `grid ${className}`.trim() },
    el('caption', { className: 'visually-hidden', text: caption }),
    el('thead', {}, el('tr', {}, ...headers.map((header) => el('th', { text: header, attrs: { scope: 'col' } })))),
    el('tbody', {}, ...rows),
  );
}

function cell(text: string, className?: string, title?: string): HTMLTableCellElement {
  return el('td', { text, className, title });
}

/** Key facts as a definition list. */
function facts(entries: [string, Child | Child[]][]): HTMLDListElement {
  const list = el('dl', { className: 'facts' });
  for (const [term, value] of entries) {
    const definition = el('dd');
    for (const child of Array.isArray(value) ? value : [value]) if (child) definition.append(child);
    list.append(el('dt', { text: term }), definition);
  }
  return list;
}

function engineFacts(label: string, summary: { engine: string; version: string; note?: string }): [string, Child[]] {
  return [label, [el('span', { className: 'mono', text: `${summary.engine} ${summary.version}` }), summary.note ? el('span', { className: 'note', text: ` — ${summary.note}` }) : null]];
}

function dataFacts(report: AnyReport): [string, Child[]][] {
  const { data } = report;
  return [
    [l10n.t('Data'), [l10n.t('{0} · {1} bars · {2} .. {3}', data.symbols.join(', '), data.bars.toLocaleString('en-US'), day(data.start), day(data.end))]],
    [l10n.t('Fingerprint'), [el('span', { className: 'mono', text: shortHash(data.fingerprint), title: data.fingerprint })]],
    [l10n.t('Files'), [data.paths.join(', ')]],
    [l10n.t('Cash'), [report.cash.toLocaleString('en-US')]],
  ];
}

/** The buttons (and the release status line): also redrawn alone when the host's release step changes. */
export function actionBar(report: AnyReport, actions: ReportActions): HTMLElement {
  const bar = el('div', { className: 'actions' });
  const button = (label: string, appearance: 'primary' | 'secondary', handler: () => void, title: string) => {
    const element = custom('vscode-button', { text: label, title, attrs: { appearance } });
    element.addEventListener('click', handler);
    bar.append(element);
  };
  const release = isReleaseOffer(actions.release) ? actions.release : undefined;
  const approve = release?.step === 'approve' && release.label ? release : undefined;
  // Once proposed, the next step is the approval (proposing again would only find the same candidate).
  const propose = canPropose(report) && (!release || release.step === 'propose');
  if (approve) button(approve.label ?? '', 'primary', actions.approve, approve.title ?? '');
  if (propose) button(l10n.t('Propose…'), 'primary', actions.propose, l10n.t('Propose this strategy to the pool'));
  button(l10n.t('Open JSON'), propose || approve ? 'secondary' : 'primary', actions.openJson, l10n.t('Open the saved report file'));
  button(l10n.t('Re-run'), 'secondary', actions.rerun, report.kind === 'qraft.precheck' ? l10n.t('Run the precheck again') : l10n.t('Run the canary again'));
  button(l10n.t('Export HTML'), 'secondary', actions.exportHtml, l10n.t('Save this report as one self-contained HTML file'));
  if (release?.status) bar.append(el('span', { className: `release-status release-${release.step}`, text: release.status }));
  return bar;
}

/** The action bar, or nothing in an exported page (no host to act). */
function maybeActionBar(report: AnyReport, actions: ReportActions | undefined): HTMLElement | null {
  return actions ? actionBar(report, actions) : null;
}

// --- per-symbol breakdown ---------------------------------------------------------------------

type BreakdownRows = NonNullable<PrecheckReport['quick']['breakdown']>;

const percent = (value: number, decimals = 2) => (Number.isFinite(value) ? `${(value * 100).toFixed(decimals)}%` : String(value));

function signedPercent(value: number): string {
  const text = percent(value);
  if (/^-?0(\.0+)?%$/.test(text)) return text.replace(/^-/, '');
  return value > 0 ? `+${text}` : text;
}

/**
 * One row per symbol: the contribution of each channel given, then round trips, fills, fees, time
 * in market and mean gross exposure of the main (last) channel. Definitions: README, "Per-symbol
 * breakdown".
 */
function breakdownTable(channels: { title: string; rows: BreakdownRows }[]): HTMLTableElement {
  const main = channels[channels.length - 1];
  const byChannel = channels.map((channel) => new Map(channel.rows.map((row) => [row.symbol, row])));
  const rows = main.rows.map((row) =>
    el(
      'tr',
      {},
      el('th', { text: row.symbol, className: 'mono', attrs: { scope: 'row' } }),
      ...byChannel.map((lookup) => {
        const other = lookup.get(row.symbol);
        return other ? cell(signedPercent(other.contribution), `num mono ${other.contribution > 0 ? 'delta-good' : other.contribution < 0 ? 'delta-bad' : 'delta'}`) : cell('–', 'num');
      }),
      cell(row.round_trips.toFixed(0), 'num mono'),
      cell(row.fills.toFixed(0), 'num mono'),
      cell(row.fees.toFixed(2), 'num mono'),
      cell(percent(row.exposure, 1), 'num mono'),
      cell(row.gross_exposure.toFixed(3), 'num mono'),
    ),
  );
  const headers = [l10n.t('symbol'), ...channels.map((channel) => l10n.t('contribution ({0})', channel.title)), l10n.t('round trips'), l10n.t('fills'), l10n.t('fees'), l10n.t('time in market'), l10n.t('mean gross exposure')];
  return table(l10n.t('Per-symbol breakdown ({0})', main.title), headers, rows, 'breakdown');
}

function breakdownSection(channels: { title: string; rows: BreakdownRows | undefined }[]): HTMLElement | null {
  const given = channels.filter((channel): channel is { title: string; rows: BreakdownRows } => Array.isArray(channel.rows) && channel.rows.length > 0);
  if (given.length === 0) return null;
  const main = given[given.length - 1].title;
  return section(
    l10n.t('By symbol'),
    el('p', { className: 'note', text: l10n.t("Contribution: the symbol's profit and loss over the starting cash (the symbols add up to the total return). Round trips, fills, fees, time in market and mean gross exposure: {0}.", main) }),
    breakdownTable(given),
  );
}

function header(verdictWord: string, state: 'pass' | 'fail' | 'warn', what: string, report: AnyReport, extra: Child[] = []): HTMLElement {
  const duration = took(report.timings_ms);
  return el(
    'header',
    { className: `verdict verdict-${state}` },
    el('h1', {}, el('span', { className: 'verdict-word', text: verdictWord }), ` ${what} · `, el('span', { className: 'strategy', text: strategyLabel(report.strategy) })),
    el('p', { className: 'meta' }, el('span', { text: l10n.t('strategy {0}', shortHash(report.strategy_hash)), title: report.strategy_hash, className: 'mono' }), ` · ${when(report.created_at)}${duration ? ` · ${l10n.t('took {0}', duration)}` : ''}`),
    ...extra,
  );
}

// --- precheck ---------------------------------------------------------------------------------

function gateValue(value: number): string {
  return Number.isFinite(value) ? value.toPrecision(4) : String(value);
}

function gateDetails(details: Record<string, unknown>): HTMLElement | null {
  if (Object.keys(details).length === 0) return null;
  return el('details', { className: 'gate-details' }, el('summary', { text: l10n.t('details') }), el('pre', { text: JSON.stringify(details, null, 2) }));
}

function gatesTable(report: PrecheckReport): HTMLTableElement {
  const rows = report.gates.map((gate) =>
    el(
      'tr',
      { className: gate.passed ? 'row-pass' : 'row-fail' },
      el('th', { text: gate.name, className: 'mono', attrs: { scope: 'row' } }),
      el('td', {}, tag(gate.passed ? l10n.t('pass') : l10n.t('fail'), gate.passed ? 'pass' : 'fail')),
      cell(gateValue(gate.value), 'num mono'),
      cell(gateValue(gate.threshold), 'num mono'),
      el('td', { className: 'summary' }, el('span', { text: gate.summary }), gateDetails(gate.details)),
    ),
  );
  return table(l10n.t('Quality gates'), [l10n.t('gate'), l10n.t('result'), l10n.t('value'), l10n.t('threshold'), l10n.t('summary')], rows, 'gates');
}

/** Metrics the consistency gate compared and found too far apart (from its details, if any). */
function inconsistentMetrics(report: PrecheckReport): Set<string> {
  const failed = new Set<string>();
  const consistency = report.gates.find((gate) => gate.name === 'consistency');
  const metrics = consistency?.details.metrics;
  if (!Array.isArray(metrics)) return failed;
  for (const entry of metrics as unknown[]) {
    if (entry && typeof entry === 'object' && 'metric' in entry && 'passed' in entry && entry.passed === false && typeof entry.metric === 'string') failed.add(entry.metric);
  }
  return failed;
}

/** A difference with its sign; one that rounds to zero shows as zero, without a sign. */
function signed(name: string, value: number): string {
  const text = formatMetric(name, value);
  if (/^-?0(\.0+)?%?$/.test(text)) return text.replace(/^-/, '');
  return value > 0 ? `+${text}` : text;
}

function precheckMetrics(report: PrecheckReport): HTMLTableElement {
  const inconsistent = inconsistentMetrics(report);
  const rows = METRIC_NAMES.map((name) => {
    const quick = report.quick.metrics[name];
    const precise = report.precise.metrics[name];
    const difference = precise - quick;
    return el(
      'tr',
      { className: inconsistent.has(name) ? 'row-fail' : '' },
      el('th', { text: name, className: 'mono', attrs: { scope: 'row' } }),
      cell(formatMetric(name, quick), 'num mono'),
      cell(formatMetric(name, precise), 'num mono'),
      cell(signed(name, difference), `num mono ${inconsistent.has(name) ? 'delta-bad' : 'delta'}`, inconsistent.has(name) ? l10n.t('outside the consistency tolerance') : undefined),
    );
  });
  return table(l10n.t('Metrics: quick against precise'), [l10n.t('metric'), l10n.t('quick'), report.precise.engine, l10n.t('difference')], rows, 'metrics');
}

function precheckPage(report: PrecheckReport, actions: ReportActions | undefined): RenderedReport {
  const charts = [
    createChart({ title: l10n.t('Equity'), kind: 'equity', lines: [{ label: l10n.t('quick'), series: { times: report.quick.series.times, values: report.quick.series.equity } }, { label: report.precise.engine, series: { times: report.precise.series.times, values: report.precise.series.equity } }] }),
    createChart({ title: l10n.t('Drawdown'), kind: 'drawdown', lines: [{ label: l10n.t('quick'), series: { times: report.quick.series.times, values: report.quick.series.drawdown } }, { label: report.precise.engine, series: { times: report.precise.series.times, values: report.precise.series.drawdown } }] }),
  ];
  const failed = report.gates.filter((gate) => !gate.passed).map((gate) => gate.name);
  const timing: Child[] =
    report.timing === 'close'
      ? [tag(l10n.t('close'), 'warn'), el('span', { className: 'note', text: ` ${l10n.t("fills at the signal bar's own close: assumes market-on-close orders")}` })]
      : [el('span', { className: 'mono', text: report.timing })];
  const root = el(
    'div',
    { className: 'report report-precheck' },
    header(report.passed ? l10n.t('PASSED') : l10n.t('FAILED'), report.passed ? 'pass' : 'fail', l10n.t('Precheck'), report, [
      report.passed ? null : el('p', { className: 'reasons', text: failed.length === 1 ? l10n.t('Failed gate: {0}', failed[0]) : l10n.t('Failed gates: {0}', failed.join(', ')) }),
      report.precise.fallback
        ? el('p', { className: 'fallback-warning' }, tag(l10n.t('fallback'), 'warn'), el('span', { text: ` ${l10n.t('The precise channel ran on the built-in engine: {0}.', report.precise.fallback.message)}` }))
        : null,
    ]),
    maybeActionBar(report, actions),
    divider(),
    section(l10n.t('Gates'), gatesTable(report)),
    divider(),
    section(l10n.t('Metrics'), precheckMetrics(report)),
    divider(),
    section(l10n.t('Charts'), el('div', { className: 'charts' }, ...charts.map((chart) => chart.element))),
    divider(),
    ...withDivider(breakdownSection([{ title: l10n.t('quick'), rows: report.quick.breakdown }, { title: report.precise.engine, rows: report.precise.breakdown }])),
    section(l10n.t('Run'), facts([engineFacts(l10n.t('Quick engine'), report.quick), engineFacts(l10n.t('Precise engine'), report.precise), ...dataFacts(report), [l10n.t('Timing'), timing]])),
  );
  return { root, charts };
}

// --- canary -----------------------------------------------------------------------------------

/** Which direction is better for a metric, to colour deltas; undefined = neutral. */
const HIGHER_IS_BETTER: Partial<Record<string, boolean>> = {
  total_return: true,
  cagr: true,
  sharpe: true,
  sortino: true,
  calmar: true,
  max_drawdown: false,
  ann_vol: false,
  fees: false,
};

function deltaClass(name: string, delta: number): string {
  const better = HIGHER_IS_BETTER[name];
  if (better === undefined || !Number.isFinite(delta) || Math.abs(delta) < 1e-12) return 'delta';
  return delta > 0 === better ? 'delta-good' : 'delta-bad';
}

function canaryMetrics(report: CanaryReport): HTMLTableElement {
  const baseline = report.baseline;
  const deltas = report.deltas;
  const headers = [l10n.t('metric'), l10n.t('candidate')];
  if (baseline) headers.push('CURRENT');
  if (deltas) headers.push(l10n.t('delta'));
  const rows = METRIC_NAMES.map((name) => {
    const row = el('tr', {}, el('th', { text: name, className: 'mono', attrs: { scope: 'row' } }), cell(formatMetric(name, report.candidate.metrics[name]), 'num mono'));
    if (baseline) row.append(cell(formatMetric(name, baseline.metrics[name]), 'num mono'));
    if (deltas) {
      const delta = deltas[name];
      row.append(typeof delta === 'number' ? cell(signed(name, delta), `num mono ${deltaClass(name, delta)}`) : cell('–', 'num'));
    }
    return row;
  });
  return table(baseline ? l10n.t('Metrics: candidate against CURRENT') : l10n.t('Metrics: candidate'), headers, rows, 'metrics');
}

/** Canary limits that are fractions (shown as percentages); any other limit shows as a number. */
const FRACTION_LIMITS = new Set(['max_drawdown', 'min_return_vs_baseline', 'marginal_band', 'marginal_share']);

function limitFacts(limits: Record<string, number>): HTMLElement {
  const list = el('ul', { className: 'limits' });
  for (const [name, value] of Object.entries(limits)) {
    const text = FRACTION_LIMITS.has(name) && Number.isFinite(value) ? `${(value * 100).toFixed(2)}%` : gateValue(value);
    list.append(el('li', {}, el('span', { className: 'mono', text: name }), ` ${text}`));
  }
  return list;
}

/** The score and the checks against CURRENT (Mann–Whitney U, the Sharpe-difference interval, the return floor). */
function canaryJudgement(report: CanaryReport): Child {
  if (typeof report.score !== 'number' || !report.checks?.length) {
    return el('p', { className: 'note', text: l10n.t('No CURRENT release to compare with: the verdict comes from the limits alone.') });
  }
  const rows = report.checks.map((check) =>
    el('tr', {}, cell(check.name.replace(/_/g, ' ')), el('td', {}, tag(check.score === 1 ? l10n.t('pass') : check.score === 0 ? l10n.t('fail') : l10n.t('half'), check.score === 1 ? 'pass' : check.score === 0 ? 'fail' : 'warn')), cell(check.detail)),
  );
  return el('div', {}, el('p', { className: 'score', text: l10n.t('Score {0} of 100', report.score) }), table(l10n.t('Checks against CURRENT'), [l10n.t('check'), l10n.t('result'), l10n.t('detail')], rows, 'checks'));
}

function canaryPage(report: CanaryReport, actions: ReportActions | undefined): RenderedReport {
  const lines = (pick: 'equity' | 'drawdown') => {
    const result = [{ label: l10n.t('candidate'), series: { times: report.candidate.series.times, values: report.candidate.series[pick] } }];
    if (report.baseline) result.push({ label: 'CURRENT', series: { times: report.baseline.series.times, values: report.baseline.series[pick] } });
    return result;
  };
  const charts = [createChart({ title: l10n.t('Equity'), kind: 'equity', lines: lines('equity') }), createChart({ title: l10n.t('Drawdown'), kind: 'drawdown', lines: lines('drawdown') })];
  const state = report.verdict === 'pass' ? 'pass' : report.verdict === 'marginal' ? 'warn' : 'fail';
  const baselineFact: Child[] = report.baseline
    ? [`CURRENT ${strategyLabel(report.baseline.strategy)} `, el('span', { className: 'mono', text: `(${shortHash(report.baseline.manifest_hash)})`, title: report.baseline.manifest_hash })]
    : [el('span', { className: 'note', text: report.baseline_note ?? l10n.t('none') })];
  const root = el(
    'div',
    { className: 'report report-canary' },
    header(report.verdict === 'pass' ? l10n.t('PASS') : report.verdict === 'marginal' ? l10n.t('MARGINAL') : l10n.t('FAIL'), state, l10n.t('Canary'), report, [
      report.reasons.length > 0 ? el('ul', { className: 'reasons' }, ...report.reasons.map((reason) => el('li', { text: reason }))) : null,
    ]),
    maybeActionBar(report, actions),
    divider(),
    section(l10n.t('Metrics'), report.baseline ? null : el('p', { className: 'note baseline-note', text: report.baseline_note ?? l10n.t('No baseline to compare with.') }), canaryMetrics(report)),
    divider(),
    section(l10n.t('Judgement'), canaryJudgement(report)),
    divider(),
    section(l10n.t('Charts'), el('div', { className: 'charts' }, ...charts.map((chart) => chart.element))),
    divider(),
    ...withDivider(breakdownSection([{ title: l10n.t('candidate'), rows: report.candidate.breakdown }])),
    section(
      l10n.t('Run'),
      facts([
        [l10n.t('Window'), [l10n.t('{0} .. {1} · {2} bars', day(report.window.start), day(report.window.end), report.window.bars.toLocaleString('en-US'))]],
        [l10n.t('Baseline'), baselineFact],
        engineFacts(l10n.t('Candidate engine'), report.candidate),
        ...(report.baseline ? [engineFacts(l10n.t('Baseline engine'), report.baseline)] : []),
        ...dataFacts(report),
        [l10n.t('Limits'), [limitFacts(report.limits)]],
      ]),
    ),
  );
  return { root, charts };
}

/** A section followed by a divider, or nothing. */
function withDivider(element: HTMLElement | null): Child[] {
  return element ? [element, divider()] : [];
}

/** The report page; without `actions` (an exported file) there is no action bar. */
export function renderReport(report: AnyReport, reportPath: string, actions?: ReportActions): RenderedReport {
  const page = report.kind === 'qraft.precheck' ? precheckPage(report, actions) : canaryPage(report, actions);
  page.root.append(el('footer', { className: 'path' }, `${l10n.t('Report file:')} `, el('span', { className: 'mono', text: reportPath })));
  return page;
}

export function renderUnavailable(reportPath: string, message: string): HTMLElement {
  return el('div', { className: 'report unavailable' }, el('p', { className: 'unavailable-message', text: message }), el('p', { className: 'path mono', text: reportPath }));
}
