/**
 * The router's curation requests over a real shard, its real annotation store (temp folder) and the
 * fake Ollama server: annotations in rows, views (sort / filter / stale ids), selections mapped to
 * rows, overrides, samplers, comparison, fingerprints, nearest rows, toolbar commands, and scores
 * arriving while a run (the editor's or the CLI's) is going.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ShardAnnotations } from '../../../extension/core/curation';
import { STEP_KINDS } from '../../../extension/core/curate/spec';
import { openShard } from '../../../extension/core/shard/open';
import { ShardSession } from '../../../extension/editor/session';
import { RouterHarness } from './router-harness';
import type { CurationSummary, RowView, ToWebviewMessage } from '../../../extension/protocol';
import { startFakeOllama, type FakeOllama } from '../../fakes/ollama-server';
import { records, tempDir, writeJsonl, type JsonlFixture } from '../cli/shards';

const MODEL = 'qwen2.5:0.5b';
const ROWS = 300;

class Harness extends RouterHarness {
  rows(start: number, count: number, viewId?: number): Promise<{ rows: RowView[] }> {
    return this.ok('rows', viewId === undefined ? { start, count } : { start, count, viewId });
  }

  /** Waits until a posted message satisfies `match` (after index `from`). */
  async waitFor<T extends ToWebviewMessage>(match: (m: ToWebviewMessage) => m is T, from = 0, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.posted.slice(from).find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error('timed out waiting for a posted message');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  lastSummary(): CurationSummary {
    const summary = this.posted.filter((m) => m.type === 'summary').at(-1);
    assert.ok(summary?.type === 'summary');
    return summary.summary;
  }
}

const isSummary = (m: ToWebviewMessage): m is Extract<ToWebviewMessage, { type: 'summary' }> => m.type === 'summary';
const isChange = (m: ToWebviewMessage): m is Extract<ToWebviewMessage, { type: 'annotationsChanged' }> => m.type === 'annotationsChanged';
const isViewChange = (m: ToWebviewMessage): m is Extract<ToWebviewMessage, { type: 'viewChanged' }> => m.type === 'viewChanged';

let dir: string;
let cleanup: () => void;
let fake: FakeOllama;
let fixture: JsonlFixture;
let session: ShardSession;
let h: Harness;

before(async () => {
  ({ dir, cleanup } = tempDir('editor-curation'));
  fake = await startFakeOllama();
  fixture = writeJsonl(join(dir, 'web.jsonl'), records(ROWS, 5));
  session = new ShardSession(fixture.path, { changeIntervalMs: 20 }, { info() {}, error() {} });
  h = new Harness(session);
  await session.annotations();
});
after(async () => {
  h.router.dispose();
  await session.dispose();
  await fake.stop();
  cleanup();
});

const score = (rows: 'all' | number[], signal?: AbortSignal) =>
  session.requireAnnotations().scoreAskllm(rows, { hosts: [fake.url], model: MODEL, concurrency: 4, signal });

test('once the annotations are loaded the webview gets a summary and "all rows changed"', async () => {
  const summary = await h.waitFor(isSummary);
  assert.equal(summary.summary.rowCount, ROWS);
  assert.equal(summary.summary.askllm.shown, null);
  assert.ok(h.posted.some((m) => m.type === 'annotationsChanged' && m.rows === undefined));
  // A reloaded webview gets the summary in its snapshot.
  const before = h.posted.length;
  await h.router.handle({ type: 'ready' });
  assert.ok(h.posted.slice(before).some((m) => m.type === 'summary'));
  const { rows } = await h.rows(0, 3);
  assert.deepEqual(rows[0].annotations, {
    askllm: null, askllmFailure: null, density: null, ipsWeight: null, override: null, decision: 'undecided', decisionSource: 'none',
  });
});

