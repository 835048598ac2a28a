import { strict as assert } from 'node:assert';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { alignSeries } from '../../media/report/series';
import { backtest } from '../../src/core/backtest/run';
import { loadPrices } from '../../src/core/backtest/data/load';
import { builtinEngine } from '../../src/core/backtest/engines/builtin';
import { quickEngine } from '../../src/core/backtest/engines/quick';
import { GateConfigSchema } from '../../src/core/evidence/gates/config';
import { drawdownSeries } from '../../src/core/backtest/metrics';
import { CHART_POINTS, runPrecheck } from '../../src/core/evidence/precheck';
import { AnyReportSchema } from '../../src/core/evidence/reports/schema';
import { parseReportFileName, reportHash, saveReport } from '../../src/core/evidence/reports/store';
import { chartSeries } from '../../src/core/evidence/series';
import { computeTargets } from '../../src/core/backtest/signals';
import { loadStrategy } from '../../src/core/backtest/strategy/load';
import { createNonce, escapeHtml, reportHtml } from '../../src/views/report/html';
import { isReportPath, isReportViewState, loadSavedReport } from '../../src/views/report/load';
import { REPORT_VIEW_TYPE, canPropose, isHostMessage, isWebviewMessage, reportTitle, rerunCommand } from '../../src/views/report/protocol';
import { seededRandom } from '../support/frames';
import { EXAMPLES, cleanupTempDirs, tempDir } from '../support/fixtures';

const NONCE = 'q7SDqS0l9kYlU2V1dW5vbmNl';
const CSP_SOURCE = 'https://*.vscode-cdn.net';
const HOSTILE = '<img src=x onerror=alert(1)>';

function page(overrides: Partial<Parameters<typeof reportHtml>[0]> = {}): string {
  return reportHtml({
    cspSource: CSP_SOURCE,
    nonce: NONCE,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dist/report.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dist/report.css',
    title: 'Precheck: sma@1.0.0',
    ...overrides,
  });
}

function cspOf(html: string): string {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(match, 'no CSP meta tag');
  return match[1];
}

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name, ...values]) => [name, values]),
  );
}

/** Every start tag in the page, e.g. `<script nonce="…" src="…">`. */
function tags(html: string): string[] {
  return html.match(/<[a-zA-Z][^>]*>/g) ?? [];
}

