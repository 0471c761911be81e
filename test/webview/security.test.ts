/**
 * The editor page under the real host's strict CSP: dataset markup stays text, nothing is fetched
 * but our own bundle and stylesheet, no CSP violation, errors reach the host's log. Also renders the
 * three theme kinds and saves screenshots to test/.tmp/webview/ for a human look.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser, openEditor, renderedRows, waitForRows, type EditorHarness, type Theme } from './harness/harness';
import { corpusShard, syntheticShard, XSS_IMG_ROW, XSS_IMG_TEXT, XSS_SCRIPT_ROW, XSS_SCRIPT_TEXT } from './harness/shards';

const SHOTS = join(__dirname, '..', '.tmp', 'webview');
let browser: Browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
});

async function ready(h: EditorHarness, rowCount: number): Promise<void> {
  await h.page.waitForSelector(`[role=grid][aria-rowcount="${rowCount}"]`);
  await waitForRows(h.page, (rows) => rows.length > 0 && rows.every((r) => r.cells[1] !== ''), 'the first rows');
}

test('the page runs under the strict CSP, fetches only its own files and violates nothing', async () => {
  const shard = syntheticShard();
  const h = await openEditor(browser, shard);
  try {
    await ready(h, shard.info.rowCount);
    const csp = await h.page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.equal(csp, `default-src 'none'; style-src ${h.origin}; font-src ${h.origin}; img-src ${h.origin} data:; script-src 'nonce-${h.nonce}'`);
    // Exercise the UI: toolkit controls, menus, detail pane, search.
    await h.page.click(`[role=row][aria-rowindex="${XSS_IMG_ROW + 1}"]`);
    await h.page.getByRole('button', { name: 'Choose columns' }).click();
    await h.page.keyboard.press('Escape');
    await h.page.locator('.search-field input').fill('quality');
    await h.page.locator('.search-field input').press('Enter');
    await h.page.getByRole('button', { name: '3 malformed lines' }).click();
    await h.page.locator('.malformed-item').first().waitFor();
    await h.page.waitForTimeout(200);
    assert.deepEqual(h.cspViolations, []);
    assert.deepEqual(h.pageErrors, []);
    assert.deepEqual(h.host.logs.filter((l) => l.level === 'error'), []);
    assert.deepEqual([...new Set(h.served)].sort(), ['/', '/dist/webview.js', '/harness/boot.js', '/harness/themes.css', '/media/main.css']);
    // No <style> elements and no style attributes in the document the app built from markup.
    assert.equal(await h.page.locator('style').count(), 0);
  } finally {
    await h.close();
  }
});

test('rows whose text is markup are shown as text and never run', async () => {
  const shard = syntheticShard();
  const h = await openEditor(browser, shard);
  try {
    await ready(h, shard.info.rowCount);
    const rows = await renderedRows(h.page);
    assert.equal(rows[XSS_IMG_ROW].cells[1], XSS_IMG_TEXT);
    assert.equal(rows[XSS_SCRIPT_ROW].cells[1], XSS_SCRIPT_TEXT);
    await h.page.click(`[role=row][aria-rowindex="${XSS_SCRIPT_ROW + 1}"]`);
    assert.equal(await h.page.locator('.detail-text').textContent(), XSS_SCRIPT_TEXT);
    await h.page.click(`[role=row][aria-rowindex="${XSS_IMG_ROW + 1}"]`);
    assert.equal(await h.page.locator('.detail-text').textContent(), XSS_IMG_TEXT);
    await h.page.waitForTimeout(200);
    assert.equal(await h.page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await h.page.locator('#app img, #app script').count(), 0);
    // The markup is visible on screen as characters.
    assert.equal(await h.page.getByText(XSS_IMG_TEXT, { exact: true }).first().isVisible(), true);
    assert.deepEqual(h.cspViolations, []);
  } finally {
    await h.close();
  }
});

test('uncaught errors in the webview are posted to the host log', async () => {
  const h = await openEditor(browser, corpusShard(50));
  try {
    await ready(h, 50);
    await h.page.evaluate(() => {
      setTimeout(() => {
        throw new Error('grid exploded');
      });
      void Promise.reject(new Error('promise exploded'));
    });
    const deadline = Date.now() + 5000;
    while (h.host.logs.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const messages = h.host.logs.filter((l) => l.level === 'error').map((l) => l.message);
    assert.ok(messages.some((m) => m.startsWith('grid exploded')), JSON.stringify(messages));
    assert.ok(messages.some((m) => m.startsWith('promise exploded')), JSON.stringify(messages));
  } finally {
    await h.close();
  }
});

for (const theme of ['dark', 'light', 'high-contrast'] as Theme[]) {
  test(`the ${theme} theme colours the editor from VS Code's variables`, async () => {
    const shard = corpusShard(400);
    const h = await openEditor(browser, shard, { theme, viewport: { width: 1440, height: 900 } });
    try {
      await ready(h, 400);
      const { page } = h;
      // The curation UI in use: a sampler, two rows kept by hand, a P(yes) sort.
      await page.locator('.sampler-spec input').fill('random:0.9,density-ips:0.6');
      await page.getByRole('table', { name: 'Rows per step' }).waitFor();
      await page.click('.grid-header-cell[data-column="askllm"]');
      await page.waitForTimeout(300);
      await page.click('[role=row][aria-rowindex="3"]');
      await page.keyboard.press('Shift+ArrowDown');
      await page.keyboard.press('k');
      await page.locator('.decision-badge.manual').first().waitFor();
      await page.click('[role=row][aria-rowindex="3"]');
      await page.keyboard.press('Shift+ArrowDown');
      await page.locator('.search-field input').fill('government');
      await page.locator('.search-field input').press('Enter');
      await page.waitForTimeout(400);
      await page.locator('[role=grid]').focus();
      // (No local function declarations in the page function: tsx would wrap them in a helper the page lacks.)
      const colors = await page.evaluate(() => ({
        body: getComputedStyle(document.body).backgroundColor,
        editorBackground: getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim(),
        selected: getComputedStyle(document.querySelector('[role=row][aria-selected="true"]')!).backgroundColor,
        selectionVariable: getComputedStyle(document.body).getPropertyValue('--vscode-list-activeSelectionBackground').trim(),
      }));
      const hex = (rgb: string) => '#' + (rgb.match(/\d+/g) ?? []).slice(0, 3).map((n) => Number(n).toString(16).padStart(2, '0')).join('');
      assert.equal(hex(colors.body), colors.editorBackground.toLowerCase());
      assert.equal(hex(colors.selected), colors.selectionVariable.toLowerCase());
      await page.screenshot({ path: join(SHOTS, `editor-${theme}.png`) });
      assert.deepEqual(h.cspViolations, []);
    } finally {
      await h.close();
    }
  });
}