test('scores stream into the grid: coalesced annotationsChanged with the scored rows, then a summary', async () => {
  const from = h.posted.length;
  const result = await score([10, 11, 12, 40, 41]);
  assert.equal(result.scored, 5);
  const change = await h.waitFor((m): m is Extract<ToWebviewMessage, { type: 'annotationsChanged' }> => isChange(m) && (m.rows?.includes(41) ?? false), from);
  assert.deepEqual(change.rows?.filter((r) => r >= 10), [10, 11, 12, 40, 41].filter((r) => change.rows!.includes(r)));
  await h.waitFor((m): m is Extract<ToWebviewMessage, { type: 'summary' }> => isSummary(m) && m.summary.askllm.shown?.scored === 5, from);
  const { rows } = await h.rows(9, 5);
  assert.equal(rows[0].annotations?.askllm, null, 'row 9 was not scored');
  for (const r of rows.slice(1, 4)) {
    const askllm = r.annotations?.askllm;
    assert.ok(askllm, `row ${r.row} has its score`);
    assert.equal(askllm.model, MODEL);
    assert.ok(askllm.pYes > 0 && askllm.pYes < 1);
  }
});

describe('views', () => {
  test('sorting by Ask-LLM score maps view positions to rows; stale view ids are refused, view 0 always works', async () => {
    const { viewId, rowCount } = await h.ok<{ viewId: number; rowCount: number }>('setView', { view: { sort: { key: 'askllm', descending: true } } });
    assert.ok(viewId > 0);
    assert.equal(rowCount, ROWS);
    const { rows } = await h.rows(0, 5, viewId);
    const scores = rows.map((r) => r.annotations!.askllm!.pYes);
    assert.deepEqual(rows.map((r) => r.row).sort((a, b) => a - b), [10, 11, 12, 40, 41]);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
    // Scattered rows are read back with their own text.
    for (const r of rows) assert.equal(r.text, fixture.rows[r.row].text);
    assert.deepEqual((await h.rows(0, 2, 0)).rows.map((r) => r.row), [0, 1]);
    assert.match(await h.error('rows', { start: 0, count: 5, viewId: viewId + 7 }), /was replaced by view/);
  });

  test('new scores under a score sort recompute the view and post viewChanged', async () => {
    const { viewId } = await h.ok<{ viewId: number }>('setView', { view: { sort: { key: 'askllm', descending: true }, askllmRange: { min: 0, max: 1 } } });
    assert.equal((await h.rows(0, 100, viewId)).rows.length, 5, 'the range filter keeps the scored rows only');
    const from = h.posted.length;
    await score([100, 101, 102]);
    const changed = await h.waitFor(isViewChange, from);
    assert.ok(changed.viewId > viewId);
    await h.waitFor((m): m is Extract<ToWebviewMessage, { type: 'viewChanged' }> => isViewChange(m) && m.rowCount === 8, from);
    const latest = h.posted.filter(isViewChange).at(-1)!;
    assert.deepEqual((await h.rows(0, 100, latest.viewId)).rows.map((r) => r.row).sort((a, b) => a - b), [10, 11, 12, 40, 41, 100, 101, 102]);
    await h.ok('setView', { view: {} });
  });

  test('the "matches only" filter uses the last finished search', async () => {
    assert.match(await h.error('setView', { view: { searchMatches: true } }), /search first/);
    await h.ok('search', { searchId: 1, query: { pattern: 'jury', regex: false, caseSensitive: false } });
    for (;;) {
      if (h.posted.some((m) => m.type === 'searchProgress' && m.searchId === 1 && m.done)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const want = fixture.rows.flatMap((r, i) => (r.text.toLowerCase().includes('jury') ? [i] : []));
    const { viewId, rowCount } = await h.ok<{ viewId: number; rowCount: number }>('setView', { view: { searchMatches: true } });
    assert.equal(rowCount, want.length);
    assert.deepEqual((await h.rows(0, 1000, viewId)).rows.map((r) => r.row), want);
    await h.ok('setView', { view: {} });
  });

  test('latest wins: a view replaced while it computes is answered "replaced", the newer one is shown', async () => {
    const older = h.request('setView', { view: { sort: { key: 'chars', descending: true } } });
    const newer = h.request('setView', { view: { sort: { key: 'chars', descending: false } } });
    const [a, b] = await Promise.all([older, newer]);
    assert.equal(a.ok, false);
    assert.match((a as { error: string }).error, /a newer request replaced this one/);
    assert.ok(b.ok);
    const { viewId, rowCount } = b.result as { viewId: number; rowCount: number };
    assert.equal(rowCount, ROWS);
    const order = [...Array(ROWS).keys()].sort((x, y) => fixture.rows[x].text.length - fixture.rows[y].text.length || x - y);
    assert.deepEqual((await h.rows(0, 10, viewId)).rows.map((r) => r.row), order.slice(0, 10), 'the newer (ascending) view is the current one');
    await h.ok('setView', { view: {} });
  });

  test('malformed views are refused with the reason', async () => {
    assert.match(await h.error('setView', { view: { sort: { key: 'text', descending: true } } }), /sort must be/);
    assert.match(await h.error('setView', { view: { askllmRange: { min: 0.9, max: 0.1 } } }), /min <= max/);
    assert.match(await h.error('setView', { view: { densityRange: { min: 0, max: Infinity } } }), /finite numbers/);
    assert.match(await h.error('setView', { view: { decision: 'maybe' } }), /decision must be one of/);
    assert.match(await h.error('setView', { view: { where: '1=1' } }), /unknown view field "where"/);
    assert.match(await h.error('setView', { view: null }), /view must be an object/);
  });
});

describe('selection and overrides', () => {
  test('a selection in a sorted view is kept as the rows at those positions', async () => {
    const { viewId } = await h.ok<{ viewId: number }>('setView', { view: { sort: { key: 'chars', descending: false } } });
    const order = [...Array(ROWS).keys()].sort((a, b) => fixture.rows[a].text.length - fixture.rows[b].text.length || a - b);
    await h.router.handle({ type: 'selection', selection: { viewId, ranges: [[5, 8], [0, 2], [1, 3]] }, focusedRow: order[0] });
    const selected = h.router.selection();
    assert.deepEqual([...selected!.rows], [...order.slice(0, 3), ...order.slice(5, 8)], 'overlapping ranges merge');
    assert.equal(selected!.focusedRow, order[0]);
    await h.ok('setView', { view: {} });
  });

  test('selections outside the view or with bad ranges are rejected and clear the selection', async () => {
    for (const selection of [{ viewId: 0, ranges: [[0, ROWS + 1]] }, { viewId: 0, ranges: [[3, 3]] }, { viewId: 0, ranges: [[-1, 2]] }, { viewId: 999, ranges: [[0, 1]] }, { ranges: [[0, 1]] }]) {
      await h.router.handle({ type: 'selection', selection: { viewId: 0, ranges: [[0, 1]] }, focusedRow: null });
      assert.ok(h.router.selection());
      await h.router.handle({ type: 'selection', selection, focusedRow: null });
      assert.equal(h.router.selection(), undefined, JSON.stringify(selection));
    }
    await h.router.handle({ type: 'selection', selection: { viewId: 0, ranges: [[0, 1]] }, focusedRow: ROWS });
    assert.equal(h.router.selection(), undefined, 'focusedRow beyond the shard');
    assert.ok(h.logged.some((l) => l.startsWith('error Rejected a webview message') && l.includes('outside the view')));
  });

  test('setOverride drops and keeps the selected rows, clears them, and the decision shows it', async () => {
    const drop = await h.ok<{ changed: number }>('setOverride', { selection: { viewId: 0, ranges: [[20, 25]] }, decision: 'drop' });
    assert.equal(drop.changed, 5);
    assert.equal((await h.ok<{ changed: number }>('setOverride', { selection: { viewId: 0, ranges: [[20, 25]] }, decision: 'drop' })).changed, 0);
    await h.ok('setOverride', { selection: { viewId: 0, ranges: [[30, 31]] }, decision: 'keep' });
    const { rows } = await h.rows(19, 12);
    assert.equal(rows[0].annotations!.override, null);
    assert.deepEqual(rows.slice(1, 6).map((r) => [r.annotations!.override, r.annotations!.decision, r.annotations!.decisionSource]), Array(5).fill(['drop', 'drop', 'override']));
    assert.deepEqual([rows[11].annotations!.override, rows[11].annotations!.decision], ['keep', 'keep']);
    await h.waitFor((m): m is Extract<ToWebviewMessage, { type: 'summary' }> => isSummary(m) && m.summary.overrides.drop === 5 && m.summary.overrides.keep === 1);
    const { viewId, rowCount } = await h.ok<{ viewId: number; rowCount: number }>('setView', { view: { decision: 'override' } });
    assert.equal(rowCount, 6);
    assert.deepEqual((await h.rows(0, 10, viewId)).rows.map((r) => r.row), [20, 21, 22, 23, 24, 30]);
    assert.equal((await h.ok<{ changed: number }>('setOverride', { selection: { viewId, ranges: [[0, 6]] }, decision: null })).changed, 6);
    assert.match(await h.error('setOverride', { selection: { viewId: 0, ranges: [[0, 1]] }, decision: 'delete' }), /decision must be/);
    await h.ok('setView', { view: {} });
  });
});

describe('samplers, comparison, fingerprints', () => {
  test('setSampler shows the decisions; bad specs and seeds are refused', async () => {
    const { summary } = await h.ok<{ summary: CurationSummary }>('setSampler', { spec: 'random:0.5', seed: 7 });
    assert.deepEqual([summary.sampler?.spec, summary.sampler?.seed], ['random:0.5', 7]);
    assert.equal(summary.stats.kept, ROWS / 2);
    const { rows } = await h.rows(0, ROWS > 1000 ? 1000 : ROWS);
    assert.equal(rows.filter((r) => r.annotations!.decision === 'keep').length, ROWS / 2);
    assert.match(await h.error('setSampler', { spec: 'random:2.5', seed: 1 }), /fraction must be in \(0, 1\]/);
    assert.match(await h.error('setSampler', { spec: 'x'.repeat(1001), seed: 1 }), /at most 1000 characters/);
    assert.match(await h.error('setSampler', { spec: 'random:0.5', seed: 1.5 }), /seed must be an integer/);
    assert.match(await h.error('setSampler', { spec: 'random:0.5' }), /seed must be an integer/);
    // Sampler needing scores most rows lack: said in the summary, rows stay undecided.
    const needy = await h.ok<{ summary: CurationSummary }>('setSampler', { spec: 'density-ips:0.5', seed: 0 });
    assert.ok(needy.summary.samplerError);
    const cleared = await h.ok<{ summary: CurationSummary }>('setSampler', { spec: null, seed: 0 });
    assert.equal(cleared.summary.sampler, null);
  });

  test('compare counts both samplers and enables the compare filter', async () => {
    const result = await h.ok<{ a: number; b: number; both: number; onlyA: number; onlyB: number }>('compare', { a: 'random:0.5', b: 'random:100', seed: 3 });
    assert.deepEqual([result.a, result.b], [ROWS / 2, 100]);
    assert.equal(result.both + result.onlyA, result.a);
    const { rowCount } = await h.ok<{ rowCount: number }>('setView', { view: { compare: 'onlyB' } });
    assert.equal(rowCount, result.onlyB);
    assert.match(await h.error('compare', { a: 'random:0.5', b: 42, seed: 3 }), /b must be a sampler spec/);
    await h.ok('setView', { view: {} });
  });

  test('setFingerprint accepts only known keys', async () => {
    const summary = h.lastSummary();
    const key = summary.askllm.available[0].key;
    const shown = await h.ok<{ summary: CurationSummary }>('setFingerprint', { key });
    assert.equal(shown.summary.askllm.shown?.key, key);
    assert.match(await h.error('setFingerprint', { key: `${'0'.repeat(64)}:nope` }), /no Ask-LLM scores with the fingerprint/);
    assert.match(await h.error('setFingerprint', { key: 5 }), /key must be a fingerprint key/);
  });

  test('samplerKinds lists every step kind', async () => {
    const { kinds } = await h.ok<{ kinds: Array<{ kind: string }> }>('samplerKinds', {});
    assert.deepEqual(kinds.map((k) => k.kind), STEP_KINDS.map((k) => k.kind));
  });
});

test('nearestRows finds similar rows (never the row itself) and bounds k and row', async () => {
  const { rows } = await h.ok<{ rows: Array<{ row: number; similarity: number; preview: string }> }>('nearestRows', { row: 3, k: 5 });
  assert.equal(rows.length, 5);
  assert.ok(!rows.some((r) => r.row === 3));
  const sims = rows.map((r) => r.similarity);
  assert.deepEqual(sims, [...sims].sort((a, b) => b - a));
  assert.equal(rows[0].preview, fixture.rows[rows[0].row].text.replace(/\s+/g, ' ').trim().slice(0, 200));
  assert.match(await h.error('nearestRows', { row: 3, k: 0 }), /k must be an integer >= 1/);
  assert.match(await h.error('nearestRows', { row: 3, k: 101 }), /k must be from 1 to 100/);
  assert.match(await h.error('nearestRows', { row: ROWS, k: 5 }), /outside the shard/);
});

test('runCommand runs known toolbar commands only', async () => {
  await h.router.handle({ type: 'runCommand', command: 'scoreAll' });
  await h.router.handle({ type: 'runCommand', command: 'export' });
  await h.router.handle({ type: 'runCommand', command: 'workbench.action.terminal.new' });
  await h.router.handle({ type: 'runCommand', command: 7 });
  assert.deepEqual(h.commands, ['scoreAll', 'export']);
  assert.ok(h.logged.some((l) => l.includes('unknown command')));
});

test('a run in another process on the same store (the CLI) shows up in the open editor', async () => {
  // A second editor on the shard, opened now that its store folder exists (the first one's writes made it).
  const watching = new ShardSession(fixture.path, { changeIntervalMs: 20 }, { info() {}, error() {} });
  const w = new Harness(watching);
  const shard = await openShard(fixture.path);
  try {
    await watching.annotations();
    const from = w.posted.length;
    const cli = await ShardAnnotations.open(shard, {});
    cli.setOverrides([250, 251], 'drop');
    await cli.close();
    const summary = await w.waitFor((m): m is Extract<ToWebviewMessage, { type: 'summary' }> => isSummary(m) && m.summary.overrides.drop === 2, from);
    const change = w.posted.slice(from, w.posted.indexOf(summary)).filter(isChange).at(-1);
    assert.ok(change && (change.rows === undefined || change.rows.includes(250)), 'the rows are announced before the summary');
    const { rows } = await w.rows(249, 3);
    assert.deepEqual(rows.map((r) => r.annotations!.override), [null, 'drop', 'drop']);
  } finally {
    w.router.dispose();
    await watching.dispose();
    await shard.close();
  }
});

test('cancelling a run keeps the scores that arrived; they are in the grid', async () => {
  fake.latencyMs = 30;
  const abort = new AbortController();
  const before = h.lastSummary().askllm.shown?.scored ?? 0;
  const run = score('all', abort.signal);
  while (((await session.requireAnnotations().summary()).askllm.shown?.scored ?? 0) < before + 8) await new Promise((r) => setTimeout(r, 10));
  abort.abort();
  const result = await run;
  fake.latencyMs = 0;
  assert.equal(result.cancelled, true);
  assert.ok(result.scored >= 8 && result.scored < ROWS - before);
  await h.waitFor((m): m is Extract<ToWebviewMessage, { type: 'summary' }> => isSummary(m) && m.summary.askllm.shown?.scored === before + result.scored);
  const { rows } = await h.rows(0, ROWS);
  assert.equal(rows.filter((r) => r.annotations!.askllm !== null).length, before + result.scored);
});
