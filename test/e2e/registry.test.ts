// The registry in the editor (issue 15), in a real VS Code (code-server in headless Chromium):
// approve and publish from a passing report, Show / Diff with… / Reject… on Strategy Pool rows
// (with evidence verdicts and git lineage), and the workbench in Simplified Chinese.
// Screenshots go to test-output/e2e/ (git-ignored).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, type Session, installExtension, startSession } from './harness';
import { answerInput, closeAllEditors, contextMenu, openFile, openQraftSidebar, pick, reportFrame, treeRows, treeTexts, until, widenSidebar } from './workbench';

const PYTHON = join(REPO, '.venv', 'bin', 'python');
const CLI = join(REPO, 'dist', 'cli.js');
const SETTINGS = { 'qraft.pythonPath': PYTHON, 'workbench.secondarySideBar.defaultVisibility': 'hidden' };

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', '-c', 'init.defaultBranch=main', ...args], { cwd, stdio: 'pipe' });

/**
 * The example workspace as a git work tree with one commit (so propose records lineage), plus
 * v2.strategy.json written after the commit (untracked: its lineage is dirty).
 */
function gitWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qraft-e2e-registry-'));
  cpSync(join(REPO, 'examples'), dir, { recursive: true, filter: (src) => !src.includes('artifacts') });
  writeFileSync(join(dir, '.gitignore'), 'artifacts/\n');
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'examples');
  writeFileSync(join(dir, 'v2.strategy.json'), readFileSync(join(dir, 'payload.json')));
  return dir;
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const reports = (ws: string, kind: string) => (existsSync(join(ws, 'artifacts', 'reports')) ? readdirSync(join(ws, 'artifacts', 'reports')).filter((name) => name.startsWith(`${kind}-`)) : []);
const candidates = (ws: string) => readdirSync(join(ws, 'artifacts', 'pool', 'candidates')).filter((name) => /^[0-9a-f]{64}$/.test(name));

async function clickLens(session: Session, title: string): Promise<void> {
  const lens = session.page.locator('.codelens-decoration a', { hasText: title }).first();
  await lens.waitFor({ timeout: 30_000 });
  await lens.click();
}

/** Precheck from the code lens (`lens` is its title in the display language), then waits for the report's verdict. */
async function precheckFromLens(session: Session, file: string, lens = 'Run Precheck', verdict = 'PASSED'): Promise<void> {
  await closeAllEditors(session.page);
  await openFile(session.page, file);
  const before = reports(session.workspace, 'precheck').length;
  await clickLens(session, lens);
  await until('the precheck report file', () => reports(session.workspace, 'precheck').length > before, 120_000);
  await reportFrame(session.page).getByText(verdict, { exact: true }).first().waitFor({ timeout: 60_000 });
}

