// User flows in a real VS Code (code-server 1.139 in headless Chromium), each checked on screen
// and on disk. Screenshots go to test-output/e2e/ (git-ignored).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, type Session, startSession } from './harness';
import { answerInput, closeAllEditors, until, contextMenu, dialogButton, inlineAction, notification, openFile, openQraftSidebar, reportFrame, runCommand, treeRows, treeTexts } from './workbench';

const PYTHON = join(REPO, '.venv', 'bin', 'python');
const CLI = join(REPO, 'dist', 'cli.js');

function exampleWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qraft-e2e-ws-'));
  cpSync(join(REPO, 'examples'), dir, { recursive: true, filter: (src) => !src.includes('artifacts') });
  // A second version of the strategy, as its own strategy file, for the second release.
  writeFileSync(join(dir, 'v2.strategy.json'), readFileSync(join(dir, 'payload.json')));
  // A strategy whose name is markup, for the escaping check.
  writeFileSync(join(dir, 'hostile.strategy.json'), JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'strategy.json'), 'utf8')), name: '<img src=x onerror=alert(1)>', grid: undefined }, null, 2));
  // A strategy with a schema error (fast is not a number), for the diagnostics flow.
  writeFileSync(join(dir, 'broken.strategy.json'), JSON.stringify({ name: 'broken', version: '1', universe: ['SPY'], signal: { type: 'sma_cross', fast: 'ten', slow: 30 } }, null, 2));
  return dir;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const reports = (ws: string, kind: string) => (existsSync(join(ws, 'artifacts', 'reports')) ? readdirSync(join(ws, 'artifacts', 'reports')).filter((name) => name.startsWith(`${kind}-`)) : []);

/** Clicks a code lens of the active editor by its title. */
async function clickLens(session: Session, title: string): Promise<void> {
  const lens = session.page.locator('.codelens-decoration a', { hasText: title }).first();
  await lens.waitFor({ timeout: 30_000 });
  await lens.click();
}

/** Precheck from the code lens, then waits for the report panel's verdict. */
async function precheckFromLens(session: Session, file: string, screenshot: string): Promise<void> {
  await closeAllEditors(session.page);
  await openFile(session.page, file);
  const before = reports(session.workspace, 'precheck').length;
  await clickLens(session, 'Run Precheck');
  await until('the precheck report file', () => reports(session.workspace, 'precheck').length > before, 120_000);
  const frame = reportFrame(session.page);
  await frame.locator('text=PASSED').first().waitFor({ timeout: 60_000 });
  await session.screenshot(screenshot);
}

async function approveFromTree(session: Session, label: string, approver: string, note: string): Promise<void> {
  await openQraftSidebar(session.page);
  const row = treeRows(session.page, 'Strategy Pool').filter({ hasText: label }).first();
  await row.waitFor({ timeout: 30_000 });
  // Let the watchers' refresh after the proposal settle, then use the candidate's inline action.
  await session.page.waitForTimeout(1000);
  await inlineAction(row, 'Approve and Publish…');
  await answerInput(session.page, /Approver for/, approver);
  await answerInput(session.page, 'Approval note', note);
}

/** Canary from the code lens, then waits for the report panel's verdict. */
async function canaryFromLens(session: Session, file: string): Promise<void> {
  await closeAllEditors(session.page);
  await openFile(session.page, file);
  const before = reports(session.workspace, 'canary').length;
  await clickLens(session, 'Run Canary');
  await until('the canary report file', () => reports(session.workspace, 'canary').length > before, 60_000);
  await reportFrame(session.page).locator('text=/^(PASS|MARGINAL|FAIL)$/').first().waitFor({ timeout: 30_000 });
}

async function proposeFromLens(session: Session, file: string, proposer: string): Promise<void> {
  await openFile(session.page, file);
  await clickLens(session, 'Propose');
  await answerInput(session.page, 'Proposed by', proposer);
  await answerInput(session.page, 'Description of this proposal', `${file} from the e2e flow`);
}

