// The self-contained HTML export of a report (issue 15): `qraft deploy report HASH|FILE --html OUT`
// and the report panel's Export HTML build the same file with src/core/evidence/reportExport.ts.
// Checked here: nothing in the file points at the network, the CSP admits exactly the inline
// script and stylesheet, strings that are markup stay text, and the CLI refuses bad input with
// exit 2 and one sentence, creating nothing. The browser side is test/e2e/reportExport.test.ts.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrices } from '../../src/core/backtest/data/load';
import { builtinEngine } from '../../src/core/backtest/engines/builtin';
import { parseStrategy } from '../../src/core/backtest/strategy/load';
import { reportAssets } from '../../src/cli/report';
import { GateConfigSchema } from '../../src/core/evidence/gates/config';
import { runPrecheck } from '../../src/core/evidence/precheck';
import { checkExportPath, exportCsp, reportExportHtml, writeReportExport } from '../../src/core/evidence/reportExport';
import type { PrecheckReport } from '../../src/core/evidence/reports/schema';
import { type SavedReport, saveReport } from '../../src/core/evidence/reports/store';
import { isWebviewMessage } from '../../src/views/report/protocol';
import { CLI, DAILY, REPO_ROOT, cleanupTempDirs, runCli, snapshot, tempDir } from '../support/fixtures';

const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)> `${x}` & "q" \'s\' <!--';

/** Every start tag of the page outside the inline script, style and data block. */
function markupTags(html: string): string[] {
  const outside = html.replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/g, (_all, name: string) => `<${name}></${name}>`);
  return outside.match(/<[a-zA-Z][^>]*>/g) ?? [];
}

