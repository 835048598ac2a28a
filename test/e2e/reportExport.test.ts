// `qraft deploy report HASH --html OUT` (issue 15): the exported file opened from file:// in the e2e
// Chromium, offline — no request leaves the file, both uPlot charts are drawn (pixels on their
// canvases), the gate table, metrics and per-symbol breakdown are on the page, and a strategy name
// that is markup stays text. Screenshot: test-output/e2e/report-export.png.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { loadPrices } from '../../src/core/backtest/data/load';
import { builtinEngine } from '../../src/core/backtest/engines/builtin';
import { parseStrategy } from '../../src/core/backtest/strategy/load';
import { GateConfigSchema } from '../../src/core/evidence/gates/config';
import { runPrecheck } from '../../src/core/evidence/precheck';
import { saveReport } from '../../src/core/evidence/reports/store';
import { CHROMIUM, OUTPUT, REPO, ensureTools } from './harness';

const CLI = join(REPO, 'bin', 'qraft.js');
const DAILY = join(REPO, 'test', 'data', 'daily');
const HOSTILE = '<img src=x onerror=alert(1)>';

describe('exported report HTML in Chromium (file://, offline)', () => {
  let browser: Browser | undefined;
  let dir: string;
  let out: string;

  before(async function () {
    this.timeout(300_000);
    if (!existsSync(CHROMIUM)) ensureTools({ browser: true });
    if (!existsSync(join(REPO, 'media', 'dist', 'report-export.js')) || !existsSync(join(REPO, 'dist', 'cli.js'))) {
      execFileSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    }
    dir = mkdtempSync(join(tmpdir(), 'qraft-export-e2e-'));
    // A basket precheck (six symbols, so the breakdown has rows) under a name that is markup.
    const loaded = parseStrategy(
      { name: HOSTILE, version: '1.0.0', universe: ['AAPL', 'GLD', 'MSFT', 'QQQ', 'SPY', 'TLT'], signal: { type: 'momentum', lookback: 63, top_n: 2, rebalance_every: 21 }, costs: { commission_bps: 1, slippage_bps: 2, min_commission: 1 } },
      join(dir, 'strategy.json'),
      dir,
    );
    const frame = loadPrices(DAILY, { universe: loaded.strategy.universe });
    const report = await runPrecheck({ strategy: loaded, frame, precise: builtinEngine, config: GateConfigSchema.parse({}), cash: 1_000_000 });
    const saved = saveReport(join(dir, 'artifacts', 'reports'), report);
    out = join(dir, 'report.html');
    execFileSync(process.execPath, [CLI, 'deploy', 'report', saved.report_hash.slice(0, 10), '--html', out], { cwd: dir, stdio: 'pipe' });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('makes no network request, draws both charts and every table, and shows the hostile name as text', async () => {
    assert.ok(browser);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (request) => {
      const url = request.url();
      if (!url.startsWith('file:') && !url.startsWith('data:')) requests.push(url);
    });
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs += 1;
      void dialog.dismiss();
    });
    await page.goto(pathToFileURL(out).href);
    await page.locator('.report-precheck').waitFor({ timeout: 30_000 });
    const canvases = page.locator('.chart canvas');
    await canvases.nth(1).waitFor({ timeout: 30_000 });

    // Both charts drawn: each canvas has painted (non-transparent) pixels.
    const painted: number[] = [];
    for (const canvas of await canvases.all()) {
      painted.push(
        await canvas.evaluate((element) => {
          const target = element as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
          const data = target.width && target.height ? target.getContext('2d')?.getImageData(0, 0, target.width, target.height).data : undefined;
          let count = 0;
          if (data) for (let i = 3; i < data.length; i += 4) if (data[i] > 0) count += 1;
          return count;
        }),
      );
    }
    assert.equal(painted.length, 2, `canvases: ${painted.length}`);
    for (const [index, count] of painted.entries()) assert.ok(count > 500, `chart ${index + 1} has ${count} painted pixels`);
    const captions = await page.locator('.chart figcaption').allTextContents();
    assert.deepEqual(captions, ['Equity', 'Drawdown']);

    // The tables: gates, metrics, and one breakdown row per symbol.
    assert.equal(await page.locator('table.gates tbody tr').count(), 5);
    assert.ok((await page.locator('table.metrics tbody tr').count()) >= 12);
    const symbols = await page.locator('table.breakdown tbody th').allTextContents();
    assert.deepEqual(symbols, ['AAPL', 'GLD', 'MSFT', 'QQQ', 'SPY', 'TLT']);
    // No action bar in a file: nothing to act on.
    assert.equal(await page.locator('.actions').count(), 0);

    // The markup name is text: in the heading and the title, never an element.
    assert.equal(await page.locator('.strategy').first().textContent(), `${HOSTILE}@1.0.0`);
    assert.equal(await page.locator('img').count(), 0);
    assert.ok((await page.title()).includes(HOSTILE));
    assert.equal(dialogs, 0);

    assert.deepEqual(requests, [], `network requests: ${requests.join(', ')}`);
    assert.deepEqual(errors, [], `page errors (a CSP refusal would show here): ${errors.join(' | ')}`);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'report-export.png'), fullPage: true });
    await page.close();
  });
});
