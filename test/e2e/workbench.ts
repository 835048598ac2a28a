// Playwright helpers that drive the VS Code workbench the way a person does.
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** Runs a command from the palette (F1) by its title, e.g. "Qraft: Run Precheck". */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Waits for the input box asking `prompt`, types `text` (replacing the default) and accepts. */
export async function answerInput(page: Page, prompt: string | RegExp, text: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  await widget.locator('.quick-input-message', { hasText: prompt }).first().waitFor({ state: 'visible' });
  await widget.locator('input').fill(text);
  await page.keyboard.press('Enter');
  await widget.locator('.quick-input-message', { hasText: prompt }).first().waitFor({ state: 'hidden' }).catch(() => undefined);
}

/** Picks the quick-pick row containing `text`. */
export async function pick(page: Page, text: string | RegExp): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/** Clicks a button of a modal dialog. */
export async function dialogButton(page: Page, label: string): Promise<void> {
  const button = page.locator('.monaco-dialog-box .monaco-button', { hasText: label }).first();
  await button.waitFor({ state: 'visible' });
  await button.click();
}

export function notification(page: Page, text: string | RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

/** Opens the Qraft view container in the activity bar, wide enough to read the rows. */
export async function openQraftSidebar(page: Page): Promise<void> {
  const sidebarTitle = page.locator('.part.sidebar .composite.title', { hasText: 'Qraft' });
  if (!(await sidebarTitle.isVisible().catch(() => false))) {
    await page.locator('.activitybar [aria-label^="Qraft"]').first().click();
    await sidebarTitle.waitFor();
  }
  await widenSidebar(page, 560);
}

/** Drags the sash at the sidebar's right edge until the sidebar is `width` pixels wide. */
export async function widenSidebar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || box.width >= width - 5) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}

/** The rows of a sidebar tree (by its view title), as their visible text. */
export function treeRows(page: Page, viewTitle: string): Locator {
  const pane = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: viewTitle }) });
  return pane.locator('.monaco-list-row');
}

export async function treeTexts(page: Page, viewTitle: string): Promise<string[]> {
  return (await treeRows(page, viewTitle).allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
}

/** Opens a file at the workspace root by clicking its row in the Explorer (exact name). */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Shift+E');
  const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: exact }).first();
  await row.waitFor();
  await row.dblclick();
  // A tab's aria-label starts with its file name ("strategy.json", "strategy.json, preview").
  await page.locator(`.tab.active[aria-label^="${name}"]`).first().waitFor();
}

/** The document inside the visible report webview (hidden panels keep their iframes). */
export function reportFrame(page: Page): FrameLocator {
  return page.locator('iframe.webview.ready').filter({ visible: true }).last().contentFrame().frameLocator('#active-frame');
}

/** Right-clicks `row` and chooses `label` from its context menu (rendered in a shadow root). */
export async function contextMenu(page: Page, row: Locator, label: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    await row.click({ button: 'right' });
    const item = page.getByRole('menuitem', { name: label, exact: true }).first();
    await item.waitFor({ state: 'visible' });
    await item.hover();
    await item.click();
    try {
      await item.waitFor({ state: 'hidden', timeout: 5000 });
      return;
    } catch (err) {
      // A tree refresh can replace the row under an open menu; open it again on the new row.
      await page.keyboard.press('Escape');
      if (attempt === 2) throw err;
    }
  }
}

/** Runs a row's inline action (the icon shown on hover) by its title. */
export async function inlineAction(row: Locator, title: string): Promise<void> {
  await row.hover();
  const action = row.locator(`.actions .action-label[aria-label="${title}"]`).first();
  await action.waitFor({ state: 'visible' });
  await action.click();
}

/** Closes every editor and group, so a flow starts from a known layout. */
export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editor Groups');
  await page.locator('.editor-group-container .tab').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
}

/** Polls `probe` until it returns something truthy (returned), or fails naming `what`. */
export async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}