function inline(html: string, tag: 'script' | 'style', attrs = ''): string[] {
  return [...html.matchAll(new RegExp(`<${tag}${attrs}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1]);
}

describe('report HTML export', () => {
  let report: PrecheckReport;
  let assets: ReturnType<typeof reportAssets>;

  before(async function () {
    this.timeout(120_000);
    if (!existsSync(join(REPO_ROOT, 'media', 'dist', 'report-export.js')) || !existsSync(CLI)) {
      execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    }
    assets = reportAssets(join(REPO_ROOT, 'src', 'cli'));
    const loaded = parseStrategy({ name: HOSTILE, version: '1.0.0', universe: ['SPY', 'TLT', 'GLD'], signal: { type: 'rsi', period: 14, lower: 30, upper: 70 } }, join(DAILY, 'strategy.json'), DAILY);
    const frame = loadPrices(DAILY, { universe: loaded.strategy.universe });
    report = await runPrecheck({ strategy: loaded, frame, precise: builtinEngine, config: GateConfigSchema.parse({}), cash: 1_000_000 });
  });
  after(cleanupTempDirs);

  it('is one file: the renderer inline, no URL of any kind, nothing to fetch', () => {
    const html = reportExportHtml(report, '/tmp/precheck-x.json', assets);
    assert.doesNotMatch(html, /https?:/i);
    for (const tag of markupTags(html)) assert.doesNotMatch(tag, /\s(?:src|href|action|srcset|poster|data|background)\s*=/i, `${tag} loads something`);
    assert.doesNotMatch(html, /["'`(]\/\/[\w-]+(\.[\w-]+)+/, 'no protocol-relative //host URL');
    assert.doesNotMatch(html, /url\(\s*['"]?(?!data:)/i, 'no CSS url() but data:');
    assert.doesNotMatch(html, /@import/i);
    assert.doesNotMatch(html, /<(?:link|iframe|object|embed|img|base)\b/i);
    // Exactly the data block and the renderer, then the stylesheet.
    assert.equal((html.match(/<script\b/g) ?? []).length, 2);
    assert.equal((html.match(/<style\b/g) ?? []).length, 1);
    assert.ok(Buffer.byteLength(html) < 600_000, `${Buffer.byteLength(html)} bytes`);
  });

  it('has a strict CSP: default-src none, the script and stylesheet admitted by their sha256', () => {
    const html = reportExportHtml(report, '/tmp/precheck-x.json', assets);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    assert.ok(csp, 'CSP meta');
    assert.match(csp, /^default-src 'none'; /);
    assert.doesNotMatch(csp, /unsafe-|https?:|\*/);
    const [script] = inline(html, 'script');
    const [style] = inline(html, 'style');
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    assert.ok(csp.includes(`script-src ${hash(script)}`), 'script hash');
    assert.ok(csp.includes(`style-src ${hash(style)}`), 'style hash');
    assert.equal(csp, exportCsp(script, style));
    // The CSP meta comes before anything it governs.
    assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<style>'));
  });

  it('keeps a hostile strategy name as text: escaped in the title, \\u-escaped in the data block', () => {
    const html = reportExportHtml(report, '/tmp/<b>x</b>.json', assets);
    for (const tag of markupTags(html)) assert.match(tag, /^<(!DOCTYPE|html|head|meta|title|style|body|main|noscript|script)\b/i, `unexpected tag ${tag}`);
    assert.ok(!html.includes('<img'), 'no img element');
    assert.ok(!html.includes('<b>x'), 'the path is data');
    const title = /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
    assert.ok(title.includes('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &#96;${x}&#96; &amp; &quot;q&quot; &#39;s&#39; &lt;!--'), title);
    const [data] = inline(html, 'script', ' type="application/json" id="qraft-report"');
    assert.ok(data, 'data block');
    assert.ok(!/<|>|&/.test(data), 'no <, > or & inside the data block');
    const embedded = JSON.parse(data) as { report: PrecheckReport; reportPath: string };
    assert.equal(embedded.report.strategy.name, HOSTILE);
    assert.deepEqual(embedded.report.quick.breakdown, report.quick.breakdown);
    assert.equal(embedded.reportPath, '/tmp/<b>x</b>.json');
  });

  it('inline renderer text cannot end its element early', () => {
    const html = reportExportHtml(report, '/tmp/r.json', { script: 'var a = "</script><!-- x"; // </SCRIPT>', style: 'a::after { content: "</style>"; }' });
    assert.equal((html.match(/<\/script>/gi) ?? []).length, 2);
    assert.equal((html.match(/<\/style>/gi) ?? []).length, 1);
    assert.ok(html.includes('var a = "<\\/script><\\!-- x"; // <\\/SCRIPT>'));
  });

  it('writes atomically: the whole file or the old one, no temp file left', () => {
    const dir = tempDir('qraft-export-');
    const out = join(dir, 'report.html');
    writeFileSync(out, 'old');
    const written = writeReportExport(out, report, '/tmp/r.json', assets);
    assert.equal(written.path, out);
    assert.equal(readFileSync(out, 'utf8'), reportExportHtml(report, '/tmp/r.json', assets));
    assert.deepEqual(readdirSync(dir), ['report.html']);
    assert.throws(() => checkExportPath(join(dir, 'missing', 'r.html')), /the folder .*missing does not exist\.$/);
    assert.throws(() => checkExportPath(dir), /it is a folder\.$/);
  });

  it('the panel protocol accepts exportHtml as a data-free message only', () => {
    assert.ok(isWebviewMessage({ type: 'exportHtml' }));
    assert.ok(!isWebviewMessage({ type: 'exportHtml', path: '/etc/passwd' }));
  });

  describe('qraft deploy report', () => {
    let ws: string;
    let saved: SavedReport;

    before(() => {
      ws = tempDir('qraft-report-cli-');
      saved = saveReport(join(ws, 'artifacts', 'reports'), report);
    });

    it('writes the HTML from a hash prefix and from a report file, and says where', () => {
      const first = runCli(['deploy', 'report', saved.report_hash.slice(0, 8), '--html', 'a.html'], ws);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^Wrote a\.html \(\d+ KB\): the precheck report [0-9a-f]{12} of /);
      const html = readFileSync(join(ws, 'a.html'), 'utf8');
      assert.equal(html, reportExportHtml(report, saved.path, assets));
      const second = runCli(['deploy', 'report', saved.path, '--html', join(ws, 'b.html'), '--fmt', 'json'], ws);
      assert.equal(second.code, 0, second.stderr);
      const json = JSON.parse(second.stdout) as { path: string; bytes: number; report_hash: string; kind: string };
      assert.equal(json.report_hash, saved.report_hash);
      assert.equal(json.kind, 'precheck');
      assert.equal(json.bytes, Buffer.byteLength(readFileSync(join(ws, 'b.html'))));
    });

    it("finds a report in a candidate's evidence", () => {
      const other = tempDir('qraft-report-pool-');
      const evidence = join(other, 'artifacts', 'pool', 'candidates', 'a'.repeat(64), 'evidence');
      const inPool = saveReport(evidence, report);
      const run = runCli(['deploy', 'report', inPool.report_hash.slice(0, 12), '--html', 'c.html'], other);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(existsSync(join(other, 'c.html')));
    });

    const refusals: [string, (ws: string, hash: string) => string[], RegExp][] = [
      ['an unknown hash', () => ['deploy', 'report', 'deadbeefcafe', '--html', 'x.html'], /^qraft: No report deadbeefcafe in artifacts\/reports or the candidates' evidence in artifacts\/pool\/candidates\.$/],
      ['a word that is no hash', () => ['deploy', 'report', 'latest', '--html', 'x.html'], /is neither a report file nor a report hash/],
      ['an invalid report file', (dir) => ['deploy', 'report', join(dir, 'bad.json'), '--html', 'x.html'], /bad\.json is not a valid precheck or canary report: /],
      ['a report file that does not exist', () => ['deploy', 'report', 'nowhere/r.json', '--html', 'x.html'], /^qraft: No report file nowhere\/r\.json\.$/],
      ['OUT in a missing folder', (_dir, hash) => ['deploy', 'report', hash, '--html', 'missing/x.html'], /^qraft: Cannot write x\.html: the folder .*missing does not exist\.$/],
      ['OUT an existing folder', (_dir, hash) => ['deploy', 'report', hash, '--html', 'artifacts'], /^qraft: Cannot write the HTML file to .*artifacts: it is a folder\.$/],
      ['no --html', (_dir, hash) => ['deploy', 'report', hash], /^qraft: qraft deploy report needs --html\.$/],
      ['no report argument', () => ['deploy', 'report', '--html', 'x.html'], /^qraft: qraft deploy report needs HASH\|FILE/],
    ];
    for (const [what, args, message] of refusals) {
      it(`refuses ${what}: exit 2, one sentence, nothing created`, () => {
        const dir = tempDir('qraft-report-refuse-');
        const inDir = saveReport(join(dir, 'artifacts', 'reports'), report);
        writeFileSync(join(dir, 'bad.json'), JSON.stringify({ kind: 'qraft.precheck', passed: true }));
        mkdirSync(join(dir, 'artifacts', 'pool', 'candidates'), { recursive: true });
        const before = snapshot(dir);
        const run = runCli(args(dir, inDir.report_hash.slice(0, 10)), dir);
        assert.equal(run.code, 2, `${run.stdout}${run.stderr}`);
        assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
        assert.match(run.stderr.trim(), message);
        assert.deepEqual(snapshot(dir), before);
      });
    }
  });
});