/** The attribute names of a start tag, read as an HTML parser would (quoted values skipped). */
function attributeNames(tag: string): string[] {
  const inner = tag.replace(/^<[a-zA-Z][\w-]*/, '').replace(/\/?>$/, '');
  return [...inner.matchAll(/([^\s"'>\/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?/g)].map((match) => match[1].toLowerCase());
}

function assertNoHandlers(html: string): void {
  for (const tag of tags(html)) {
    for (const name of attributeNames(tag)) {
      assert.ok(!name.startsWith('on'), `inline handler ${name} in ${tag}`);
      assert.notEqual(name, 'style', `style attribute in ${tag}`);
    }
    assert.doesNotMatch(tag, /javascript:/i, tag);
  }
}

describe('report webview page shell', () => {
  it('has a strict CSP with the nonce and nothing unsafe', () => {
    const html = page();
    const csp = cspOf(html);
    assert.ok(!csp.includes('unsafe-inline'), csp);
    assert.ok(!csp.includes('unsafe-eval'), csp);
    assert.ok(!csp.includes('*;') && !/(^|\s)\*(\s|;|$)/.test(csp), 'no wildcard source');
    const byName = directives(csp);
    assert.deepEqual(byName.get('default-src'), ["'none'"]);
    assert.deepEqual(byName.get('script-src'), [`'nonce-${NONCE}'`]);
    assert.deepEqual(byName.get('style-src'), [CSP_SOURCE, `'nonce-${NONCE}'`]);
    assert.deepEqual(byName.get('img-src'), [CSP_SOURCE, 'data:']);
    assert.deepEqual(byName.get('font-src'), [CSP_SOURCE]);
    // The CSP meta comes before anything that loads.
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<link'));
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<script'));
  });

  it('loads scripts only by src with the nonce: no inline script, no inline handlers, no style attributes', () => {
    const html = page({ title: HOSTILE });
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length >= 1, 'no script tag');
    assert.equal((html.match(/<script\b/gi) ?? []).length, scripts.length, 'unclosed script tag');
    for (const [, attributes, body] of scripts) {
      assert.match(attributes, /\ssrc="[^"]+"/);
      assert.ok(attributes.includes(`nonce="${NONCE}"`), attributes);
      assert.equal(body.trim(), '', 'inline script body');
    }
    assertNoHandlers(html);
    assert.deepEqual(attributeNames('<a b="x onclick=1" c=\'d\' e>'), ['b', 'c', 'e'], 'attribute reader');
    assert.deepEqual(attributeNames('<img src=x onerror=alert(1)>'), ['src', 'onerror'], 'attribute reader');
    assert.doesNotMatch(html, /<style\b/i, 'inline <style> block');
  });

  it('exposes the nonce to the toolkit (csp-nonce meta) so its probe <style> is allowed', () => {
    assert.ok(page().includes(`<meta property="csp-nonce" content="${NONCE}">`));
  });

  it('escapes a hostile title and hostile URIs', () => {
    const html = page({ title: HOSTILE, scriptUri: 'https://x/report.js"><script>alert(1)</script>', styleUri: "https://x/a.css' onload='x" });
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(!html.includes('<img src=x'));
    assert.ok(!html.includes('<img'));
    assert.ok(!html.includes('"><script>alert(1)'));
    assert.equal((html.match(/<script\b/gi) ?? []).length, 1);
    assertNoHandlers(html);
    assert.equal(escapeHtml(`&<>"'\``), '&amp;&lt;&gt;&quot;&#39;&#96;');
  });

  it('refuses a malformed nonce or cspSource instead of weakening the policy', () => {
    assert.throws(() => page({ nonce: '' }));
    assert.throws(() => page({ nonce: "abc' 'unsafe-inline" }));
    assert.throws(() => page({ cspSource: "https://x; script-src 'unsafe-inline'" }));
    assert.throws(() => page({ cspSource: '"><script>' }));
    assert.throws(() => page({ cspSource: '' }));
  });

  it('createNonce gives fresh, CSP-safe nonces', () => {
    const nonces = new Set(Array.from({ length: 200 }, () => createNonce()));
    assert.equal(nonces.size, 200);
    for (const nonce of nonces) {
      assert.match(nonce, /^[A-Za-z0-9_-]{22,}$/);
      assert.doesNotThrow(() => page({ nonce }));
    }
  });
});

describe('report webview protocol guards', () => {
  it('accepts the four webview messages', () => {
    for (const type of ['ready', 'propose', 'openJson', 'rerun']) assert.equal(isWebviewMessage({ type }), true, type);
    assert.equal(isWebviewMessage(JSON.parse('{"type":"rerun"}')), true);
  });

  it('rejects unknown types, extra fields and non-objects', () => {
    const bad: unknown[] = [
      { type: 'render' },
      { type: 'executeCommand' },
      { type: 'READY' },
      { type: 'propose', path: '/etc/passwd' },
      { type: 'rerun', command: 'workbench.action.terminal.new' },
      { type: 'ready', extra: undefined },
      { type: ['ready'] },
      { type: 1 },
      { kind: 'ready' },
      {},
      [],
      ['ready'],
      'ready',
      '{"type":"ready"}',
      1,
      true,
      null,
      undefined,
      Object.assign(Object.create({ polluted: true }) as object, { type: 'ready' }),
      new (class Message {
        type = 'ready';
      })(),
      JSON.parse('{"type":"ready","__proto__":{"x":1}}'),
    ];
    for (const value of bad) assert.equal(isWebviewMessage(value), false, JSON.stringify(value) ?? String(value));
  });

  it('checks restored state: an absolute saved-report path and nothing else', () => {
    const hash = 'a'.repeat(64);
    assert.equal(isReportViewState({ reportPath: `/ws/artifacts/reports/precheck-${hash}.json` }), true);
    assert.equal(isReportViewState({ reportPath: `C:\\ws\\artifacts\\reports\\canary-${hash}.json` }), true);
    const bad: unknown[] = [
      { reportPath: `artifacts/reports/precheck-${hash}.json` },
      { reportPath: '/etc/passwd' },
      { reportPath: `/ws/precheck-${hash.slice(1)}.json` },
      { reportPath: `/ws/precheck-${hash.toUpperCase()}.json` },
      { reportPath: `/ws/other-${hash}.json` },
      { reportPath: `/ws/precheck-${hash}.json\0` },
      { reportPath: `/ws/precheck-${hash}.json`, extra: 1 },
      { reportPath: 42 },
      { path: `/ws/precheck-${hash}.json` },
      null,
      'x',
      [],
    ];
    for (const value of bad) assert.equal(isReportViewState(value), false, JSON.stringify(value));
    assert.equal(isReportPath(`/${'x/'.repeat(3000)}precheck-${hash}.json`), false, 'absurdly long path');
  });

  it('checks host messages on the webview side', () => {
    assert.equal(isHostMessage({ type: 'render', report: { kind: 'qraft.precheck' }, reportPath: '/r.json' }), true);
    assert.equal(isHostMessage({ type: 'unavailable', reportPath: '', message: 'gone' }), true);
    assert.equal(isHostMessage({ type: 'render', report: { kind: 'other' }, reportPath: '/r.json' }), false);
    assert.equal(isHostMessage({ type: 'render', report: null, reportPath: '/r.json' }), false);
    assert.equal(isHostMessage({ type: 'render', report: { kind: 'qraft.canary' } }), false);
    assert.equal(isHostMessage({ type: 'unavailable', reportPath: '' }), false);
    assert.equal(isHostMessage('render'), false);
    assert.equal(REPORT_VIEW_TYPE, 'qraft.report');
  });
});

describe('report data for the charts', () => {
  it('keeps the first, last, lowest and highest equity of a real precheck (examples/prices/SPY.csv)', async function () {
    this.timeout(60_000);
    const strategy = loadStrategy(join(EXAMPLES, 'strategy.json'));
    const frame = loadPrices(join(EXAMPLES, 'prices', 'SPY.csv'), { universe: strategy.strategy.universe });
    const cash = 1_000_000;
    const report = await runPrecheck({ strategy, frame, precise: builtinEngine, config: GateConfigSchema.parse({}), cash });
    assert.equal(AnyReportSchema.safeParse(report).success, true);
    assert.equal(reportTitle(report), 'Precheck: sma-cross-spy@1.0.0');
    assert.equal(rerunCommand(report), 'qraft.runPrecheck');
    assert.equal(canPropose(report), report.passed);

    // The full-resolution quick run, to compare the report's downsampled series with.
    const targets = computeTargets(strategy.strategy, { frame, strategyDir: strategy.dir });
    const full = await backtest(strategy.strategy, frame, targets, quickEngine, cash);
    const equity = Array.from(full.ledger.equity);
    const drawdown = Array.from(drawdownSeries(full.ledger.equity, cash));
    const series = report.quick.series;
    assert.ok(frame.times.length > series.times.length, `the series was not downsampled (${frame.times.length} bars, ${series.times.length} points)`);
    assert.ok(series.times.length <= CHART_POINTS);
    assert.equal(series.times.length, series.equity.length);
    assert.equal(series.times.length, series.drawdown.length);

    const at = (index: number) => new Date(frame.times[index]).toISOString();
    const kept = (index: number, label: string) => {
      const position = series.times.indexOf(at(index));
      assert.ok(position >= 0, `${label} (bar ${index}, ${at(index)}) is missing from the series`);
      assert.equal(series.equity[position], equity[index], label);
    };
    kept(0, 'first');
    kept(equity.length - 1, 'last');
    kept(equity.indexOf(Math.min(...equity)), 'minimum');
    kept(equity.indexOf(Math.max(...equity)), 'maximum');
    assert.equal(Math.min(...series.equity), Math.min(...equity));
    assert.equal(Math.max(...series.equity), Math.max(...equity));
    // The deepest drawdown survives too (that is what the drawdown chart must show).
    assert.equal(Math.max(...series.drawdown), Math.max(...drawdown));
    assert.ok(Math.abs(Math.max(...series.drawdown) - report.quick.metrics.max_drawdown) < 1e-12);
  });

  it('chartSeries keeps the extremes of a long random walk within the point budget', () => {
    const random = seededRandom(11);
    const length = 100_000;
    const times = new Float64Array(length);
    const equity = new Float64Array(length);
    let value = 1_000_000;
    for (let index = 0; index < length; index += 1) {
      times[index] = Date.UTC(2000, 0, 1) + index * 60_000;
      value *= 1 + (random() - 0.5) * 0.01;
      equity[index] = value;
    }
    const drawdown = drawdownSeries(equity, 1_000_000);
    const series = chartSeries(times, equity, drawdown, CHART_POINTS);
    assert.ok(series.times.length <= CHART_POINTS, `${series.times.length} points`);
    assert.ok(series.times.length > CHART_POINTS / 2);
    const all = Array.from(equity);
    assert.equal(series.equity[0], all[0]);
    assert.equal(series.times[0], new Date(times[0]).toISOString());
    assert.equal(series.equity[series.equity.length - 1], all[length - 1]);
    assert.equal(Math.min(...series.equity), Math.min(...all));
    assert.equal(Math.max(...series.equity), Math.max(...all));
    assert.equal(Math.max(...series.drawdown), Math.max(...Array.from(drawdown)));
    const sorted = [...series.times].sort();
    assert.deepEqual(series.times, sorted, 'times stay in order');
  });

  it('aligns two engines\u2019 series on one time axis, with gaps where one has no point', () => {
    const aligned = alignSeries([
      { times: ['2020-01-01T00:00:00.000Z', '2020-01-03T00:00:00.000Z'], values: [1, 3] },
      { times: ['2020-01-01T00:00:00.000Z', '2020-01-02T00:00:00.000Z', '2020-01-03T00:00:00.000Z'], values: [10, 20, 30] },
    ]);
    const day = Date.UTC(2020, 0, 1) / 1000;
    assert.deepEqual(aligned.xs, [day, day + 86_400, day + 2 * 86_400]);
    assert.deepEqual(aligned.ys, [
      [1, null, 3],
      [10, 20, 30],
    ]);
    const negated = alignSeries([{ times: ['2020-01-01T00:00:00.000Z'], values: [0.25] }], (value) => -value);
    assert.deepEqual(negated.ys, [[-0.25]]);
    assert.deepEqual(alignSeries([{ times: ['bad'], values: [1] }]), { xs: [], ys: [[]] });
  });
});

describe('restoring a report panel from its saved file', () => {
  after(cleanupTempDirs);

  it('loads an intact report, and says in one line why a missing, altered or misnamed one is not shown', async function () {
    this.timeout(60_000);
    const strategy = loadStrategy(join(EXAMPLES, 'strategy.json'));
    const frame = loadPrices(join(EXAMPLES, 'prices', 'SPY.csv'), { universe: strategy.strategy.universe });
    const report = await runPrecheck({ strategy, frame, precise: builtinEngine, config: GateConfigSchema.parse({}), cash: 1_000_000 });
    const dir = tempDir('qraft-report-view-');
    const saved = saveReport(dir, report);
    assert.equal(basename(saved.path), `precheck-${saved.report_hash}.json`);
    assert.equal(saved.report_hash, reportHash(report));
    assert.deepEqual(parseReportFileName(basename(saved.path)), { kind: 'qraft.precheck', hash: saved.report_hash });
    assert.deepEqual(parseReportFileName(`canary-${saved.report_hash}.json`), { kind: 'qraft.canary', hash: saved.report_hash });
    for (const other of ['notes.json', `other-${saved.report_hash}.json`, `precheck-${saved.report_hash}.json.bak`, `x/precheck-${saved.report_hash}.json`]) {
      assert.equal(parseReportFileName(other), undefined, other);
    }
    assert.ok(isReportPath(saved.path), saved.path);
    assert.ok(isReportViewState({ reportPath: saved.path }));

    const loaded = loadSavedReport(saved.path);
    assert.equal(loaded.kind, 'report');
    assert.deepEqual(loaded.kind === 'report' && loaded.report, report);

    const oneLine = (content: ReturnType<typeof loadSavedReport>, pattern: RegExp) => {
      assert.equal(content.kind, 'unavailable');
      assert.ok(content.kind === 'unavailable' && !content.message.includes('\n'), 'one line');
      assert.match(content.kind === 'unavailable' ? content.message : '', pattern);
    };

    // Altered after saving: still valid JSON and schema, but no longer its own hash.
    const text = readFileSync(saved.path, 'utf8');
    writeFileSync(saved.path, text.replace('"passed": true', '"passed": false'));
    oneLine(loadSavedReport(saved.path), /changed after it was saved/);
    writeFileSync(saved.path, '{ not json');
    oneLine(loadSavedReport(saved.path), /no longer available.*not valid JSON/);
    writeFileSync(saved.path, JSON.stringify({ kind: 'qraft.precheck' }));
    oneLine(loadSavedReport(saved.path), /no longer available.*invalid/);
    // A precheck saved under a canary name.
    writeFileSync(saved.path, text);
    const renamed = join(dir, basename(saved.path).replace('precheck-', 'canary-'));
    renameSync(saved.path, renamed);
    oneLine(loadSavedReport(renamed), /changed after it was saved/);
    rmSync(renamed);
    oneLine(loadSavedReport(saved.path), /no longer available.*no such file/);
    oneLine(loadSavedReport(join(dir, 'notes.json')), /not a saved precheck or canary report/);
  });
});
