/**
 * The rest of the shard editor on the harness page: search over real text (Brown corpus,
 * nlp-corpus), the status line with indexing progress and malformed lines, the text-field chooser,
 * and a shard that cannot be read.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { oneLine } from '../../webview/grid/columns';
import { launchBrowser, openEditor, renderedRows, waitForRows, type EditorHarness } from './harness/harness';
import { corpusShard, syntheticShard, type FakeShard } from './harness/shards';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
});

async function open(shard: FakeShard): Promise<EditorHarness> {
  const h = await openEditor(browser, shard);
  await h.page.waitForSelector(`[role=grid][aria-rowcount="${shard.info.rowCount}"]`);
  await waitForRows(h.page, (rows) => rows.length > 0 && rows.every((r) => r.cells[1] !== ''), 'the first rows');
  return h;
}

function matchingRows(shard: FakeShard, test: (text: string) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shard.info.rowCount; i++) if (test(shard.row(i).text)) out.push(i);
  return out;
}

const selected = async (h: EditorHarness) => (await renderedRows(h.page)).filter((r) => r.selected).map((r) => r.rowIndex - 1);

async function waitForText(h: EditorHarness, selector: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = (await h.page.locator(selector).textContent()) ?? '';
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${selector} shows "${text}", expected ${pattern}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('search: Enter runs it over the whole shard, then Enter / Shift+Enter walk the matches', async () => {
  const shard = corpusShard(500);
  const h = await open(shard);
  try {
    const { page } = h;
    const expected = matchingRows(shard, (t) => t.toLowerCase().includes('government'));
    assert.ok(expected.length >= 4, `fixture has ${expected.length} matches`);
    const field = page.locator('.search-field input');
    await field.fill('government');
    await field.press('Enter');
    await waitForText(h, '.search-count', new RegExp(`^1 of ${expected.length}$`));
    assert.deepEqual(await selected(h), [expected[0]]);
    assert.match((await page.locator('.detail-text').textContent()) ?? '', /government/i);
    await field.press('Enter');
    await waitForText(h, '.search-count', new RegExp(`^2 of ${expected.length}$`));
    assert.deepEqual(await selected(h), [expected[1]]);
    await field.press('Shift+Enter');
    await field.press('Shift+Enter');
    // Wraps around to the last match, scrolling it into view.
    await waitForText(h, '.search-count', new RegExp(`^${expected.length} of ${expected.length}$`));
    await waitForRows(page, (rows) => rows.some((r) => r.rowIndex === expected.at(-1)! + 1 && r.selected), 'the last match');
    await page.getByRole('button', { name: 'Next match (Enter)' }).click();
    await waitForText(h, '.search-count', new RegExp(`^1 of ${expected.length}$`));
    // Matching rows are marked in the grid.
    const marked = await page.$$eval('[role=row].match', (rows) => rows.map((r) => Number(r.getAttribute('aria-rowindex')) - 1));
    assert.ok(marked.length > 0 && marked.every((row) => expected.includes(row)));

    // Case-sensitive: lower-case "government" only.
    const exactCase = matchingRows(shard, (t) => t.includes('government'));
    assert.ok(exactCase.length < expected.length, 'the fixture has capitalised matches too');
    await page.getByRole('button', { name: 'Match case' }).click();
    await waitForText(h, '.search-count', new RegExp(`^– of ${exactCase.length}$`));
    const searches = h.host.requests.filter((r) => r.method === 'search').map((r) => r.params);
    assert.deepEqual(searches.at(-1), { searchId: (searches.at(-1) as { searchId: number }).searchId, query: { pattern: 'government', regex: false, caseSensitive: true } });

    // Regex over the whole shard.
    await page.getByRole('button', { name: 'Match case' }).click();
    await page.getByRole('button', { name: 'Use regular expression' }).click();
    await field.fill('\\b(jury|court)\\b');
    await field.press('Enter');
    const re = /\b(jury|court)\b/iu;
    const regexMatches = matchingRows(shard, (t) => re.test(t));
    await waitForText(h, '.search-count', new RegExp(`^1 of ${regexMatches.length}$`));
    assert.deepEqual(await selected(h), [regexMatches[0]]);

    // An invalid regex shows the host's error.
    await field.fill('(unclosed');
    await field.press('Enter');
    const error = await waitForText(h, '.search-error', /Invalid regular expression/);
    assert.match(error, /unterminated group/i);
    assert.equal(await page.locator('.search-count').textContent(), 'No results');
  } finally {
    await h.close();
  }
});

test('search on 10M rows reports progress and can be cancelled', async () => {
  const h = await open(syntheticShard());
  try {
    const { page } = h;
    const field = page.locator('.search-field input');
    await field.fill('no such words anywhere');
    await field.press('Enter');
    await waitForText(h, '.search-progress', /\d+% scanned/);
    const cancel = page.getByRole('button', { name: 'Cancel search' });
    assert.equal(await cancel.isVisible(), true);
    await cancel.click();
    await waitForText(h, '.search-error', /Cancelled/);
    assert.equal(await cancel.isVisible(), false);
    const search = h.host.requests.find((r) => r.method === 'search')!;
    const cancelRequest = h.host.requests.find((r) => r.method === 'cancelSearch');
    assert.deepEqual(cancelRequest?.params, { searchId: (search.params as { searchId: number }).searchId });
  } finally {
    await h.close();
  }
});

test('status line: format, rows, size, and the malformed lines list', async () => {
  const h = await open(syntheticShard());
  try {
    const { page } = h;
    const status = page.getByRole('contentinfo', { name: 'Shard status' });
    const text = (await status.textContent()) ?? '';
    assert.match(text, /JSONL/);
    assert.match(text, /10,000,000 rows/);
    assert.match(text, /1\.7 GB/);
    await page.getByRole('button', { name: '3 malformed lines' }).click();
    const dialog = page.getByRole('dialog', { name: 'Malformed lines' });
    await dialog.locator('.malformed-item').first().waitFor();
    const items = await dialog.locator('.malformed-item').evaluateAll((li) => li.map((e) => [e.children[0].textContent, e.children[1].textContent]));
    assert.deepEqual(items, [
      ['line 18', 'Unexpected token } in JSON at position 17'],
      ['line 4,200,001', 'not a JSON object (array)'],
      ['line 9,999,999', 'Unterminated string in JSON at position 64'],
    ]);
    assert.equal(h.host.requests.filter((r) => r.method === 'malformed').length, 1);
    await page.keyboard.press('Escape');
    assert.equal(await dialog.isHidden(), true);
  } finally {
    await h.close();
  }
});

test('while indexing, rows and progress grow; the final shardInfo ends it', async () => {
  const shard = corpusShard(300);
  const h = await openEditor(browser, shard);
  try {
    const { page, host } = h;
    await host.send({ type: 'shardInfo', info: { ...shard.info, indexed: false, rowCount: 40 } });
    await page.waitForSelector('[role=grid][aria-rowcount="40"]');
    await waitForText(h, '.status-rows', /^indexing… 40 rows$/);
    await host.send({ type: 'indexProgress', bytesDone: 420, bytesTotal: 1000, rows: 120 });
    await page.waitForSelector('[role=grid][aria-rowcount="120"]');
    await waitForText(h, '.status-rows', /^indexing… 120 rows, 42%$/);
    // The header cells are kept when the columns did not change: a click in progress is not lost.
    await page.$eval('.grid-header-cell[data-column="length"]', (cell) => cell.setAttribute('data-before', ''));
    await host.send({ type: 'shardInfo', info: shard.info });
    await page.waitForSelector('[role=grid][aria-rowcount="300"]');
    await waitForText(h, '.status-rows', /^300 rows$/);
    assert.equal(await page.locator('.grid-header-cell[data-column="length"][data-before]').count(), 1);
    // Late progress events after the index completed change nothing.
    await host.send({ type: 'indexProgress', bytesDone: 999, bytesTotal: 1000, rows: 299 });
    assert.equal(await page.locator('[role=grid]').getAttribute('aria-rowcount'), '300');
  } finally {
    await h.close();
  }
});

test('the text-field chooser switches the text column through the host', async () => {
  const shard = corpusShard(200);
  const h = await open(shard);
  try {
    const { page } = h;
    const dropdown = page.locator('vscode-dropdown.status-text-field');
    assert.equal(await dropdown.evaluate((e) => (e as HTMLElement & { value: string }).value), 'text');
    const options = await dropdown.locator('vscode-option').allTextContents();
    assert.deepEqual(options.map((o) => o.trim()), ['id', 'text', 'source']);
    await dropdown.click();
    await dropdown.locator('vscode-option', { hasText: 'source' }).click();
    await waitForRows(page, (rows) => rows[0]?.cells[1] === shard.row(0).text && ['brown', 'nlp-corpus'].includes(rows[0].cells[1]), 'rows with the new text field');
    const request = h.host.requests.find((r) => r.method === 'setTextField');
    assert.deepEqual(request?.params, { field: 'source' });
    const headers = await page.$$eval('.grid-header-cell', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(headers, ['#', 'source', 'chars', 'Ask-LLM', 'density', 'decision', 'id', 'text', 'chars']);
    const rows = await renderedRows(page);
    assert.equal(rows[0].cells[7], oneLine(shard.row(0).fields.text as string));
  } finally {
    await h.close();
  }
});

test('a shard that cannot be read shows the host\'s message instead of the grid', async () => {
  const h = await openEditor(browser, syntheticShard());
  try {
    await h.host.send({ type: 'shardError', message: 'bad.arrow: not an Arrow IPC file (magic bytes are "PK\\u0003\\u0004"); is it a zip?' });
    const alert = h.page.getByRole('alert');
    await alert.waitFor();
    assert.match((await alert.textContent()) ?? '', /bad\.arrow: not an Arrow IPC file/);
    assert.equal(await h.page.locator('[role=grid]').count(), 0);
  } finally {
    await h.close();
  }
});