describe('user flows in a real VS Code', function () {
  this.timeout(600_000);
  let session: Session;
  let ws: string;

  before(async () => {
    ws = exampleWorkspace();
    session = await startSession({ workspace: ws, settings: { 'qraft.pythonPath': PYTHON, 'workbench.secondarySideBar.defaultVisibility': 'hidden' } });
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await session?.screenshot(`failed-${this.currentTest.title.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
  });
  after(async () => {
    await session?.stop();
  });

  it('Run Precheck from the code lens shows the report: verdict, gate table, charts; the report is on disk', async () => {
    await precheckFromLens(session, 'strategy.json', '01-precheck-report');
    const frame = reportFrame(session.page);
    for (const gate of ['consistency', 'cold_start', 'cost_sensitivity', 'leakage']) await frame.getByText(gate, { exact: true }).first().waitFor();
    const canvases = frame.locator('canvas');
    await canvases.first().waitFor();
    assert.ok((await canvases.count()) >= 2, 'equity and drawdown charts');
    // A drawn chart has non-blank pixels.
    const drawn = await canvases.first().evaluate((element) => {
      const canvas = element as unknown as { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null };
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
      return data ? data.some((value: number, index: number) => index % 4 === 3 && value > 0) : false;
    });
    assert.ok(drawn, 'the equity chart has pixels');
    await frame.locator('canvas').first().scrollIntoViewIfNeeded();
    await session.screenshot('02-precheck-charts');
    const [name] = reports(ws, 'precheck');
    const report = readJson(join(ws, 'artifacts', 'reports', name));
    assert.equal(report.passed, true);
    assert.equal(report.precise.engine, 'nautilus');
    await frame.getByText(/nautilus 1\.\d+\.\d+/).first().waitFor();
    // Open JSON opens the saved report beside the panel.
    await frame.getByText('Open JSON', { exact: true }).first().click();
    await session.page.locator('.tab', { hasText: name }).first().waitFor();
  });

  it('a report panel comes back after the window reloads (serializer)', async () => {
    // Reload Window shuts the workbench down properly (saving its editors), then reloads the page.
    await runCommand(session.page, 'Developer: Reload Window');
    await session.page.waitForTimeout(2000);
    await session.page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
    await session.page.locator('.tab', { hasText: 'Precheck: sma-cross-spy@1.0.0' }).first().click();
    await reportFrame(session.page).locator('text=PASSED').first().waitFor({ timeout: 60_000 });
    await session.screenshot('01b-report-restored');
  });

  it('a strategy named like markup is shown as text in the report', async () => {
    await closeAllEditors(session.page);
    await openFile(session.page, 'hostile.strategy.json');
    const before = reports(ws, 'precheck').length;
    await clickLens(session, 'Run Precheck');
    await until('the hostile precheck report', () => reports(ws, 'precheck').length > before, 120_000);
    const frame = reportFrame(session.page);
    await frame.getByText('<img src=x onerror=alert(1)>', { exact: false }).first().waitFor({ timeout: 60_000 });
    assert.equal(await frame.locator('img[src="x"]').count(), 0);
    await session.screenshot('01c-hostile-name-as-text');
  });

  it('Propose puts a candidate in the Strategy Pool; Approve and Publish makes it CURRENT on screen and on disk', async () => {
    await proposeFromLens(session, 'strategy.json', 'alice');
    await openQraftSidebar(session.page);
    await until('the candidate row', async () => (await treeTexts(session.page, 'Strategy Pool')).some((text) => text.includes('sma-cross-spy@1.0.0') && text.includes('precheck passed')));
    await session.screenshot('03-pool-candidate');
    await approveFromTree(session, 'sma-cross-spy@1.0.0', 'bob', 'first release');
    await until('CURRENT in the Deployment tree', async () => (await treeTexts(session.page, 'Deployment')).some((text) => text.includes('CURRENT sma-cross-spy@1.0.0')));
    await session.screenshot('04-deployment-current');
    const current = readJson(join(ws, 'artifacts', 'deploy', 'CURRENT.json'));
    assert.equal(current.approved_by, 'bob');
    assert.equal(current.strategy.version, '1.0.0');
    const history = readJson(join(ws, 'artifacts', 'deploy', 'HISTORY.json'));
    assert.deepEqual(history.map((entry: { action: string; note: string }) => [entry.action, entry.note]), [['publish', 'first release']]);
    await session.page.locator('.statusbar-item', { hasText: 'sma-cross-spy@1.0.0' }).first().waitFor();
  });

  it('a second release whose canary fails is refused in a dialog; Approve Anyway needs a note; then Rollback to This Version brings the first back', async () => {
    await precheckFromLens(session, 'v2.strategy.json', '05-precheck-v2');
    // 1.1.0's canary against CURRENT 1.0.0 fails (drawdown over the 15% limit): approval refuses it.
    await canaryFromLens(session, 'v2.strategy.json');
    await proposeFromLens(session, 'v2.strategy.json', 'alice');
    await approveFromTree(session, 'sma-cross-spy@1.1.0', 'bob', '');
    const dialog = session.page.locator('.monaco-dialog-box', { hasText: /Approval of [0-9a-f]{12} refused/ }).first();
    await dialog.waitFor({ timeout: 60_000 });
    await dialog.getByText(/the canary report [0-9a-f]{12} fails: drawdown/).first().waitFor();
    await session.screenshot('05b-approval-refused-dialog');
    await dialogButton(session.page, 'Approve Anyway…');
    await answerInput(session.page, /Why approve despite the refusals/, 'slower averages; drawdown limit under review');
    await until('1.1.0 CURRENT', async () => (await treeTexts(session.page, 'Deployment')).some((text) => text.includes('CURRENT sma-cross-spy@1.1.0')));
    // Let the watchers' refresh after the publish settle, then use the entry's inline action.
    await session.page.waitForTimeout(1000);
    const first = treeRows(session.page, 'Deployment').filter({ hasText: '#1 publish sma-cross-spy@1.0.0' }).first();
    await inlineAction(first, 'Rollback to This Version…');
    await dialogButton(session.page, 'Rollback');
    await answerInput(session.page, 'Rolled back by', 'carol');
    await answerInput(session.page, 'Why roll back?', '1.1.0 trades too late');
    await until('1.0.0 CURRENT again', async () => (await treeTexts(session.page, 'Deployment')).some((text) => text.includes('CURRENT sma-cross-spy@1.0.0')));
    await session.screenshot('06-rolled-back');
    const history = readJson(join(ws, 'artifacts', 'deploy', 'HISTORY.json'));
    assert.deepEqual(history.map((entry: { action: string; actor: string }) => [entry.action, entry.actor]), [['publish', 'bob'], ['publish', 'bob'], ['rollback', 'carol']]);
    assert.deepEqual(history[1].overridden, ['canary_failed']);
    assert.equal(history[1].note, 'slower averages; drawdown limit under review');
    assert.equal(readJson(join(ws, 'artifacts', 'deploy', 'CURRENT.json')).strategy.version, '1.0.0');
  });

  it('right-click strategy.json in the explorer → Run Canary shows the canary report against CURRENT', async () => {
    const before = reports(ws, 'canary').length;
    await closeAllEditors(session.page);
    await session.page.keyboard.press('Control+Shift+E');
    const item = session.page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^strategy\.json$/ }).first();
    await item.waitFor();
    await contextMenu(session.page, item, 'Run Canary');
    await until('the canary report file', () => reports(ws, 'canary').length > before, 60_000);
    const frame = reportFrame(session.page);
    await frame.locator('text=/^(PASS|MARGINAL|FAIL)$/').first().waitFor({ timeout: 30_000 });
    await frame.locator('text=/CURRENT/').first().waitFor();
    await session.screenshot('07-canary-report');
    const [name] = reports(ws, 'canary');
    const report = readJson(join(ws, 'artifacts', 'reports', name));
    assert.equal(report.baseline.strategy.version, '1.0.0');
  });

  it('a broken strategy.json: the schema flags it in Problems and Run Precheck says what is wrong in one sentence', async () => {
    await openFile(session.page, 'broken.strategy.json');
    await session.page.keyboard.press('Control+Shift+M');
    const problem = session.page.locator('.markers-panel .monaco-list-row', { hasText: /Incorrect type|Expected "integer"|number/ }).first();
    await problem.waitFor({ timeout: 30_000 });
    await runCommand(session.page, 'Qraft: Run Precheck');
    const toast = notification(session.page, /broken\.strategy\.json is invalid: signal\.fast/);
    await toast.waitFor({ timeout: 30_000 });
    await session.screenshot('08-broken-strategy');
  });

  it('the CLI writes to artifacts/deploy while the workbench is open → the Deployment tree updates', async () => {
    await openQraftSidebar(session.page);
    const hash = readJson(join(ws, 'artifacts', 'deploy', 'HISTORY.json'))[1].manifest_hash as string;
    // 1.1.0's canary against 1.0.0 failed, so the terminal approval is forced too.
    execFileSync(process.execPath, [CLI, 'deploy', 'approve-and-publish', '--hash', hash, '--approver', 'dave', '--note', 'from the terminal', '--force'], { cwd: ws });
    await until('the CLI publish in the tree', async () => {
      const texts = await treeTexts(session.page, 'Deployment');
      return texts.some((text) => text.includes('CURRENT sma-cross-spy@1.1.0')) && texts.some((text) => text.includes('#4 publish sma-cross-spy@1.1.0') && text.includes('dave'));
    });
    await session.page.locator('.statusbar-item', { hasText: 'sma-cross-spy@1.1.0' }).first().waitFor();
    await session.screenshot('09-cli-write-shows');
  });
});
