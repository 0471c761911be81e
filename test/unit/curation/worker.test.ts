/**
 * The curation model's whole-shard computations off the main thread: on a real-text shard with
 * Ask-LLM scores (fake Ollama), density and overrides, the worker's views, decisions, stats and
 * comparisons equal the synchronous functions' and the inline model's; a newer sampler, compare or
 * view replaces one still computing; and the main thread keeps running during a 5M-row sort.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledError, UserError } from '../../../extension/core/errors';
import { compareSamplers, decide, decisionStats, parseSamplerSpec, runSampler } from '../../../extension/core/curate';
import { runCurationJob, toShared } from '../../../extension/core/curation/compute';
import { computeViewRows } from '../../../extension/core/curation/view';
import type { ShardAnnotations } from '../../../extension/core/curation';
import type { ViewSpec } from '../../../extension/protocol';
import { seededRandom } from '../../fixtures/corpus';
import { measureStalls } from '../../fixtures/stalls';
import { startFakeOllama, type FakeOllama } from '../../fakes/ollama-server';
import { openModel, records, rowsWhere, tempDir, writeJsonl, type Opened } from './helpers';

const ROWS = 200;
const MODEL = 'qwen2.5:0.5b';
const SPEC = 'askllm-min:0.2,density-ips:0.5';
let dir: string;
let cleanup: () => void;
let fake: FakeOllama;
let path: string;
/** The same shard and store, computing inline and in the worker. */
let inline: Opened;
let worker: Opened;

before(async () => {
  ({ dir, cleanup } = tempDir('curation-worker'));
  fake = await startFakeOllama();
  path = writeJsonl(join(dir, 'web.jsonl'), records(ROWS, 9)).path;
  const writer = await openModel(path);
  try {
    await writer.model.scoreAskllm('all', { hosts: [fake.url], model: MODEL, concurrency: 4 });
    await writer.model.computeDensity({ embedder: 'builtin' });
    writer.model.setOverrides([3, 4, 5], 'drop');
    writer.model.setOverrides([7, 8], 'keep');
  } finally {
    await writer.close();
  }
  inline = await openModel(path);
  worker = await openModel(path, { workerMinRows: 0 });
});
after(async () => {
  await inline?.close();
  await worker?.close();
  await fake.stop();
  cleanup();
});

/** What the synchronous functions decide over the model's own arrays. */
function expectedDecisions(model: ShardAnnotations, spec: string, seed: number) {
  const askllm = model.askllmScores();
  const { density } = model.densityScores();
  const verdict = runSampler(parseSamplerSpec(spec), { rowCount: model.rowCount, askllm, density }, seed);
  const decisions = decide(model.rowCount, verdict.keep, model.overrides());
  const stats = decisionStats(decisions.decision, { askllm, density, chars: model.textLengths() });
  return { verdict, decisions, stats };
}

