/**
 * The shard editor's grid in headless Chromium on the harness page, over a synthetic shard of
 * 10,000,000 rows: aria contract, reaching the last row, viewport-only row requests, selection,
 * detail pane, columns and view state across a reload.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { launchBrowser, openEditor, renderedRows, waitForRows, type EditorHarness } from './harness/harness';
import { oneLine } from '../../webview/grid/columns';
import { SYNTHETIC_ROWS, syntheticShard, syntheticText } from './harness/shards';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
});

async function open10M(options: Parameters<typeof openEditor>[2] = {}): Promise<EditorHarness> {
  const h = await openEditor(browser, syntheticShard(), options);
  await h.page.waitForSelector(`[role=grid][aria-rowcount="${SYNTHETIC_ROWS}"]`);
  await waitForRows(h.page, (rows) => rows.length > 0 && rows.every((r) => r.cells[1] !== ''), 'the first rows');
  return h;
}

const gridRowCount = (h: EditorHarness) => h.page.$$eval('[role=grid] [role=row]', (rows) => rows.length);
const selectedRows = async (h: EditorHarness) => (await renderedRows(h.page)).filter((r) => r.selected).map((r) => r.rowIndex);

test('the grid says it has exactly the shard\'s rows; the header row is outside it', async () => {
  const h = await open10M();
  try {
    const grid = h.page.locator('[role=grid]');
    assert.equal(await grid.getAttribute('aria-rowcount'), String(SYNTHETIC_ROWS));
    assert.equal(await h.page.locator('[role=grid] .grid-header-row').count(), 0, 'header must not be a counted row');
    const rows = await renderedRows(h.page);
    assert.deepEqual(rows.slice(0, 3).map((r) => r.rowIndex), [1, 2, 3]);
    assert.equal(rows[0].cells[0], '1');
    assert.equal(rows[0].cells[1], syntheticText(0));
    assert.equal(rows[0].cells[2], String(syntheticText(0).length));
    assert.equal(rows[0].cells[6], 'syn-0');
    // Nested fields shown as compact JSON.
    assert.equal(rows[0].cells[9], '{"bucket":0,"tags":["a","t0"],"nested":{"ok":true}}');
    const headers = await h.page.$$eval('.grid-header-cell', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(headers, ['#', 'text', 'chars', 'Ask-LLM', 'density', 'decision', 'id', 'lang', 'n', 'meta']);
    // 720 px tall page: a few dozen row elements, not millions; every cell is a gridcell.
    const elements = await gridRowCount(h);
    assert.ok(elements < 60, `${elements} row elements`);
    assert.equal(await h.page.locator('[role=grid] [role=row] > :not([role=gridcell])').count(), 0);
    // Only the viewport's page(s) and one ahead were requested.
    const requested = h.host.rowRequests();
    assert.ok(requested.length <= 3 && requested.every((r) => r.start < 300 && r.count <= 100), JSON.stringify(requested));
  } finally {
    await h.close();
  }
});

test('End reaches row 10,000,000 exactly, fetching only the pages at the end', async () => {
  const h = await open10M();
  try {
    await h.page.click('[role=row][aria-rowindex="2"]');
    const before = h.host.rowRequests().length;
    await h.page.keyboard.press('End');
    const rows = await waitForRows(h.page, (r) => r.some((x) => x.rowIndex === SYNTHETIC_ROWS && x.cells[1] !== ''), 'the last row');
    const last = rows[rows.length - 1];
    assert.equal(last.rowIndex, SYNTHETIC_ROWS);
    assert.equal(last.cells[0], '10,000,000');
    assert.equal(last.cells[1], oneLine(syntheticText(SYNTHETIC_ROWS - 1)));
    assert.deepEqual(await selectedRows(h), [SYNTHETIC_ROWS]);
    // The last row sits at the bottom edge of the viewport, fully visible.
    const viewport = (await h.page.locator('[role=grid]').boundingBox())!;
    const lastBox = (await h.page.locator(`[role=row][aria-rowindex="${SYNTHETIC_ROWS}"]`).boundingBox())!;
    const clientHeight = await h.page.$eval('[role=grid]', (e) => e.clientHeight);
    assert.ok(Math.abs(lastBox.y + lastBox.height - (viewport.y + clientHeight)) <= 1, `last row bottom ${lastBox.y + lastBox.height} vs viewport bottom ${viewport.y + clientHeight}`);
    const newRequests = h.host.rowRequests().slice(before);
    assert.ok(newRequests.length >= 1 && newRequests.length <= 3, JSON.stringify(newRequests));
    assert.ok(newRequests.every((r) => r.start >= SYNTHETIC_ROWS - 300), JSON.stringify(newRequests));
    assert.ok((await gridRowCount(h)) < 60);
  } finally {
    await h.close();
  }
});

test('dragging the scrollbar to the bottom and the middle shows those rows; the wheel scrolls by pixels of rows', async () => {
  const h = await open10M();
  try {
    const grid = h.page.locator('[role=grid]');
    const box = (await grid.boundingBox())!;
    const { scrollHeight, clientHeight, clientWidth } = await grid.evaluate((e) => ({ scrollHeight: e.scrollHeight, clientHeight: e.clientHeight, clientWidth: e.clientWidth }));
    assert.ok(scrollHeight <= 4_100_000, `scroll range ${scrollHeight} px must stay bounded`);
    // Drag the scrollbar thumb (the 10 px bar right of clientWidth) from the top to far below the bottom.
    const x = box.x + clientWidth + 5;
    await h.page.mouse.move(x, box.y + 6);
    await h.page.mouse.down();
    await h.page.mouse.move(x, box.y + clientHeight / 2, { steps: 5 });
    await h.page.mouse.move(x, box.y + clientHeight + 200, { steps: 5 });
    await h.page.mouse.up();
    let rows = await waitForRows(h.page, (r) => r.some((x) => x.rowIndex === SYNTHETIC_ROWS && x.cells[1] !== ''), 'the last row after dragging');
    assert.equal(rows[rows.length - 1].cells[1], oneLine(syntheticText(SYNTHETIC_ROWS - 1)));

    // The middle of the scroll range is the middle of the shard.
    const before = h.host.rowRequests().length;
    await grid.evaluate((e) => (e.scrollTop = (e.scrollHeight - e.clientHeight) / 2));
    // Wait for the scroll to land: until then the rows of the bottom are still (correctly) on screen.
    rows = await waitForRows(h.page, (r) => r.length > 0 && r[0].rowIndex < SYNTHETIC_ROWS - 1000 && r.every((x) => x.cells[1] !== ''), 'rows in the middle');
    const middle = rows[0].rowIndex;
    assert.ok(Math.abs(middle - SYNTHETIC_ROWS / 2) < 100, `first row ${middle}`);
    assert.equal(rows[0].cells[1], oneLine(syntheticText(middle - 1)));
    const newRequests = h.host.rowRequests().slice(before);
    assert.ok(newRequests.length <= 3 && newRequests.every((r) => Math.abs(r.start - SYNTHETIC_ROWS / 2) < 500), JSON.stringify(newRequests));

    // Back to the top, then a wheel step of ~220 px moves ~10 rows (not 220 px of a scaled range,
    // which would be ~550 rows). Chromium may adjust the delta: use the one the page received.
    await grid.evaluate((e) => {
      e.scrollTop = 0;
      e.addEventListener('wheel', (w) => ((window as unknown as { wheelDelta: number }).wheelDelta = ((window as unknown as { wheelDelta?: number }).wheelDelta ?? 0) + (w as WheelEvent).deltaY));
    });
    await waitForRows(h.page, (r) => r[0]?.rowIndex === 1, 'the top');
    await h.page.mouse.move(box.x + 200, box.y + 100);
    await h.page.mouse.wheel(0, 220);
    rows = await waitForRows(h.page, (r) => r[0]?.rowIndex !== 1, 'rows after the wheel');
    const first = await grid.evaluate((e) => {
      const top = e.getBoundingClientRect().top;
      const visible = [...e.querySelectorAll<HTMLElement>('[role=row]:not([hidden])')].filter((r) => r.getBoundingClientRect().bottom > top + 1);
      return Math.min(...visible.map((r) => Number(r.getAttribute('aria-rowindex'))));
    });
    const delta = await h.page.evaluate(() => (window as unknown as { wheelDelta: number }).wheelDelta);
    assert.ok(delta > 100 && delta < 400, `wheel delta ${delta}`);
    assert.equal(first, Math.floor(delta / 22) + 1);
  } finally {
    await h.close();
  }
});

test('a fast sweep across the shard requests rows only for viewports it showed, not for every page passed', async () => {
  const h = await open10M();
  try {
    h.host.rowsDelayMs = 40;
    const before = h.host.rowRequests().length;
    const grid = h.page.locator('[role=grid]');
    // 50 scroll positions spread over the whole shard, one per animation frame (a fast scrollbar
    // drag); the first row shown at each is recorded.
    const shown = await grid.evaluate(async (e) => {
      const max = e.scrollHeight - e.clientHeight;
      const firstRows: number[] = [];
      for (let i = 1; i <= 50; i++) {
        e.scrollTop = (max * i) / 60;
        await new Promise((r) => requestAnimationFrame(r));
        firstRows.push(Math.min(...[...e.querySelectorAll('[role=row]:not([hidden])')].map((r) => Number(r.getAttribute('aria-rowindex')))));
      }
      return firstRows;
    });
    const rows = await waitForRows(h.page, (r) => r.length > 0 && r.every((x) => x.cells[1] !== ''), 'rows where the sweep stopped');
    const requests = h.host.rowRequests().slice(before);
    assert.ok(requests.length < shown.length, `${requests.length} requests for a ${shown.length}-position sweep`);
    assert.ok(requests.every((r) => r.count <= 100 && r.start % 100 === 0));
    // Every request is for a page of a viewport that was on screen (or the page just after it).
    const pagesShown = new Set([...shown, rows[0].rowIndex].flatMap((first) => [0, 1, 2].map((k) => Math.floor((first - 1) / 100) + k)));
    assert.ok(requests.every((r) => pagesShown.has(r.start / 100)), JSON.stringify({ requests, shown }));
    const finalPage = Math.floor((rows[0].rowIndex - 1) / 100) * 100;
    assert.ok(requests.some((r) => r.start === finalPage), 'the final viewport page was requested');
  } finally {
    await h.close();
  }
});

test('keyboard and mouse selection: arrows, shift ranges, page keys, home, ctrl-click toggles, shift-click', async () => {
  const h = await open10M();
  try {
    const { page } = h;
    await page.click('[role=row][aria-rowindex="1"]');
    assert.deepEqual(await selectedRows(h), [1]);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(await selectedRows(h), [3]);
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    assert.deepEqual(await selectedRows(h), [3, 4, 5]);
    await page.keyboard.press('Shift+ArrowUp');
    assert.deepEqual(await selectedRows(h), [3, 4]);
    assert.equal(await page.locator('.status-selection').textContent(), '2 selected');

    // PageDown moves a page and scrolls so the active row stays visible.
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    const selected = await selectedRows(h);
    assert.equal(selected.length, 1);
    assert.ok(selected[0] > 60, `row ${selected[0]} after three PageDowns`);
    const grid = (await page.locator('[role=grid]').boundingBox())!;
    const active = (await page.locator(`[role=row][aria-rowindex="${selected[0]}"]`).boundingBox())!;
    assert.ok(active.y >= grid.y && active.y + active.height <= grid.y + grid.height, 'active row visible');
    await page.keyboard.press('PageUp');
    assert.ok((await selectedRows(h))[0] < selected[0]);

    await page.keyboard.press('Home');
    await waitForRows(page, (r) => r[0].rowIndex === 1, 'the top');
    assert.deepEqual(await selectedRows(h), [1]);
    await page.click('[role=row][aria-rowindex="8"]', { modifiers: ['Control'] });
    assert.deepEqual(await selectedRows(h), [1, 8]);
    await page.click('[role=row][aria-rowindex="1"]', { modifiers: ['Control'] });
    assert.deepEqual(await selectedRows(h), [8]);
    // Ctrl+click moved the anchor to row 1: shift+click selects 1..4.
    await page.click('[role=row][aria-rowindex="4"]', { modifiers: ['Shift'] });
    assert.deepEqual(await selectedRows(h), [1, 2, 3, 4]);
    await page.click('[role=row][aria-rowindex="9"]');
    await page.click('[role=row][aria-rowindex="6"]', { modifiers: ['Shift'] });
    assert.deepEqual(await selectedRows(h), [6, 7, 8, 9]);
    assert.equal(await page.locator('[role=grid]').getAttribute('aria-activedescendant'), await page.locator('[role=row][aria-rowindex="6"]').getAttribute('id'));
  } finally {
    await h.close();
  }
});

test('the detail pane shows the full text with its whitespace and every field, nested ones as JSON', async () => {
  const h = await open10M();
  try {
    const region = h.page.getByRole('region', { name: 'Row detail' });
    assert.match((await region.textContent()) ?? '', /No row selected/);
    await h.page.click('[role=row][aria-rowindex="8"]');
    const text = region.locator('.detail-text');
    assert.equal(await text.textContent(), syntheticText(7));
    assert.ok(syntheticText(7).includes('\n\n  indented'));
    assert.equal(await text.evaluate((e) => getComputedStyle(e).whiteSpace), 'pre-wrap');
    const fields = await region.locator('.detail-field').evaluateAll((items) => items.map((f) => [f.children[0].textContent, f.children[1].textContent]));
    const expected = syntheticShard().row(7).fields;
    assert.deepEqual(fields, Object.entries(expected).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v, null, 2)]));
    assert.match((await region.locator('.detail-title').textContent()) ?? '', /Row 8/);
  } finally {
    await h.close();
  }
});

test('columns: dragging a header edge resizes, the chooser hides and shows columns', async () => {
  // Wide enough for the text column's right edge to be on screen beside the sampler and detail panes.
  const h = await open10M({ viewport: { width: 1700, height: 720 } });
  try {
    const { page } = h;
    const textHeader = page.locator('.grid-header-cell[data-column="text"]');
    const widthBefore = (await textHeader.boundingBox())!.width;
    const handle = (await textHeader.locator('.column-resize').boundingBox())!;
    await page.mouse.move(handle.x + 2, handle.y + 5);
    await page.mouse.down();
    await page.mouse.move(handle.x - 150, handle.y + 5, { steps: 4 });
    await page.mouse.up();
    const widthAfter = (await textHeader.boundingBox())!.width;
    assert.ok(Math.abs(widthAfter - (widthBefore - 152)) <= 2, `${widthBefore} -> ${widthAfter}`);
    // Body cells follow the header.
    const cell = (await page.locator('[role=row][aria-rowindex="1"] [role=gridcell]').nth(1).boundingBox())!;
    assert.ok(Math.abs(cell.width - widthAfter) <= 1);

    await page.getByRole('button', { name: 'Choose columns' }).click();
    await page.locator('.menu-item[data-column="field:id"] vscode-checkbox').click();
    let headers = await page.$$eval('.grid-header-cell', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(headers, ['#', 'text', 'chars', 'Ask-LLM', 'density', 'decision', 'lang', 'n', 'meta']);
    const rows = await renderedRows(page);
    assert.equal(rows[0].cells.length, 9);
    assert.equal(rows[0].cells[6], 'de');
    await page.locator('.menu-item[data-column="field:id"] vscode-checkbox').click();
    await page.locator('.menu-item[data-column="length"] vscode-checkbox').click();
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('.column-chooser').isHidden(), true);
    headers = await page.$$eval('.grid-header-cell', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(headers, ['#', 'text', 'Ask-LLM', 'density', 'decision', 'id', 'lang', 'n', 'meta']);
    await page.waitForTimeout(300);
    const saved = h.host.savedState as { columns: { hidden: string[]; widths: Record<string, number> } };
    assert.deepEqual(saved.columns.hidden, ['length']);
    assert.ok(Math.abs(saved.columns.widths.text - (400 - 152)) <= 2);
  } finally {
    await h.close();
  }
});

test('view state survives a reload: scroll position, selection, columns, search query', async () => {
  const h = await open10M();
  try {
    const { page } = h;
    await page.click('[role=row][aria-rowindex="3"]');
    await page.keyboard.press('End');
    await page.keyboard.press('PageUp');
    await page.keyboard.press('Shift+ArrowUp');
    await page.getByRole('button', { name: 'Choose columns' }).click();
    await page.locator('.menu-item[data-column="field:lang"] vscode-checkbox').click();
    await page.keyboard.press('Escape');
    await page.locator('.search-field input').fill('quality token');
    const before = await renderedRows(page);
    const selectedBefore = before.filter((r) => r.selected).map((r) => r.rowIndex);
    assert.equal(selectedBefore.length, 2);
    await page.waitForTimeout(300);

    await h.reload();
    await page.waitForSelector(`[role=grid][aria-rowcount="${SYNTHETIC_ROWS}"]`);
    const after = await waitForRows(page, (r) => r.length > 0 && r.every((x) => x.cells[1] !== ''), 'restored rows');
    assert.deepEqual(after.map((r) => r.rowIndex), before.map((r) => r.rowIndex));
    assert.deepEqual(after.filter((r) => r.selected).map((r) => r.rowIndex), selectedBefore);
    assert.equal(after.at(-1)!.rowIndex, SYNTHETIC_ROWS);
    const headers = await page.$$eval('.grid-header-cell', (cells) => cells.map((c) => c.textContent));
    assert.ok(!headers.includes('lang'));
    assert.equal(await page.locator('.search-field input').inputValue(), 'quality token');
    assert.equal(await page.locator('.detail-text').textContent(), syntheticText(selectedBefore[0] - 1));
  } finally {
    await h.close();
  }
});

test('a page opened with saved state shows the saved rows at once', async () => {
  const savedState = {
    version: 1, topRow: 4_321_000, scrollLeft: 0,
    selection: { ranges: [[4_321_004, 4_321_004]], active: 4_321_004, anchor: 4_321_004 },
    columns: { hidden: ['field:meta'], widths: { text: 300 } },
    search: { pattern: '', regex: false, caseSensitive: false },
  };
  const h = await open10M({ savedState });
  try {
    const rows = await waitForRows(h.page, (r) => r[0]?.rowIndex === 4_321_001 && r.every((x) => x.cells[1] !== ''), 'the saved rows');
    assert.deepEqual(rows.filter((r) => r.selected).map((r) => r.rowIndex), [4_321_005]);
    assert.equal(rows[4].cells[1], oneLine(syntheticText(4_321_004)));
    // No page near the top was fetched: only the restored viewport.
    assert.ok(h.host.rowRequests().every((r) => r.start >= 4_321_000), JSON.stringify(h.host.rowRequests()));
    const width = (await h.page.locator('.grid-header-cell[data-column="text"]').boundingBox())!.width;
    assert.equal(Math.round(width), 300);
    assert.equal(await h.page.locator('.grid-header-cell[data-column="field:meta"]').count(), 0);
  } finally {
    await h.close();
  }
});
