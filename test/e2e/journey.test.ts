/**
 * The user's journey in a real VS Code (code-server 4.139.1 = VS Code 1.139, Node extension host) with
 * the packaged .vsix installed, driven in Chromium: open the example shards, read, score, measure
 * density, sample, override, export. Run by `npm run test:e2e` (test/e2e/run.mjs), never by `npm test`.
 *
 * Steps whose feature is not in the installed manifest are skipped with the reason, never faked.
 * The Ollama host comes from the machine settings (a fake Ollama); the workspace's
 * .vscode/settings.json names a second fake that must never be contacted.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import type { FrameLocator } from 'playwright-core';
import { defaultAnswer, startFakeOllama, type FakeOllama } from '../fakes/ollama-server';
import { oneLine } from '../../webview/grid/columns';
import { ROOT, Workbench } from './workbench';

const ARROW = join(ROOT, 'examples', 'web-sample.arrow');
const JSONL = join(ROOT, 'examples', 'web-sample.jsonl');
const HOSTS_SETTING = 'shardCurator.ollama.hosts';

/** The example shards' texts, read independently of the extension's readers. */
const jsonlTexts: string[] = readFileSync(JSONL, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line).text);
const arrowTexts: string[] = tableFromIPC(readFileSync(ARROW)).getChild('text')!.toArray() as string[];

const workbench = new Workbench();
let ollama: FakeOllama;
/** Named by the workspace settings; scope `machine` means it must be ignored. */
let decoy: FakeOllama;

before(async () => {
  ollama = await startFakeOllama();
  decoy = await startFakeOllama();
  await workbench.start({
    machineSettings: { [HOSTS_SETTING]: [ollama.url] },
    workspaceSettings: { [HOSTS_SETTING]: [decoy.url] },
    workspaceFiles: [ARROW, JSONL],
  });
}, { timeout: 5 * 60_000 });

after(async () => {
  await workbench.stop();
  await ollama?.stop();
  await decoy?.stop();
});

/** A journey step; on failure the page is kept as failed-<step>.png in the run folder. */
function step(name: string, fn: (t: TestContext) => Promise<void>): void {
  // Bounded: a stuck step fails on its own instead of using up the whole run's time.
  test(name, { timeout: 3 * 60_000 }, async (t) => {
    try {
      await fn(t);
    } catch (error) {
      await workbench.page?.screenshot({ path: join(workbench.runDir, `failed-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`) }).catch(() => undefined);
      throw error;
    }
  });
}

interface GridRow { rowIndex: number; selected: boolean; cells: string[] }

async function renderedRows(view: FrameLocator): Promise<GridRow[]> {
  return view.locator('[role=grid] [role=row]:not([hidden])').evaluateAll((rows) =>
    rows.map((row) => ({
      rowIndex: Number(row.getAttribute('aria-rowindex')),
      selected: row.getAttribute('aria-selected') === 'true',
      cells: [...row.querySelectorAll('[role=gridcell]')].map((c) => c.textContent ?? ''),
    })).sort((a, b) => a.rowIndex - b.rowIndex));
}

