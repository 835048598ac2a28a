// The extension inside a real VS Code (code-server 1.139): it activates, every contributed command
// is in the palette, the trees show a fixture workspace's state and follow the CLI's writes, and
// the Deployment view's own Rollback changes CURRENT.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, type Session, startSession } from './harness';
import { answerInput, contextMenu, dialogButton, openQraftSidebar, runCommand, treeRows, treeTexts, until } from './workbench';

const CLI = join(REPO, 'dist', 'cli.js');
const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { contributes: { commands: { command: string; title: string; category: string }[] } };
// The manifest's titles are %keys% into package.nls.json (the workbench here runs in English).
const nls = JSON.parse(readFileSync(join(REPO, 'package.nls.json'), 'utf8')) as Record<string, string>;
const localized = (text: string) => text.replace(/^%(.+)%$/, (whole, key: string) => nls[key] ?? whole);

function cli(ws: string, ...args: string[]): string {
  return execFileSync(process.execPath, [CLI, 'deploy', ...args], { cwd: ws, encoding: 'utf8' });
}

/** A copy of examples/ with two releases made by the CLI: 1.0.0 then 1.1.0 (CURRENT). */
function fixtureWorkspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'qraft-e2e-fixture-'));
  cpSync(join(REPO, 'examples'), ws, { recursive: true, filter: (src) => !src.includes('artifacts') });
  // Two releases to show in the trees; the second's canary is not what these checks are about.
  writeFileSync(join(ws, 'qraft.config.json'), JSON.stringify({ approval: { require_canary: 'never' } }));
  for (const [file, note] of [['strategy.json', 'first'], ['payload.json', 'second']]) {
    cli(ws, 'precheck', '--strategy', file, '--prices', 'prices/SPY.csv', '--engine', 'builtin');
    const hash = JSON.parse(cli(ws, 'propose', '--payload', file, '--metadata', 'metadata.json', '--fmt', 'json')).manifest_hash as string;
    cli(ws, 'approve-and-publish', '--hash', hash, '--approver', 'bob', '--note', note);
  }
  return ws;
}