describe('the registry in a real VS Code', function () {
  this.timeout(900_000);

  describe('approve from a report; Show, Diff with… and Reject… on the Strategy Pool', () => {
    let session: Session;
    let ws: string;

    before(async () => {
      ws = gitWorkspace();
      session = await startSession({ workspace: ws, settings: SETTINGS });
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed') await session?.screenshot(`failed-registry-${this.currentTest.title.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
    });
    after(async () => {
      await session?.stop();
    });

    it('precheck from the code lens, Propose… and then Approve and Publish… in the report: CURRENT in the tree, the entry in HISTORY.json', async () => {
      await precheckFromLens(session, 'strategy.json');
      const frame = reportFrame(session.page);
      // Not proposed yet: the page offers Propose…, not the approval.
      await frame.getByText('Propose…', { exact: true }).first().click();
      await answerInput(session.page, 'Proposed by', 'alice');
      await answerInput(session.page, 'Description of this proposal', 'the example strategy');
      const approve = frame.getByText('Approve and Publish…', { exact: true }).first();
      await approve.waitFor({ timeout: 30_000 });
      const [hash] = candidates(ws);
      await frame.getByText(`Proposed as candidate ${hash.slice(0, 12)}`).first().waitFor();
      assert.equal(await frame.getByText('Propose…', { exact: true }).count(), 0, 'Propose… gives way to the approval');
      await session.screenshot('registry-01-report-approve-button');
      // The lineage of the strategy file (committed, unchanged): clean, at the workspace's HEAD.
      const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ws, encoding: 'utf8' }).trim();
      assert.deepEqual(readJson(join(ws, 'artifacts', 'pool', 'candidates', hash, 'lineage.json')), { commit: head, path: 'strategy.json', dirty: false });

      await approve.click();
      await answerInput(session.page, /Approver for/, 'bob');
      await answerInput(session.page, 'Approval note', 'approved from the report');
      await openQraftSidebar(session.page);
      await until('CURRENT in the Deployment tree', async () => (await treeTexts(session.page, 'Deployment')).some((text) => text.includes('CURRENT sma-cross-spy@1.0.0')), 90_000);
      const history = readJson(join(ws, 'artifacts', 'deploy', 'HISTORY.json'));
      assert.deepEqual(
        history.map((entry: { action: string; manifest_hash: string; actor: string; note: string }) => [entry.action, entry.manifest_hash, entry.actor, entry.note]),
        [['publish', hash, 'bob', 'approved from the report']],
      );
      assert.equal(readJson(join(ws, 'artifacts', 'deploy', 'CURRENT.json')).manifest_hash, hash);
      // The page now says where its strategy stands.
      await frame.getByText(`Published: ${hash.slice(0, 12)} is CURRENT`).first().waitFor({ timeout: 30_000 });
      await session.screenshot('registry-02-published-from-report');
    });

    it('a candidate row shows its verdicts and lineage; Show and Diff with… open read-only documents', async () => {
      await precheckFromLens(session, 'v2.strategy.json');
      await closeAllEditors(session.page);
      await openFile(session.page, 'v2.strategy.json');
      await clickLens(session, 'Propose');
      await answerInput(session.page, 'Proposed by', 'alice');
      await answerInput(session.page, 'Description of this proposal', 'slower averages');
      await closeAllEditors(session.page);
      await openQraftSidebar(session.page);
      const row = treeRows(session.page, 'Strategy Pool').filter({ hasText: 'sma-cross-spy@1.1.0' }).first();
      const text = await until('the 1.1.0 candidate with its verdicts and lineage', async () =>
        (await treeTexts(session.page, 'Strategy Pool')).find((line) => line.includes('sma-cross-spy@1.1.0') && /precheck passed \((nautilus|builtin)\)/.test(line) && /git [0-9a-f]{7} dirty/.test(line)),
      );
      assert.match(text, /alice/);
      // Wide enough for the whole row; the Markdown tooltip: verdicts, lineage path, proposer.
      await widenSidebar(session.page, 820);
      await session.page.waitForTimeout(1000);
      await row.hover();
      const hover = session.page.locator('.monaco-hover', { hasText: 'lineage:' }).first();
      await hover.waitFor({ timeout: 15_000 });
      await hover.getByText('v2.strategy.json').first().waitFor();
      await session.screenshot('registry-03-pool-verdicts-lineage');
      await session.page.keyboard.press('Escape');

      await contextMenu(session.page, row, 'Show Version Details');
      const preview = session.page.locator('iframe.webview.ready').filter({ visible: true }).last().contentFrame().frameLocator('#active-frame');
      await preview.getByText('candidate, waiting for approval').first().waitFor({ timeout: 30_000 });
      await preview.getByText('slower averages').first().waitFor();
      await session.screenshot('registry-04-show-version');

      await contextMenu(session.page, row, 'Diff with…');
      await pick(session.page, /CURRENT/);
      await session.page.locator('.tab', { hasText: /sma-cross-spy@1\.0\.0 [0-9a-f]{12} ↔ sma-cross-spy@1\.1\.0/ }).first().waitFor({ timeout: 30_000 });
      const table = session.page.locator('iframe.webview.ready').filter({ visible: true }).last().contentFrame().frameLocator('#active-frame');
      await table.getByText(/Metrics \(delta = b − a\)/).first().waitFor({ timeout: 30_000 });
      await table.getByText('signal.fast').first().waitFor();
      // The side bar out of the way (Ctrl+B in the diff editor), so the diff and the metric table have the width.
      const sidebar = session.page.locator('.part.sidebar');
      await session.page.locator('.monaco-diff-editor .editor.modified .view-lines').first().click();
      await session.page.keyboard.press('Control+B');
      await sidebar.waitFor({ state: 'hidden' });
      await session.page.waitForTimeout(500);
      await session.screenshot('registry-05-diff-with-current');
      await session.page.keyboard.press('Control+B');
      await sidebar.waitFor({ state: 'visible' });
      await closeAllEditors(session.page);
    });

    it('Reject… on a candidate asks for a note; the candidate leaves the list and rejection.json is written', async () => {
      await openQraftSidebar(session.page);
      const row = treeRows(session.page, 'Strategy Pool').filter({ hasText: 'sma-cross-spy@1.1.0' }).first();
      await row.waitFor();
      const hash = candidates(ws).find((name) => readJson(join(ws, 'artifacts', 'pool', 'candidates', name, 'payload.json')).version === '1.1.0');
      assert.ok(hash);
      await contextMenu(session.page, row, 'Reject…');
      const widget = session.page.locator('.quick-input-widget');
      await widget.locator('.quick-input-message', { hasText: /Why reject/ }).first().waitFor();
      // The note is required: an empty one is not accepted.
      await widget.locator('input').fill(' ');
      await widget.getByText('A note is required here.').first().waitFor();
      await widget.locator('input').fill('trades too late; rework the averages');
      await session.page.keyboard.press('Enter');
      await answerInput(session.page, 'Rejected by', 'carol');
      await until('the candidate leaves the list', async () => {
        const texts = await treeTexts(session.page, 'Strategy Pool');
        return !texts.some((line) => line.includes('sma-cross-spy@1.1.0')) && texts.some((line) => /^Rejected\s*1\b/.test(line));
      });
      const rejection = readJson(join(ws, 'artifacts', 'pool', 'candidates', hash, 'rejection.json'));
      assert.deepEqual([rejection.kind, rejection.manifest_hash, rejection.rejected_by, rejection.note], ['qraft.rejection', hash, 'carol', 'trades too late; rework the averages']);
      // The collapsed Rejected group holds it, with who and why.
      // (A click toggles the group; a refresh by the file watchers may land in between, so click until it shows.)
      const group = treeRows(session.page, 'Strategy Pool').filter({ hasText: /^Rejected/ }).first();
      await until('the rejected row', async () => {
        if ((await treeTexts(session.page, 'Strategy Pool')).some((line) => line.includes('sma-cross-spy@1.1.0') && line.includes('rejected by carol'))) return true;
        await group.click();
        await session.page.waitForTimeout(500);
        return false;
      });
      await session.page.mouse.move(1200, 700);
      await session.page.waitForTimeout(300);
      await session.screenshot('registry-06-rejected');
      // As the CLI lists it.
      const listed = execFileSync(process.execPath, [CLI, 'deploy', 'list'], { cwd: ws, encoding: 'utf8' });
      assert.match(listed, /Rejected \(1\)/);
    });
  });

  describe('the workbench in Simplified Chinese (code-server --locale zh-cn)', () => {
    let session: Session;
    let ws: string;

    /**
     * A stand-in for the Chinese language pack, which cannot be fetched here: an extension that
     * contributes the zh-cn localization with no workbench translations, installed by code-server,
     * and registered in languagepacks.json as the language pack service records an installed pack.
     * With it, `--locale zh-cn` resolves to zh-cn: VS Code's own strings stay English (the pack
     * translates none), and extensions get zh-cn, so ours must show package.nls.zh-cn.json and
     * l10n/bundle.l10n.zh-cn.json.
     */
    function installChineseStandIn({ userData, extensions }: { userData: string; extensions: string }): void {
      const dir = mkdtempSync(join(tmpdir(), 'qraft-e2e-zh-pack-'));
      mkdirSync(join(dir, 'translations'));
      const id = { publisher: 'qraft-e2e', name: 'vscode-language-pack-zh-cn-stand-in', version: '1.0.0' };
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({
          ...id,
          displayName: 'zh-cn stand-in (e2e)',
          description: 'Declares the zh-cn display language for the e2e tests; translates nothing.',
          license: 'MIT',
          engines: { vscode: '^1.100.0' },
          categories: ['Language Packs'],
          contributes: { localizations: [{ languageId: 'zh-cn', languageName: 'Chinese Simplified', localizedLanguageName: '中文(简体)', translations: [{ id: 'vscode', path: './translations/main.i18n.json' }] }] },
        }),
      );
      writeFileSync(join(dir, 'translations', 'main.i18n.json'), JSON.stringify({ version: '1.0.0', contents: {} }));
      writeFileSync(join(dir, 'README.md'), '# zh-cn stand-in\n');
      writeFileSync(join(dir, 'LICENSE'), 'MIT\n');
      const vsix = join(dir, 'pack.vsix');
      execFileSync(process.execPath, [join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--allow-missing-repository', '-o', vsix], { cwd: dir, stdio: 'pipe' });
      installExtension(userData, extensions, vsix);
      const installed = readdirSync(extensions).find((name) => name.startsWith(`${id.publisher}.${id.name}-`));
      assert.ok(installed, 'the stand-in pack is installed');
      writeFileSync(
        join(userData, 'languagepacks.json'),
        JSON.stringify({
          'zh-cn': {
            hash: 'qraft-e2e-zh-cn',
            label: '中文(简体)',
            extensions: [{ extensionIdentifier: { id: `${id.publisher}.${id.name}` }, version: id.version }],
            translations: { vscode: join(extensions, installed, 'translations', 'main.i18n.json') },
          },
        }),
      );
    }

    before(async () => {
      ws = gitWorkspace();
      // A candidate with a precheck, made by the CLI, so the pool tree has rows to word.
      execFileSync(process.execPath, [CLI, 'deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin'], { cwd: ws, stdio: 'pipe' });
      execFileSync(process.execPath, [CLI, 'deploy', 'propose', '--payload', 'artifacts/pool/payload.json', '--metadata', 'artifacts/pool/metadata.json'], { cwd: ws, stdio: 'pipe' });
      session = await startSession({ workspace: ws, settings: SETTINGS, args: ['--locale', 'zh-cn'], prepare: installChineseStandIn });
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed') await session?.screenshot(`failed-registry-${this.currentTest.title.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
    });
    after(async () => {
      await session?.stop();
    });

    it('the Qraft sidebar and a report speak Chinese', async () => {
      await openQraftSidebar(session.page);
      // View names come from package.nls.zh-cn.json, rows from bundle.l10n.zh-cn.json.
      await session.page.locator('.part.sidebar .pane-header', { hasText: '策略池' }).first().waitFor({ timeout: 60_000 });
      await session.page.locator('.part.sidebar .pane-header', { hasText: '部署' }).first().waitFor();
      const rows = await until('the pool rows in Chinese', async () => {
        const texts = await treeTexts(session.page, '策略池');
        return texts.some((line) => line.startsWith('候选版本')) && texts.some((line) => line.includes('预检通过 (builtin)')) ? texts : undefined;
      });
      assert.ok(rows.some((line) => /git [0-9a-f]{7}/.test(line)), `lineage in the row: ${rows.join(' | ')}`);
      await session.screenshot('zh-cn-sidebar');

      await precheckFromLens(session, 'strategy.json', '运行预检', '通过');
      const frame = reportFrame(session.page);
      await frame.getByText('打开 JSON', { exact: true }).first().waitFor();
      // Its strategy waits in the pool (the CLI proposed it): the approval is offered, in Chinese.
      await frame.getByText('审批并发布…', { exact: true }).first().waitFor({ timeout: 30_000 });
      await session.screenshot('zh-cn-report');
    });
  });
});
