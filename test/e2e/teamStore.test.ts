// The team store (issue 16) in a real VS Code: a throwaway PostgreSQL server (test/support/postgres.ts:
// a Unix socket in a temp dir, no TCP port), one database, and two code-server sessions in headless
// Chromium, each on its own workspace whose .vscode/settings.json names that database in
// `qraft.store` (no password: the harness's `qraft` role is trusted on the socket). A publish made
// in window A's workspace by the CLI (`--store`) reaches window B's Deployment tree and status bar
// through LISTEN/NOTIFY, with no refresh. Screenshots go to test-output/e2e/ (git-ignored).
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLES, allowUngatedApproval, cleanupTempDirs, runCli, strategyPayload, tempDir, writeJson } from '../support/fixtures';
import { type TestDatabase, usePostgres } from '../support/postgres';
import { type Session, startSession } from './harness';
import { answerInput, dialogButton, openQraftSidebar, treeTexts, until } from './workbench';

/** How long a write may take to reach the other window (the issue asks for a second; the machine is shared). */
const LIVE_MS = 5_000;

/** A user setting that keeps the screenshots to the workbench's sidebar and editor. */
const SETTINGS = { 'workbench.secondarySideBar.defaultVisibility': 'hidden' };

/** A copy of examples/ named `name` (the window's title), whose .vscode/settings.json sets qraft.store to `url` (no password). */
function storeWorkspace(name: string, url: string): string {
  const dir = join(tempDir('qraft-e2e-team-'), name);
  cpSync(EXAMPLES, dir, { recursive: true, filter: (src) => !src.startsWith(join(EXAMPLES, 'artifacts')) });
  mkdirSync(join(dir, '.vscode'), { recursive: true });
  writeFileSync(join(dir, '.vscode', 'settings.json'), JSON.stringify({ 'qraft.store': url }, null, 2));
  return dir;
}

const currentRow = (texts: string[], label: string) => texts.find((text) => text.includes(`CURRENT ${label}`));
const statusItem = (session: Session, label: string) => session.page.locator('.part.statusbar .statusbar-item', { hasText: label }).first();

