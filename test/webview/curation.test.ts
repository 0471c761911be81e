/**
 * The curation UI of the shard editor in headless Chromium against the fake host: score columns,
 * host-side sorting, histogram filters, the sampler panel, manual keep/drop, sampler comparison,
 * nearest rows, refresh on annotationsChanged and view state across a reload. The fake host computes
 * every figure with the extension's own curate functions over real text (Brown corpus, nlp-corpus)
 * and over the 10,000,000-row synthetic shard.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { RowSelection, ViewSpec } from '../../extension/protocol';
import { FAILED_EVERY, FAILURE_REASON, fakePYes } from './harness/curation';
import { launchBrowser, openEditor, renderedRows, waitForRows, type EditorHarness } from './harness/harness';
import { corpusShard, SYNTHETIC_ROWS, syntheticShard, type FakeShard } from './harness/shards';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
});

/** Column indexes with the default columns: #, text, chars, Ask-LLM, density, decision, fields… */
const ASKLLM = 3;
const DENSITY = 4;
const DECISION = 5;

async function open(shard: FakeShard, options: Parameters<typeof openEditor>[2] = {}): Promise<EditorHarness> {
  const h = await openEditor(browser, shard, options);
  await h.page.waitForSelector(`[role=grid][aria-rowcount="${shard.info.rowCount}"]`);
  await waitForRows(h.page, (rows) => rows.length > 0 && rows.every((r) => r.cells[1] !== ''), 'the first rows');
  if (h.host.autoSummary) await h.page.locator('.histogram-block.askllm canvas:visible').waitFor();
  return h;
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A click event on a header cell itself: what these tests check is what a click does. A mouse click
 * at the cell's position was lost now and then in CI right after the editor opened (one in about
 * five full runs; never locally), which a test of sorting should not depend on.
 */
const clickHeader = (h: EditorHarness, column: string) => h.page.locator(`.grid-header-cell[data-column="${column}"]`).dispatchEvent('click');

const lastView = (h: EditorHarness): ViewSpec | undefined => h.host.requestsOf('setView').at(-1)?.view;
const rowCountAttr = (h: EditorHarness) => h.page.locator('[role=grid]').getAttribute('aria-rowcount');