describe('the extension in a real VS Code', function () {
  this.timeout(600_000);
  let session: Session;
  let ws: string;

  before(async () => {
    ws = fixtureWorkspace();
    session = await startSession({ workspace: ws, settings: { 'workbench.secondarySideBar.defaultVisibility': 'hidden', 'qraft.engine': 'builtin' } });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await session?.screenshot(`failed-ext-${this.currentTest.title.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
  });
  after(async () => {
    await session?.stop();
  });

  it('activates on the workspace and shows CURRENT in the status bar', async () => {
    await session.page.locator('.statusbar-item', { hasText: 'sma-cross-spy@1.1.0' }).first().waitFor({ timeout: 60_000 });
  });

  it('offers every contributed command in the command palette (and runs one)', async () => {
    const page = session.page;
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.fill('>Qraft: ');
    const titles = new Set<string>();
    // The list is virtual: scroll through it and collect every row.
    for (let round = 0; round < 6; round += 1) {
      for (const text of await page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts()) titles.add(text.trim());
      await page.keyboard.press('PageDown');
    }
    await page.keyboard.press('Escape');
    const hidden = new Set(['qraft.refresh']);
    const expected = manifest.contributes.commands.filter((command) => !hidden.has(command.command)).map((command) => `${localized(command.category)}: ${localized(command.title)}`);
    assert.deepEqual(expected.filter((title) => !titles.has(title)), [], `missing from the palette; seen: ${[...titles].join(' | ')}`);
    await runCommand(page, 'Qraft: Verify Release History');
    await page.locator('.notifications-toasts .notification-toast', { hasText: 'HISTORY verified: 2 entries' }).first().waitFor();
    await session.screenshot('ext-01-palette-verify');
  });

  it('the trees show the fixture workspace: CURRENT, HISTORY newest first, stable versions', async () => {
    await openQraftSidebar(session.page);
    await until('both trees filled', async () => (await treeTexts(session.page, 'Deployment')).length >= 4 && (await treeTexts(session.page, 'Strategy Pool')).length >= 3);
    const deployment = await treeTexts(session.page, 'Deployment');
    assert.match(deployment[0], /^CURRENT sma-cross-spy@1\.1\.0\s?[0-9a-f]{12} · bob/);
    assert.match(deployment[1], /^HISTORY\s?2 entries/);
    assert.match(deployment[2], /^#2 publish sma-cross-spy@1\.1\.0/);
    assert.match(deployment[3], /^#1 publish sma-cross-spy@1\.0\.0/);
    const pool = await treeTexts(session.page, 'Strategy Pool');
    assert.ok(pool.some((text) => /^sma-cross-spy@1\.1\.0\s?.*CURRENT/.test(text)), pool.join(' | '));
    await session.screenshot('ext-02-trees');
  });

  it('Compare with CURRENT on a pool entry opens a diff editor of the two strategies', async () => {
    await openQraftSidebar(session.page);
    const row = treeRows(session.page, 'Strategy Pool').filter({ hasText: 'sma-cross-spy@1.0.0' }).first();
    await contextMenu(session.page, row, 'Compare with CURRENT');
    const tab = session.page.locator('.tab.active', { hasText: /CURRENT [0-9a-f]{12} ↔ sma-cross-spy@1\.0\.0/ }).first();
    await tab.waitFor();
    // Both sides hold the payloads: the original shows CURRENT's version, the modified one 1.0.0.
    const diff = session.page.locator('.monaco-diff-editor').first();
    await diff.locator('.editor.original .view-line', { hasText: '"1.1.0"' }).first().waitFor();
    await diff.locator('.editor.modified .view-line', { hasText: '"1.0.0"' }).first().waitFor();
    await session.screenshot('ext-02b-compare-with-current');
    await runCommand(session.page, 'View: Close All Editor Groups');
  });

  it('the trees follow writes by the CLI', async () => {
    cli(ws, 'rollback', '--approver', 'carol', '--note', 'from a terminal');
    await until('the rollback in the tree', async () => (await treeTexts(session.page, 'Deployment')).some((text) => text.startsWith('#3 rollback sma-cross-spy@1.0.0') && text.includes('carol')));
    assert.match((await treeTexts(session.page, 'Deployment'))[0], /^CURRENT sma-cross-spy@1\.0\.0/);
    const [hash] = JSON.parse(cli(ws, 'history', '--fmt', 'json')).filter((entry: { seq: number }) => entry.seq === 2).map((entry: { manifest_hash: string }) => entry.manifest_hash);
    cli(ws, 'approve-and-publish', '--hash', hash, '--approver', 'dave', '--note', 'again');
    await until('the publish in the tree', async () => (await treeTexts(session.page, 'Deployment'))[0]?.startsWith('CURRENT sma-cross-spy@1.1.0'));
    await session.screenshot('ext-03-cli-writes');
  });

  it('the Deployment view\'s Rollback returns to the previous version', async () => {
    const page = session.page;
    await openQraftSidebar(page);
    const header = page.locator('.part.sidebar .pane-header', { hasText: 'Deployment' });
    await header.hover();
    await header.locator('.action-label[aria-label="Rollback to Previous Version"]').click();
    await dialogButton(page, 'Rollback');
    await answerInput(page, 'Rolled back by', 'erin');
    await answerInput(page, 'Why roll back?', 'view title action');
    await until('CURRENT back to 1.0.0', async () => (await treeTexts(page, 'Deployment'))[0]?.startsWith('CURRENT sma-cross-spy@1.0.0'));
    const history = JSON.parse(readFileSync(join(ws, 'artifacts', 'deploy', 'HISTORY.json'), 'utf8')) as { action: string; actor: string }[];
    assert.deepEqual(history.at(-1), { ...history.at(-1), action: 'rollback', actor: 'erin' });
    assert.equal(JSON.parse(readFileSync(join(ws, 'artifacts', 'deploy', 'CURRENT.json'), 'utf8')).strategy.version, '1.0.0');
    await session.screenshot('ext-04-view-rollback');
  });
});