describe('the team store in two real VS Code windows (one PostgreSQL database)', function () {
  this.timeout(900_000);
  const pg = usePostgres();
  let db: TestDatabase;
  let wsA: string;
  let wsB: string;
  let a: Session | undefined;
  let b: Session | undefined;

  /** `qraft deploy …` in window A's workspace, on the database; its JSON output. */
  function cliA<T>(args: string[]): T {
    const run = runCli(['deploy', ...args, '--store', db.url, '--fmt', 'json'], wsA);
    assert.equal(run.code, 0, `qraft deploy ${args.join(' ')}: exit ${run.code}: ${run.stderr}`);
    return JSON.parse(run.stdout) as T;
  }

  function publish(version: string, approver: string, note: string): string {
    const payload = writeJson(join(wsA, `payload-${version}.json`), strategyPayload(version));
    const metadata = writeJson(join(wsA, `metadata-${version}.json`), { proposed_by: 'alice', description: note });
    const { manifest_hash: hash } = cliA<{ manifest_hash: string }>(['propose', '--payload', payload, '--metadata', metadata]);
    cliA(['approve-and-publish', '--hash', hash, '--approver', approver, '--note', note]);
    return hash;
  }

  before(async () => {
    db = await pg.cluster.createDatabase('qraft_e2e');
    // A: the quant's workspace (approvals ungated: this flow is about the store, not the gates); B: a colleague's.
    wsA = allowUngatedApproval(storeWorkspace('window-a-quant', db.url));
    wsB = storeWorkspace('window-b-reviewer', db.url);
    // The store is created by its first write (the schema migrates on first use): 1.0.0 is live before the windows open.
    publish('1.0.0', 'bob', 'first release');
    a = await startSession({ workspace: wsA, settings: SETTINGS });
    b = await startSession({ workspace: wsB, settings: SETTINGS });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await a?.screenshot('failed-team-store-a').catch(() => undefined);
      await b?.screenshot('failed-team-store-b').catch(() => undefined);
    }
  });
  after(async () => {
    // Each stopped even when the other's stop fails; the server goes in usePostgres's after hook.
    await a?.stop().catch(() => undefined);
    await b?.stop().catch(() => undefined);
    cleanupTempDirs();
  });

  it('both windows read the database: CURRENT 1.0.0 in the Deployment tree and the status bar; no deploy folder on disk', async () => {
    for (const session of [a!, b!]) {
      await openQraftSidebar(session.page);
      await until('CURRENT 1.0.0 in the Deployment tree', async () => currentRow(await treeTexts(session.page, 'Deployment'), 'sma-cross-spy@1.0.0'), 90_000);
      await statusItem(session, 'sma-cross-spy@1.0.0').waitFor({ timeout: 30_000 });
    }
    // The history row names the approver and note, read from the database (HISTORY's rows may render a moment after CURRENT).
    const historyRow = (rows: string[]) => rows.some((text) => /#1 publish sma-cross-spy@1\.0\.0/.test(text) && text.includes('bob') && text.includes('first release'));
    await until('the #1 publish row with its approver and note in window B', async () => historyRow(await treeTexts(b!.page, 'Deployment')));
    // Nothing of the release lives in the workspaces: the pool and the deploy state are the database's.
    for (const ws of [wsA, wsB]) {
      assert.equal(existsSync(join(ws, 'artifacts', 'deploy')), false, ws);
      assert.equal(existsSync(join(ws, 'artifacts', 'pool', 'candidates')), false, ws);
    }
    await a!.page.mouse.move(1200, 700);
    await b!.page.mouse.move(1200, 700);
    await a!.screenshot('team-store-a');
    await b!.screenshot('team-store-b');
  });

  it('a publish from window A (the CLI with --store) shows in window B’s tree (CURRENT) and status bar within seconds, without a refresh', async () => {
    const started = Date.now();
    const hash = publish('2.0.0', 'carol', 'faster averages');
    const published = Date.now();
    const rowB = await until('CURRENT 2.0.0 in window B', async () => currentRow(await treeTexts(b!.page, 'Deployment'), 'sma-cross-spy@2.0.0'), LIVE_MS + 10_000);
    const seenB = Date.now() - published;
    assert.ok(rowB.includes(hash.slice(0, 12)) && rowB.includes('carol'), rowB);
    await statusItem(b!, 'sma-cross-spy@2.0.0').waitFor({ timeout: LIVE_MS });
    const statusB = Date.now() - published;
    // And in window A, where the write was made.
    await until('CURRENT 2.0.0 in window A', async () => currentRow(await treeTexts(a!.page, 'Deployment'), 'sma-cross-spy@2.0.0'), LIVE_MS + 10_000);
    process.stderr.write(`[e2e] team store: CLI publish ${published - started} ms; B's tree after ${seenB} ms, B's status bar after ${statusB} ms\n`);
    assert.ok(seenB <= LIVE_MS, `window B showed the publish after ${seenB} ms`);
    assert.ok(statusB <= LIVE_MS, `window B's status bar showed the publish after ${statusB} ms`);
    // Both HISTORY rows, newest first (they may render a moment after CURRENT).
    await until('both HISTORY rows in window B', async () => {
      const rows = await treeTexts(b!.page, 'Deployment');
      const second = rows.findIndex((text) => /#2 publish sma-cross-spy@2\.0\.0/.test(text));
      const first = rows.findIndex((text) => /#1 publish sma-cross-spy@1\.0\.0/.test(text));
      return second >= 0 && first > second;
    });
    await b!.page.mouse.move(1200, 700);
    await b!.page.waitForTimeout(300);
    await b!.screenshot('team-store-b-after-publish');
    await a!.screenshot('team-store-a-after-publish');
  });

  it('a rollback from window A’s Deployment view reaches window B too', async () => {
    const page = a!.page;
    const header = page.locator('.part.sidebar .pane-header', { hasText: 'Deployment' });
    await header.hover();
    await header.locator('.action-label[aria-label="Rollback to Previous Version"]').click();
    await dialogButton(page, 'Rollback');
    await answerInput(page, 'Rolled back by', 'erin');
    await answerInput(page, 'Why roll back?', '2.0.0 trades too often');
    const asked = Date.now();
    await until('CURRENT back to 1.0.0 in window A', async () => currentRow(await treeTexts(page, 'Deployment'), 'sma-cross-spy@1.0.0'), 30_000);
    await until('the rollback in window B', async () => (await treeTexts(b!.page, 'Deployment')).some((text) => text.startsWith('#3 rollback sma-cross-spy@1.0.0') && text.includes('erin')), 30_000);
    assert.ok(currentRow(await treeTexts(b!.page, 'Deployment'), 'sma-cross-spy@1.0.0'));
    await statusItem(b!, 'sma-cross-spy@1.0.0').waitFor({ timeout: LIVE_MS });
    const seenB = Date.now() - asked;
    process.stderr.write(`[e2e] team store: window A's rollback in B's tree and status bar after ${seenB} ms\n`);
    assert.ok(seenB <= LIVE_MS + 3_000, `window B showed the rollback after ${seenB} ms`);
    // Written to the database, as the CLI reads it.
    const history = cliA<{ action: string; actor: string; note: string }[]>(['history', '--order', 'oldest']);
    assert.deepEqual(history.map((entry) => [entry.action, entry.actor]), [['publish', 'bob'], ['publish', 'carol'], ['rollback', 'erin']]);
    assert.equal(cliA<{ ok: boolean }>(['verify']).ok, true);
    await b!.page.mouse.move(1200, 700);
    await b!.page.waitForTimeout(300);
    await b!.screenshot('team-store-b-after-rollback');
  });

  it('the server stopped: window B says the release store needs attention (tree and status bar); started again, B reconnects and reads CURRENT without a refresh', async () => {
    pg.cluster.stopServer('fast');
    // The Deployment view's Refresh (the palette hides it): reads the store now.
    const header = b!.page.locator('.part.sidebar .pane-header', { hasText: 'Deployment' });
    await header.hover();
    await header.locator('.action-label[aria-label="Refresh"]').click();
    const problem = await until('the store problem in window B', async () => (await treeTexts(b!.page, 'Deployment')).find((text) => text.startsWith('The release store needs attention')), 30_000);
    assert.match(problem, /PostgreSQL/);
    assert.doesNotMatch(problem, /deploy files/i);
    await statusItem(b!, 'Qraft: the release store needs attention').waitFor({ timeout: 10_000 });
    await b!.page.mouse.move(1200, 700);
    await b!.page.waitForTimeout(300);
    await b!.screenshot('team-store-b-server-down');
    pg.cluster.startServer();
    // The listener reconnects (its pause grows to 5 s at most) and re-reads: no refresh from here on.
    await until('CURRENT 1.0.0 in window B after the restart', async () => currentRow(await treeTexts(b!.page, 'Deployment'), 'sma-cross-spy@1.0.0'), 30_000);
    await statusItem(b!, 'sma-cross-spy@1.0.0').waitFor({ timeout: 10_000 });
  });
});