test('score columns: P(yes) as a number with a bar, density, decision; failures marked with the reason', async () => {
  const shard = corpusShard(300);
  const h = await open(shard);
  try {
    const headers = await h.page.$$eval('.grid-header-cell', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(headers.slice(0, 6), ['#', 'text', 'chars', 'Ask-LLM', 'density', 'decision']);
    const rows = await renderedRows(h.page);
    for (const r of rows) {
      const p = fakePYes(r.rowIndex - 1);
      assert.equal(r.cells[ASKLLM], p === null ? 'failed' : p.toFixed(2), `row ${r.rowIndex}`);
      assert.match(r.cells[DENSITY], /^\d/);
      assert.equal(r.cells[DECISION], 'undecided');
    }
    // The bar's width is the score.
    const bar = await h.page.$eval('[role=row][aria-rowindex="1"] [role=gridcell]:nth-child(4) .score-bar', (e) => (e as HTMLElement).style.width);
    assert.equal(bar, `${Math.round(fakePYes(0)! * 1000) / 10}%`);
    // Row 50 failed: a marker with the reason as its title.
    await h.page.locator('[role=grid]').evaluate((e) => (e.scrollTop = 40 * 22));
    await waitForRows(h.page, (r) => r.some((x) => x.rowIndex === FAILED_EVERY && x.cells[1] !== ''), 'row 50');
    const failed = h.page.locator(`[role=row][aria-rowindex="${FAILED_EVERY}"] [role=gridcell]`).nth(ASKLLM);
    assert.equal(await failed.getAttribute('title'), `Scoring failed: ${FAILURE_REASON}`);
    assert.equal(await failed.evaluate((e) => e.classList.contains('failed')), true);
  } finally {
    await h.close();
  }
});

test('sorting by P(yes) on 10M rows: setView goes to the host and the grid shows rows in its order', async () => {
  const h = await open(syntheticShard());
  try {
    await clickHeader(h, 'askllm');
    await until('the sort request', async () => lastView(h), (v) => v?.sort?.key === 'askllm');
    assert.deepEqual(lastView(h), { sort: { key: 'askllm', descending: true } });
    const viewId = h.host.curation.viewId;
    assert.ok(viewId > 0);
    const expected = [0, 1, 2, 3, 4].map((p) => h.host.curation.rowAt(viewId, p));
    const rows = await waitForRows(h.page, (r) => r.length > 4 && r[0].cells[0] === (expected[0] + 1).toLocaleString('en-US'), 'rows in P(yes) order');
    assert.deepEqual(rows.slice(0, 5).map((r) => r.cells[0]), expected.map((row) => (row + 1).toLocaleString('en-US')));
    assert.ok(rows.slice(0, 5).every((r) => r.cells[ASKLLM] === '1.00'));
    // Every row request since then carried the view's id.
    const rowRequests = h.host.requestsOf('rows').filter((r) => r.viewId === viewId);
    assert.ok(rowRequests.length >= 1);
    assert.equal(await rowCountAttr(h), String(SYNTHETIC_ROWS));
    assert.equal(await h.page.getAttribute('.grid-header-cell[data-column="askllm"]', 'aria-sort'), 'descending');
    // Second click: ascending.
    await clickHeader(h, 'askllm');
    await until('ascending', async () => lastView(h), (v) => v?.sort?.descending === false);
    await waitForRows(h.page, (r) => r.length > 0 && r[0].cells[ASKLLM] === '0.00', 'lowest scores first');
    assert.match((await h.page.locator('.chips').textContent()) ?? '', /sorted by P\(yes\) ↑/);
  } finally {
    await h.close();
  }
});

test('a histogram click filters rows to that P(yes) bin, shift+click extends it, the chip clears it', async () => {
  const shard = corpusShard(400);
  const h = await open(shard);
  try {
    const canvas = h.page.locator('.histogram-block.askllm canvas');
    const box = (await canvas.boundingBox())!;
    const bins = h.host.curation.summary().stats.askllm!.histogram.edges.length - 1;
    const edges = h.host.curation.summary().stats.askllm!.histogram.edges;
    const binX = (i: number) => box.x + ((i + 0.5) * box.width) / bins;
    await h.page.mouse.move(binX(12), box.y + box.height / 2);
    const tooltip = h.page.locator('.histogram-block.askllm .histogram-tooltip');
    await tooltip.waitFor();
    assert.match((await tooltip.textContent()) ?? '', /^0\.60 – 0\.65\d[\d,]* rows$/);
    await h.page.mouse.click(binX(12), box.y + box.height / 2);
    await until('the range filter', async () => lastView(h), (v) => v?.askllmRange !== undefined);
    assert.deepEqual(lastView(h), { askllmRange: { min: edges[12], max: edges[13] } });
    const inBin = Array.from({ length: 400 }, (_, i) => fakePYes(i)).filter((p) => p !== null && p >= edges[12] && p <= edges[13]).length;
    await h.page.waitForSelector(`[role=grid][aria-rowcount="${inBin}"]`);
    const rows = await waitForRows(h.page, (r) => r.length > 0 && r.every((x) => x.cells[1] !== ''), 'filtered rows');
    assert.ok(rows.every((r) => Number(r.cells[ASKLLM]) >= 0.6 && Number(r.cells[ASKLLM]) <= 0.65), JSON.stringify(rows.map((r) => r.cells[ASKLLM])));
    assert.equal(await h.page.locator('.chip-askllmRange .chip-text').textContent(), 'filter: P(yes) 0.60–0.65');
    assert.match((await h.page.locator('.view-count').textContent()) ?? '', new RegExp(`^${inBin} of 400 rows$`));

    await h.page.keyboard.down('Shift');
    await h.page.mouse.click(binX(15), box.y + box.height / 2);
    await h.page.keyboard.up('Shift');
    await until('the extended range', async () => lastView(h), (v) => v?.askllmRange?.max === edges[16]);
    assert.deepEqual(lastView(h)?.askllmRange, { min: edges[12], max: edges[16] });

    await h.page.getByRole('button', { name: /Clear filter P\(yes\)/ }).click();
    await until('the filter cleared', async () => lastView(h), (v) => v !== undefined && v.askllmRange === undefined);
    await h.page.waitForSelector('[role=grid][aria-rowcount="400"]');
    assert.equal(await h.page.locator('.chip').count(), 0);
  } finally {
    await h.close();
  }
});

test('without scores, the panel says which command computes them and its buttons run it', async () => {
  const shard = corpusShard(100);
  const h = await openEditor(browser, shard, {});
  try {
    h.host.curation.setScores(false, false);
    await h.host.sendSummary();
    const empty = h.page.locator('.histogram-block.askllm .empty-state');
    await empty.waitFor();
    assert.match((await empty.textContent()) ?? '', /No Ask-LLM scores yet/);
    await empty.getByRole('button', { name: /Score every row/ }).click();
    await h.page.locator('.histogram-block.density .empty-state').getByRole('button', { name: /compute its density/ }).click();
    await until('the commands', async () => h.host.events.filter((e) => e.type === 'runCommand').map((e) => (e as { command: string }).command), (c) => c.length === 2);
    assert.deepEqual(h.host.events.filter((e) => e.type === 'runCommand').map((e) => (e as { command: string }).command), ['scoreAll', 'computeDensity']);
    assert.equal(await h.page.locator('.fingerprint').textContent(), 'not scored');
  } finally {
    await h.close();
  }
});

test('sampler panel: steps built with controls and typed as text stay in sync, the preview shows the host\'s figures', async () => {
  const shard = corpusShard(300);
  const h = await open(shard);
  try {
    const { page } = h;
    await page.getByRole('button', { name: 'Add a step to the pipeline' }).click();
    const kind = page.locator('.sampler-step').first().locator('vscode-dropdown');
    await until('the step kinds', () => kind.locator('vscode-option').count(), (n) => n === 6);
    await kind.click();
    await kind.locator('vscode-option', { hasText: 'Density (IPS)' }).click();
    const argument = page.locator('.sampler-step').first().locator('.sampler-step-argument input');
    await argument.fill('0.6');
    await until('the spec text', () => page.locator('.sampler-spec input').inputValue(), (v) => v === 'density-ips:0.6');
    await until('setSampler', async () => h.host.requestsOf('setSampler').at(-1), (p) => p?.spec === 'density-ips:0.6');
    const summary = h.host.curation.summary();
    const stats = page.getByRole('table', { name: 'Kept and dropped rows' });
    await until('the kept count', async () => (await stats.count()) ? await stats.locator('tbody tr').first().textContent() : '', (t) => t !== null && t.includes(summary.stats.kept.toLocaleString('en-US')));
    const text = (await stats.textContent()) ?? '';
    assert.match(text, new RegExp(`rows${summary.stats.kept.toLocaleString('en-US')} \\(`));
    assert.match(text, /tokens≈ [\d,]+/);
    assert.match(text, /mean P\(yes\)0\.\d\d0\.\d\d/);
    const steps = await page.getByRole('table', { name: 'Rows per step' }).locator('tbody tr').allTextContents();
    assert.equal(summary.stats.kept, 180);
    assert.deepEqual(steps, ['density-ips:0.6300180']);

    // Typed text rebuilds the step controls.
    await page.locator('.sampler-spec input').fill('random:0.8,density-top:0.5');
    await until('two steps', () => page.locator('.sampler-step').count(), (n) => n === 2);
    assert.deepEqual(await page.locator('.sampler-step').evaluateAll((items) => items.map((i) => i.getAttribute('data-kind'))), ['random', 'density-top']);
    assert.equal(await page.locator('.sampler-step').nth(1).locator('.warning-tag').textContent(), 'not coverage-preserving');
    assert.equal(await page.locator('.sampler-step').nth(0).locator('.warning-tag').count(), 0);
    await until('setSampler with the text', async () => h.host.requestsOf('setSampler').at(-1), (p) => p?.spec === 'random:0.8,density-top:0.5');
    await until('the per-step counts', () => page.getByRole('table', { name: 'Rows per step' }).locator('tbody tr').allTextContents(), (rows) => rows.join('|') === 'random:0.8300240|density-top:0.5240120');

    // A typo is named at once and not sent.
    const sent = h.host.requestsOf('setSampler').length;
    await page.locator('.sampler-spec input').fill('askllm-min:2');
    await until('the problem', () => page.locator('.sampler-panel .sampler-problem').textContent(), (t) => /threshold must be a P\(yes\) between 0 and 1/.test(t ?? ''));
    await page.waitForTimeout(400);
    assert.equal(h.host.requestsOf('setSampler').length, sent);

    // A sampler that needs scores some rows lack: the host's message and the command that fixes it.
    await page.locator('.sampler-spec input').fill('askllm-top:0.3');
    const error = page.locator('.sampler-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /step 1 "askllm-top:0\.3" needs an Ask-LLM score for every row it considers: 6 of 300 rows have none/);
    await error.getByRole('button', { name: 'Score every row with Ask-LLM' }).click();
    await until('scoreAll', async () => h.host.events.some((e) => e.type === 'runCommand' && e.command === 'scoreAll'), Boolean);
  } finally {
    await h.close();
  }
});

test('k / d / c keep, drop and clear the selected rows; a manual keep looks different from a sampler keep', async () => {
  const shard = corpusShard(200);
  const h = await open(shard);
  try {
    const { page } = h;
    await page.locator('.sampler-spec input').fill('random:0.5');
    await until('sampler decisions', async () => (await renderedRows(page))[0]?.cells[DECISION], (c) => c === 'keep' || c === 'drop');
    await page.click('[role=row][aria-rowindex="2"]');
    await page.click('[role=row][aria-rowindex="4"]', { modifiers: ['Shift'] });
    await page.keyboard.press('k');
    await until('setOverride', async () => h.host.requestsOf('setOverride').length, (n) => n === 1);
    const request = h.host.requestsOf('setOverride')[0];
    assert.deepEqual(request, { selection: { viewId: 0, ranges: [[1, 4]] } satisfies RowSelection, decision: 'keep' });
    await until('manual badges', () => page.locator('.decision-badge.manual.keep').count(), (n) => n === 3);
    const manual = page.locator('[role=row][aria-rowindex="2"] .decision-badge');
    assert.equal(await manual.getAttribute('class'), 'decision-badge keep manual');
    assert.equal(await page.locator('[role=row][aria-rowindex="2"] [role=gridcell]').nth(DECISION).getAttribute('title'), 'Kept by hand (manual override)');
    // A row the sampler keeps: filled badge, no hand.
    const sampled = await renderedRows(page);
    const samplerKept = sampled.find((r) => r.rowIndex > 4 && r.cells[DECISION] === 'keep')?.rowIndex;
    assert.ok(samplerKept !== undefined);
    assert.equal(await page.locator(`[role=row][aria-rowindex="${samplerKept}"] .decision-badge`).getAttribute('class'), 'decision-badge keep');
    // (No local functions in page code: tsx would wrap them in a helper the page lacks.)
    const styles = await page.evaluate(([a, b]) => [getComputedStyle(document.querySelector(a)!).backgroundColor, getComputedStyle(document.querySelector(b)!).backgroundColor], [`[role=row][aria-rowindex="2"] .decision-badge`, `[role=row][aria-rowindex="${samplerKept}"] .decision-badge`]);
    assert.notEqual(styles[0], styles[1]);

    await page.click('[role=row][aria-rowindex="3"]');
    await page.keyboard.press('d');
    await until('drop', async () => h.host.requestsOf('setOverride').length, (n) => n === 2);
    assert.deepEqual(h.host.requestsOf('setOverride')[1], { selection: { viewId: 0, ranges: [[2, 3]] }, decision: 'drop' });
    await until('manual drop', () => page.locator('[role=row][aria-rowindex="3"] .decision-badge').getAttribute('class'), (c) => c === 'decision-badge drop manual');
    await page.keyboard.press('c');
    await until('clear', async () => h.host.requestsOf('setOverride').length, (n) => n === 3);
    assert.equal(h.host.requestsOf('setOverride')[2].decision, null);
    await until('sampler verdict back', () => page.locator('[role=row][aria-rowindex="3"] .decision-badge').getAttribute('class'), (c) => c === 'decision-badge keep' || c === 'decision-badge drop');
    // Typing k in a text field is typing, not a decision.
    await page.locator('.search-field input').fill('k');
    assert.equal(h.host.requestsOf('setOverride').length, 3);
    // The host learnt the selection.
    const selection = h.host.events.filter((e) => e.type === 'selection').at(-1);
    assert.deepEqual(selection, { type: 'selection', selection: { viewId: 0, ranges: [[2, 3]] }, focusedRow: 2 });
  } finally {
    await h.close();
  }
});

test('compare two samplers: counts, overlap, and the rows only A keeps in the grid', async () => {
  const shard = corpusShard(300);
  const h = await open(shard);
  try {
    const { page } = h;
    await page.locator('.compare-panel .section-toggle').click();
    await page.locator('.compare-a input').fill('askllm-top:0.5');
    await page.locator('.compare-b input').fill('random:0.5');
    await page.locator('.compare-seed input').fill('7');
    // askllm-top needs every row scored: the host's message is shown.
    await page.getByRole('button', { name: /Run both samplers/ }).click();
    await until('the error', () => page.locator('.compare-panel .sampler-problem').textContent(), (t) => /askllm-top/.test(t ?? ''));
    await page.locator('.compare-a input').fill('density-bottom:0.5');
    await page.getByRole('button', { name: /Run both samplers/ }).click();
    await page.locator('.compare-figures').waitFor();
    const expected = h.host.curation.compare('density-bottom:0.5', 'random:0.5', 7);
    assert.deepEqual(h.host.requestsOf('compare').at(-1), { a: 'density-bottom:0.5', b: 'random:0.5', seed: 7 });
    const figures = await page.locator('.compare-figures .figure').evaluateAll((f) => f.map((x) => [x.children[0].textContent, x.children[1].textContent]));
    assert.deepEqual(figures, [['A keeps', String(expected.a)], ['B keeps', String(expected.b)], ['both keep', String(expected.both)], ['Jaccard overlap', expected.jaccard.toFixed(3)]]);
    await page.getByRole('button', { name: 'Show the rows only sampler A keeps' }).click();
    await page.waitForSelector(`[role=grid][aria-rowcount="${expected.onlyA}"]`);
    assert.deepEqual(lastView(h), { compare: 'onlyA' });
    const rows = await waitForRows(page, (r) => r.length > 0 && r.every((x) => x.cells[1] !== ''), 'only-A rows');
    const viewId = h.host.curation.viewId;
    assert.deepEqual(rows.map((r) => r.cells[0]), rows.map((r) => String(h.host.curation.rowAt(viewId, r.rowIndex - 1) + 1)));
    assert.ok(expected.onlyA > 0 && expected.onlyA < 150);
    assert.equal(await page.locator('.chip-compare .chip-text').textContent(), 'filter: compare: only A keeps');
    await page.getByRole('button', { name: /Clear filter compare/ }).click();
    await page.waitForSelector('[role=grid][aria-rowcount="300"]');
  } finally {
    await h.close();
  }
});

test('detail pane: Ask-LLM facts, and nearest rows that jump to the row when clicked', async () => {
  const shard = corpusShard(300);
  const h = await open(shard);
  try {
    const { page } = h;
    await page.click('[role=row][aria-rowindex="8"]');
    const region = page.getByRole('region', { name: 'Row detail' });
    await until('facts', () => region.locator('.detail-facts').first().textContent(), (t) => /P\(yes\)/.test(t ?? ''));
    const facts = await region.locator('.detail-fact').evaluateAll((f) => Object.fromEntries(f.map((x) => [x.children[0].textContent, x.children[1].textContent])));
    assert.equal(facts['P(yes)'], fakePYes(7)!.toFixed(4));
    assert.equal(facts.model, 'qwen2.5:1.5b-instruct');
    assert.equal(facts.prompt, '9f2c4e1a');
    assert.equal(facts['model digest'], 'sha256:6');
    assert.equal(facts.truncated, 'yes');
    assert.equal(facts.decision, 'undecided');
    await region.getByRole('button', { name: /closest to this one/ }).click();
    const list = region.getByRole('list', { name: 'Rows nearest to row 8' });
    await list.waitFor();
    assert.ok(h.host.events.some((e) => e.type === 'runCommand' && e.command === 'showNearest'));
    const nearest = h.host.curation.nearest(7, 5);
    const items = await list.locator('.nearest-row').evaluateAll((b) => b.map((x) => x.getAttribute('data-row')));
    assert.deepEqual(items, nearest.map((n) => String(n.row)));
    await list.locator('.nearest-row').first().click();
    await until('the jump', async () => (await renderedRows(page)).filter((r) => r.selected).map((r) => r.rowIndex), (s) => s.length === 1 && s[0] === nearest[0].row + 1);
    assert.match((await region.locator('.detail-title').textContent()) ?? '', new RegExp(`Row ${nearest[0].row + 1}`));
  } finally {
    await h.close();
  }
});

test('annotationsChanged refetches the visible rows without blanking them', async () => {
  const shard = corpusShard(200);
  const h = await open(shard);
  try {
    const { page } = h;
    await page.evaluate(() => {
      (window as unknown as { blanked: number }).blanked = 0;
      new MutationObserver((records) => {
        for (const r of records) if ((r.target as HTMLElement).classList?.contains('loading')) (window as unknown as { blanked: number }).blanked++;
      }).observe(document.querySelector('[role=grid]')!, { subtree: true, attributes: true, attributeFilter: ['class'] });
    });
    h.host.rowsDelayMs = 150;
    const before = h.host.rowRequests().length;
    h.host.curation.setOverride([0, 1], 'drop');
    await h.host.send({ type: 'annotationsChanged', rows: [0, 1] });
    await until('the new decisions', async () => (await renderedRows(page)).slice(0, 2).map((r) => r.cells[DECISION]), (c) => c.every((x) => x === 'drop✋'));
    assert.equal(await page.evaluate(() => (window as unknown as { blanked: number }).blanked), 0);
    // Only the page holding rows 0 and 1 was fetched again.
    assert.deepEqual(h.host.rowRequests().slice(before), [{ start: 0, count: 100, viewId: 0 }]);
  } finally {
    await h.close();
  }
});

test('view state survives a reload: sort, sampler spec and seed, panels, compare specs', async () => {
  const shard = corpusShard(300);
  const h = await open(shard);
  try {
    const { page } = h;
    await clickHeader(h, 'density');
    await until('sorted', async () => lastView(h), (v) => v?.sort?.key === 'density');
    await page.locator('.sampler-spec input').fill('density-ips:0.4');
    await page.locator('.sampler-seed input').fill('42');
    await page.locator('.scores-panel .section-toggle').click();
    await page.locator('.compare-panel .section-toggle').click();
    await page.locator('.compare-b input').fill('random:0.4');
    await until('setSampler', async () => h.host.requestsOf('setSampler').at(-1), (p) => p?.seed === 42);
    await page.waitForTimeout(300);
    const setViews = h.host.requestsOf('setView').length;
    await h.reload();
    await until('the restored view', async () => h.host.requestsOf('setView').slice(setViews), (v) => v.length === 1);
    assert.deepEqual(lastView(h), { sort: { key: 'density', descending: true } });
    assert.equal(await page.locator('.sampler-spec input').inputValue(), 'density-ips:0.4');
    assert.equal(await page.locator('.sampler-seed input').inputValue(), '42');
    assert.deepEqual(h.host.requestsOf('setSampler').at(-1), { spec: 'density-ips:0.4', seed: 42 });
    assert.equal(await page.locator('.scores-panel .section-toggle').getAttribute('aria-expanded'), 'false');
    assert.equal(await page.locator('.compare-panel .section-toggle').getAttribute('aria-expanded'), 'true');
    assert.equal(await page.locator('.compare-b input').inputValue(), 'random:0.4');
    assert.equal(await page.getAttribute('.grid-header-cell[data-column="density"]', 'aria-sort'), 'descending');
  } finally {
    await h.close();
  }
});