describe('the worker computes what the synchronous functions compute', () => {
  test('the model\'s arrays live on SharedArrayBuffers, so jobs share them instead of copying', () => {
    assert.ok(worker.model.askllmScores().buffer instanceof SharedArrayBuffer);
    assert.ok(worker.model.densityScores().density.buffer instanceof SharedArrayBuffer);
    assert.ok(worker.model.textLengths().buffer instanceof SharedArrayBuffer);
    assert.ok(!(inline.model.askllmScores().buffer instanceof SharedArrayBuffer), 'a small shard computes inline, without copies');
    assert.deepEqual([...worker.model.askllmScores()], [...inline.model.askllmScores()]);
    assert.ok(worker.model.askllmScores().every((p) => p >= 0 && p <= 1), 'every row is scored');
  });

  test('summary and decisions of a sampler with overrides on top', async () => {
    for (const { model } of [inline, worker]) model.setSampler(SPEC, 3);
    const expected = expectedDecisions(worker.model, SPEC, 3);
    const summary = await worker.model.summary();
    assert.equal(summary.samplerError, null);
    assert.deepEqual(summary.stats, expected.stats);
    assert.deepEqual(summary.sampler!.steps, expected.verdict.steps.map(({ step, entering, kept }) => ({ step, entering, kept })));
    assert.deepEqual(summary.overrides, { keep: 2, drop: 3 });
    assert.equal(summary.density.rows, ROWS);
    const decisions = await worker.model.decisions();
    assert.deepEqual([...decisions.decision], [...expected.decisions.decision]);
    assert.deepEqual([...decisions.source], [...expected.decisions.source]);
    assert.ok(decisions.kept > 0 && decisions.dropped > 0);
    assert.deepEqual(summary, await inline.model.summary());
    assert.deepEqual(await worker.model.rowAnnotations(4), await inline.model.rowAnnotations(4));
  });

  test('a sampler missing scores reports why from the worker and leaves rows undecided', async () => {
    mkdirSync(join(dir, 'empty-store'));
    const other = await openModel(path, { workerMinRows: 0, storeDir: join(dir, 'empty-store') });
    try {
      other.model.setSampler(SPEC, 0);
      assert.match((await other.model.summary()).samplerError ?? '', /needs an Ask-LLM score.*200 of 200 rows have none/);
      assert.equal((await other.model.decisions()).undecided, ROWS);
    } finally {
      await other.close();
    }
  });

  test('views: sorts and filters equal computeViewRows over the same arrays', async () => {
    for (const { model } of [inline, worker]) model.setSampler(SPEC, 3);
    const { model } = worker;
    const { decisions } = expectedDecisions(model, SPEC, 3);
    const matches = Uint32Array.from(rowsWhere(ROWS, (r) => r % 7 === 2));
    const inputs = {
      rowCount: ROWS, askllm: model.askllmScores(), density: model.densityScores().density, lengths: model.textLengths(),
      decisions, searchMatches: matches,
    };
    const views: ViewSpec[] = [
      { sort: { key: 'askllm', descending: true } },
      { sort: { key: 'askllm', descending: false } },
      { sort: { key: 'density', descending: true } },
      { sort: { key: 'chars', descending: false } },
      { sort: { key: 'row', descending: true } },
      { askllmRange: { min: 0.2, max: 0.6 }, sort: { key: 'density', descending: false } },
      { densityRange: { min: 1, max: 3 } },
      { decision: 'keep', sort: { key: 'askllm', descending: true } },
      { decision: 'drop' },
      { decision: 'override' },
      { searchMatches: true, sort: { key: 'chars', descending: true } },
    ];
    for (const view of views) {
      const expected = computeViewRows(view, inputs)!;
      const got = await model.computeView(view, { searchMatches: matches });
      assert.ok(got, JSON.stringify(view));
      assert.deepEqual([...got], [...expected], JSON.stringify(view));
      assert.deepEqual([...(await inline.model.computeView(view, { searchMatches: matches }))!], [...expected], JSON.stringify(view));
    }
    assert.equal(await model.computeView({}), null);
  });

  test('compare equals compareSamplers over runSampler, and its verdicts feed the compare filter', async () => {
    const { model } = worker;
    const inputs = { rowCount: ROWS, askllm: model.askllmScores(), density: model.densityScores().density };
    const a = runSampler(parseSamplerSpec('askllm-top:0.5'), inputs, 1).keep;
    const b = runSampler(parseSamplerSpec('density-ips:0.5'), inputs, 1).keep;
    const expected = compareSamplers(a, b);
    const result = await model.compare('askllm-top:0.5', 'density-ips:0.5', 1);
    assert.deepEqual(result, { a: expected.a, b: expected.b, both: expected.both, onlyA: expected.onlyA, onlyB: expected.onlyB, jaccard: expected.jaccard });
    assert.deepEqual([...(await model.computeView({ compare: 'onlyA' }))!], [...expected.onlyARows]);
    assert.deepEqual([...(await model.computeView({ compare: 'onlyB' }))!], [...expected.onlyBRows]);
    await assert.rejects(model.compare('askllm-top:0.5', 'random:2.5', 1), UserError);
  });

  test('export with the dropped rows: the drop steps come from the worker', async () => {
    const { model } = worker;
    model.setSampler(SPEC, 3);
    const out = join(dir, 'curated.jsonl');
    const dropped = join(dir, 'dropped.jsonl');
    const result = await model.exportCurated({ out, droppedPath: dropped });
    const decisions = await model.decisions();
    assert.deepEqual([result.kept, result.dropped], [decisions.kept, decisions.dropped]);
    const droppedRows = readFileSync(dropped, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.equal(droppedRows.length, decisions.dropped);
    const reasons = new Set(droppedRows.map((row) => row._drop_reason));
    // Without the drop steps the reason would say only "sampler".
    assert.ok([...reasons].every((reason) => /^(sampler: (askllm-min:0\.2 \(step 1\)|density-ips:0\.5 \(step 2\))|manual override)$/.test(String(reason))), [...reasons].join(', '));
    assert.ok(reasons.has('sampler: density-ips:0.5 (step 2)'));
  });
});

describe('latest wins', () => {
  test('a sampler set while the previous one computes replaces it: every waiting caller gets the newest', async () => {
    const { model } = worker;
    model.setSampler('random:0.3', 1);
    const first = model.summary();
    model.setSampler('random:0.7', 1);
    const second = model.summary();
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a, b);
    assert.equal(a.sampler!.spec, 'random:0.7');
    const expected = expectedDecisions(model, 'random:0.7', 1);
    assert.equal(a.stats.kept, expected.decisions.kept);
    assert.deepEqual([...(await model.decisions()).decision], [...expected.decisions.decision]);
  });

  test('a compare started while another computes abandons the older one', async () => {
    const { model } = worker;
    const older = model.compare('random:0.2', 'random:0.4', 5);
    const newer = model.compare('random:0.5', 'random:0.6', 5);
    await assert.rejects(older, CancelledError);
    const result = await newer;
    assert.equal(result.a, ROWS / 2);
    assert.equal((await model.computeView({ compare: 'onlyB' }))!.length, result.onlyB);
  });

  test('a view whose caller aborted stops with CancelledError', async () => {
    const abort = new AbortController();
    const view = worker.model.computeView({ sort: { key: 'askllm', descending: true } }, { signal: abort.signal });
    abort.abort();
    await assert.rejects(view, CancelledError);
  });
});

test('the main thread keeps running while a 5M-row view sorts in the worker', async () => {
  const rows = 5_000_000;
  const random = seededRandom(21);
  const askllm = toShared(new Float64Array(rows));
  for (let row = 0; row < rows; row++) askllm[row] = random() < 0.1 ? NaN : Math.round(random() * 1e4) / 1e4;

  const { value: order, ms: duration, stallMs: maxGap } = await measureStalls(() =>
    runCurationJob('view', { view: { sort: { key: 'askllm', descending: true } }, inputs: { rowCount: rows, askllm } }, { inWorker: true }));
  assert.ok(maxGap < duration / 4, `the longest main-thread stall (${maxGap.toFixed(0)} ms) is far below the computation (${duration.toFixed(0)} ms)`);

  assert.ok(order);
  assert.equal(order.length, rows);
  // Scores descending, then the rows without one; the first misplaced position, -1 when none.
  let misplaced = -1;
  let previous = Infinity;
  let missingSeen = false;
  for (let i = 0; i < rows && misplaced < 0; i++) {
    const score = askllm[order[i]];
    if (Number.isNaN(score)) missingSeen = true;
    else if (missingSeen || score > previous) misplaced = i;
    else previous = score;
  }
  assert.equal(misplaced, -1);
});