async function waitForRows(view: FrameLocator, predicate: (rows: GridRow[]) => boolean, what: string, timeoutMs = 30_000): Promise<GridRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await renderedRows(view);
    if (predicate(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; rendered: ${JSON.stringify(rows.slice(0, 2))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The column index of a header (the grid's cells follow the header order). */
async function columnIndex(view: FrameLocator, header: string): Promise<number> {
  const headers = await view.locator('.grid-header-cell').allInnerTexts();
  const index = headers.findIndex((h) => h.trim() === header);
  assert.ok(index >= 0, `no "${header}" column among ${JSON.stringify(headers)}`);
  return index;
}

async function expectShardEditor(fileName: string, rowCount: number, texts: string[]): Promise<FrameLocator> {
  const view = workbench.webview();
  const grid = view.locator('[role=grid]');
  await grid.and(view.locator(`[aria-label="Rows of ${fileName}"]`)).waitFor({ timeout: 60_000 });
  await view.locator(`[role=grid][aria-rowcount="${rowCount}"]`).waitFor({ timeout: 60_000 });
  const textColumn = await columnIndex(view, 'text');
  const rows = await waitForRows(view, (r) => r.length > 0 && r[0].cells[textColumn] !== '', 'the first rows');
  assert.equal(rows[0].rowIndex, 1);
  assert.equal(rows[0].cells[textColumn], oneLine(texts[0]));
  assert.equal(await workbench.activeTabLabel(), fileName);
  return view;
}

step('an Arrow shard opens in the shard editor by default, with every row counted', async () => {
  await workbench.openFromExplorer('web-sample.arrow');
  await expectShardEditor('web-sample.arrow', arrowTexts.length, arrowTexts);
});

step('End scrolls the Arrow shard to its last row', async () => {
  const view = workbench.webview();
  const textColumn = await columnIndex(view, 'text');
  await view.locator('[role=row][aria-rowindex="2"]').click();
  await view.locator('[role=grid]').press('End');
  const last = arrowTexts.length;
  const rows = await waitForRows(view, (r) => r.some((row) => row.rowIndex === last && row.cells[textColumn] !== ''), 'the last row');
  const lastRow = rows.find((row) => row.rowIndex === last)!;
  assert.equal(lastRow.cells[textColumn], oneLine(arrowTexts[last - 1]));
  assert.equal(lastRow.selected, true);
  await workbench.screenshot('arrow-end');
});

step('a row\'s detail shows its full text', async () => {
  const view = workbench.webview();
  await view.locator('[role=grid]').press('Home');
  await view.locator('[role=row][aria-rowindex="3"]').click();
  const detail = view.locator('[role=region][aria-label="Row detail"]');
  await detail.locator('.detail-title', { hasText: /^Row 3$/ }).waitFor();
  const text = detail.locator('[aria-label="Text"]');
  await text.waitFor();
  assert.equal(await text.textContent(), arrowTexts[2]);
  await workbench.screenshot('arrow-shard');
});

step('a JSONL shard stays a text file until "Open Shard" opens it in the shard editor', async () => {
  await workbench.openFromExplorer('web-sample.jsonl');
  // Priority "option": VS Code's text editor, not ours.
  await workbench.page.locator('.editor-instance .monaco-editor').first().waitFor();
  assert.equal(await workbench.activeTabLabel(), 'web-sample.jsonl');
  await workbench.runCommand('Shard Curator: Open Shard');
  const view = await expectShardEditor('web-sample.jsonl', jsonlTexts.length, jsonlTexts);
  await view.locator('[role=row][aria-rowindex="1"]').click();
  const text = view.locator('[role=region][aria-label="Row detail"] [aria-label="Text"]');
  await text.waitFor();
  assert.equal(await text.textContent(), jsonlTexts[0]);
  // Room for the editor from here on (the explorer is not needed again).
  await workbench.runCommand('View: Close Primary Side Bar');
  await workbench.screenshot('jsonl-shard');
});

const SELECT_MODEL = 'Shard Curator: Select Ollama Model';
const SCORE_SELECTED = 'Shard Curator: Score Selected Rows with Ask-LLM';
const COMPUTE_DENSITY = 'Shard Curator: Compute Density';
const EXPORT = 'Shard Curator: Export Curated Shard...';
const JUDGE = 'qwen2.5:0.5b';
const SCORED_ROWS = 5;

function missing(...needs: Array<['command' | 'setting', string]>): string | false {
  for (const [kind, name] of needs) {
    if (kind === 'command' ? !workbench.hasCommand(name) : !workbench.hasSetting(name)) return `${kind} "${name}" is not contributed yet`;
  }
  return false;
}

/** P(yes) of each scored row (1-based), from the fake judge's answer to the exact request. */
const expectedPYes = new Map<number, number>();

/** P(yes) by the method's definition: the yes-variants' probabilities among the first token's top log-probs. */
function pYesOf(body: any): number {
  const top = defaultAnswer(promptOf(body), body.model).sort((a, b) => b.logprob - a.logprob).slice(0, body.top_logprobs);
  return top.filter((t) => t.token.trim().toLowerCase() === 'yes').reduce((sum, t) => sum + Math.exp(t.logprob), 0);
}

/** The chat prompt a scoring request carried (the row text is inside it). */
function promptOf(body: any): string {
  return body.messages ? body.messages.map((m: { content: string }) => m.content).join('\n') : body.prompt;
}

step('"Select Ollama Model" lists the judges of the machine-settings host and sets one', async (t) => {
  const reason = missing(['setting', HOSTS_SETTING], ['command', SELECT_MODEL]);
  if (reason) return t.skip(reason);
  await workbench.runCommand(SELECT_MODEL);
  await workbench.pickQuickItem(JUDGE);
  await workbench.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  // Written to the user settings file shortly after the pick.
  const settingsFile = join(workbench.userDataDir, 'User', 'settings.json');
  const deadline = Date.now() + 10_000;
  while (JSON.parse(readFileSync(settingsFile, 'utf8'))['shardCurator.askLlm.model'] !== JUDGE) {
    assert.ok(Date.now() < deadline, `shardCurator.askLlm.model is not ${JUDGE} in ${settingsFile}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
});

step('"Score Selected Rows with Ask-LLM" scores exactly the selected rows through the machine-scoped host', async (t) => {
  const reason = missing(['setting', HOSTS_SETTING], ['command', SCORE_SELECTED]);
  if (reason) return t.skip(reason);
  const view = workbench.webview();
  await view.locator('[role=row][aria-rowindex="1"]').click();
  await view.locator(`[role=row][aria-rowindex="${SCORED_ROWS}"]`).click({ modifiers: ['Shift'] });
  const before = ollama.inferenceRequests().length;
  await workbench.runCommand(SCORE_SELECTED);
  const message = await workbench.waitForNotification(/rows scored with/);
  assert.match(message, new RegExp(`^${SCORED_ROWS} rows scored with ${JUDGE.replace('.', '\\.')}`));
  const requests = ollama.inferenceRequests().slice(before);
  assert.equal(requests.length, SCORED_ROWS);
  for (let row = 0; row < SCORED_ROWS; row++) {
    const asked = requests.filter((r) => promptOf(r.body).includes(jsonlTexts[row].slice(0, 200)));
    assert.equal(asked.length, 1, `row ${row + 1} scored once`);
    expectedPYes.set(row + 1, pYesOf(asked[0].body));
  }
  // The scores appear in the grid's Ask-LLM column, as the fake judge answered them.
  const scoreColumn = await columnIndex(view, 'Ask-LLM');
  const rows = await waitForRows(view, (r) => r.filter((row) => row.rowIndex <= SCORED_ROWS && row.cells[scoreColumn] !== '').length === SCORED_ROWS, 'the Ask-LLM scores');
  for (const row of rows.filter((r) => r.rowIndex <= SCORED_ROWS)) {
    const shown = Number(row.cells[scoreColumn]);
    assert.ok(Math.abs(shown - expectedPYes.get(row.rowIndex)!) <= 0.0051, `row ${row.rowIndex}: shows ${row.cells[scoreColumn]}, the judge said P(yes) ${expectedPYes.get(row.rowIndex)}`);
  }
  assert.equal(rows.find((r) => r.rowIndex === SCORED_ROWS + 1)?.cells[scoreColumn] ?? '', '', 'an unselected row got a score');
  await workbench.screenshot('scored');
});

step('a workspace .vscode/settings.json cannot point the extension at another Ollama host', async (t) => {
  const reason = missing(['setting', HOSTS_SETTING]);
  if (reason) return t.skip(reason);
  assert.ok(ollama.requests.length > 0, 'the machine-settings host was never asked');
  assert.deepEqual(decoy.requests.map((r) => `${r.method} ${r.path}`), [], 'the workspace-settings host was contacted');
});

step('"Compute Density" with the built-in embedder measures every row', async (t) => {
  const reason = missing(['command', COMPUTE_DENSITY]);
  if (reason) return t.skip(reason);
  const embedRequests = ollama.requests.filter((r) => r.path === '/api/embed').length;
  await workbench.runCommand(COMPUTE_DENSITY);
  await workbench.pickQuickItem('Built-in');
  const message = await workbench.waitForNotification(/^Density of .* rows computed/);
  assert.match(message, new RegExp(`^Density of ${jsonlTexts.length.toLocaleString('en-US')} rows computed with `));
  assert.equal(ollama.requests.filter((r) => r.path === '/api/embed').length, embedRequests, 'the built-in embedder needs no server');
  // Every rendered row shows its density (RACE estimates are >= 1).
  const view = workbench.webview();
  const densityColumn = await columnIndex(view, 'density');
  const rows = await waitForRows(view, (r) => r.length > 0 && r.every((row) => row.cells[densityColumn] !== ''), 'the densities');
  for (const row of rows) assert.ok(Number(row.cells[densityColumn].replace(/,/g, '')) >= 1, `row ${row.rowIndex} density "${row.cells[densityColumn]}"`);
  await workbench.screenshot('density');
});

const SAMPLER = 'density-ips:0.5';
const DROPPED_BY_HAND = 2;
let samplerSetInEditor = false;
let droppedByHand = false;

step('the sampler panel applies a density sampler and shows what it keeps', async (t) => {
  const view = workbench.webview();
  if ((await view.locator('.sampler-panel').count()) === 0) return t.skip('the editor has no sampler panel yet');
  const toggle = view.locator('.sampler-panel .section-toggle');
  if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click();
  // The toolkit's text field keeps its <input> in a shadow root. fill() sets the whole value and fires
  // `input` in one step: typed keys were lost while focus moved into the nested webview frames.
  const spec = view.locator('.sampler-panel .sampler-spec input');
  await spec.fill(SAMPLER);
  assert.equal(await spec.inputValue(), SAMPLER);
  const keptCell = view.locator('.sampler-panel .sampler-stats tr', { hasText: /^\s*rows/ }).locator('td').nth(0);
  const kept = Math.round(jsonlTexts.length * 0.5);
  await keptCell.filter({ hasText: new RegExp(`^${kept.toLocaleString('en-US')} \\(`) }).waitFor({ timeout: 30_000 });
  samplerSetInEditor = true;
  await workbench.screenshot('editor');
});

step('a row marked drop by hand (d) is dropped whatever the sampler says', async (t) => {
  const view = workbench.webview();
  if ((await view.locator('.sampler-panel').count()) === 0) return t.skip('the editor has no decisions yet');
  await view.locator(`[role=row][aria-rowindex="${DROPPED_BY_HAND}"]`).click();
  await view.locator('[role=grid]').press('d');
  await view.locator('.sampler-panel .hint', { hasText: 'By hand: 0 kept, 1 dropped' }).waitFor({ timeout: 15_000 });
  droppedByHand = true;
});

step('"Export Curated Shard..." writes the kept rows byte for byte and the recipe', async (t) => {
  const reason = missing(['command', EXPORT], ['command', COMPUTE_DENSITY]);
  if (reason) return t.skip(reason);
  const out = join(workbench.workspace, 'curated.jsonl');
  await workbench.runCommand(EXPORT);
  // Without a sampler chosen in the editor the export asks for a spec.
  if (!samplerSetInEditor) await workbench.answerQuickInput(/which rows to keep/, SAMPLER);
  // The save dialog (code-server's simple file dialog): type the path.
  await workbench.answerQuickInput(/web-sample\.curated\.jsonl/, out);
  // Export options: none.
  await workbench.page.locator('.quick-input-widget', { hasText: 'Export options' }).waitFor();
  await workbench.page.keyboard.press('Enter');
  const message = await workbench.waitForNotification(/^Exported /);
  const match = /^Exported ([\d,]+) of ([\d,]+) rows \(([\d,]+) dropped\) to curated\.jsonl/.exec(message);
  assert.ok(match, message);
  const [kept, input, dropped] = match.slice(1, 4).map((n) => Number(n.replace(/,/g, '')));
  assert.equal(input, jsonlTexts.length);
  assert.equal(kept + dropped, input);
  assert.ok(kept > 0 && dropped > 0, `${kept} kept, ${dropped} dropped`);

  const sourceLines = new Set(readFileSync(JSONL, 'utf8').split('\n').filter((line) => line !== ''));
  const exportedLines = readFileSync(out, 'utf8').split('\n').filter((line) => line !== '');
  assert.equal(exportedLines.length, kept);
  assert.ok(exportedLines.every((line) => sourceLines.has(line)), 'every exported row is a source line, byte for byte');
  assert.equal(new Set(exportedLines).size, exportedLines.length, 'a row was written twice');
  if (droppedByHand) {
    const droppedLine = readFileSync(JSONL, 'utf8').split('\n')[DROPPED_BY_HAND - 1];
    assert.ok(!exportedLines.includes(droppedLine), `row ${DROPPED_BY_HAND}, dropped by hand, was exported`);
  }
  const recipe = JSON.parse(readFileSync(join(workbench.workspace, 'curated.jsonl.recipe.json'), 'utf8'));
  assert.match(JSON.stringify(recipe), /density-ips:0\.5/);
  await workbench.screenshot('exported');
});

const OPEN_EXAMPLE = 'Shard Curator: Open Example Shard';

step('the walkthrough starts from the example shard shipped in the .vsix', async (t) => {
  const reason = missing(['command', OPEN_EXAMPLE]);
  if (reason) return t.skip(reason);
  await workbench.runCommand('Welcome: Open Walkthrough...');
  await workbench.pickQuickItem('Curate a pre-training shard');
  await workbench.page.getByRole('button', { name: 'Open Example Shard' }).first().click();
  await expectShardEditor('web-sample.jsonl', jsonlTexts.length, jsonlTexts);
  // Opened from a copy in the extension's storage (the annotation store is written next to the shard).
  const copies = readdirSync(workbench.userDataDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(join('examples', 'web-sample.jsonl')));
  assert.equal(copies.length, 1, `copies of the example under ${workbench.userDataDir}: ${JSON.stringify(copies)}`);
  assert.equal(readFileSync(join(workbench.userDataDir, copies[0]), 'utf8'), readFileSync(JSONL, 'utf8'));
  await workbench.screenshot('walkthrough-example');
});
