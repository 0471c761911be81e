/** The curation model (ShardAnnotations) on real-text shards with the fake Ollama server. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { textHash } from '../../../extension/core/store/text-hash';
import { DEFAULT_PROMPT_TEMPLATE } from '../../../extension/core/askllm/prompt';
import { UserError } from '../../../extension/core/errors';
import { startFakeOllama, type FakeOllama } from '../../fakes/ollama-server';
import { openModel, records, rowsWhere, tempDir, writeJsonl } from './helpers';

const ROWS = 60;
const MODEL = 'qwen2.5:0.5b';
let dir: string;
let cleanup: () => void;
let fake: FakeOllama;
let caseNo = 0;

/** A fresh shard of real text in its own folder. */
function newShard(rows = ROWS, seed = 3): { path: string; texts: string[] } {
  const folder = join(dir, `case-${++caseNo}`);
  mkdirSync(folder, { recursive: true });
  const data = records(rows, seed);
  const fixture = writeJsonl(join(folder, 'web.jsonl'), data);
  return { path: fixture.path, texts: data.map((r) => r.text) };
}

before(async () => {
  ({ dir, cleanup } = tempDir('curation'));
  fake = await startFakeOllama();
});
after(async () => {
  await fake.stop();
  cleanup();
});

const chatRequests = () => fake.requests.filter((r) => r.path === '/api/chat');

test('open hashes every row and measures its length in one pass', async () => {
  const { path, texts } = newShard();
  const progress: number[] = [];
  const { model, close } = await openModel(path, { onProgress: (p) => progress.push(p.done) });
  try {
    assert.equal(model.rowCount, ROWS);
    assert.deepEqual([...model.textLengths()], texts.map((t) => t.length));
    const hashes = model.textHashes;
    assert.equal(hashes[7].toString(16).padStart(16, '0'), textHash(texts[7]));
    assert.equal(progress.at(-1), ROWS);
    assert.equal((await model.summary()).rowCount, ROWS);
    assert.equal(model.shownFingerprint(), null);
    assert.ok(model.askllmScores().every(Number.isNaN));
  } finally {
    await close();
  }
});

describe('Ask-LLM scoring', () => {
  test('an interrupted run resumes with requests for the missing rows only', async () => {
    const { path } = newShard();
    const first = await openModel(path);
    const stop = new AbortController();
    fake.latencyMs = 5;
    const before = chatRequests().length;
    let firstResult;
    try {
      firstResult = await first.model.scoreAskllm('all', {
        hosts: [fake.url], model: MODEL, concurrency: 2, signal: stop.signal,
        onProgress: (p) => { if (p.done >= 20) stop.abort(); },
      });
    } finally {
      fake.latencyMs = 0;
      await first.close();
    }
    assert.equal(firstResult.cancelled, true);
    assert.ok(firstResult.scored >= 20 && firstResult.scored < ROWS, `scored ${firstResult.scored}`);

    const second = await openModel(path);
    try {
      const scoredBefore = second.model.askllmScores().filter((v) => !Number.isNaN(v)).length;
      assert.equal(scoredBefore, firstResult.scored, 'every result of the interrupted run is in the store');
      const sentBefore = chatRequests().length;
      const resumed = await second.model.scoreAskllm('all', { hosts: [fake.url], model: MODEL });
      assert.equal(resumed.cached, scoredBefore);
      assert.equal(resumed.scored, ROWS - scoredBefore);
      const sent = chatRequests().slice(sentBefore);
      assert.equal(sent.length, ROWS - scoredBefore, 'one request per missing row, none for scored rows');
      assert.ok(sentBefore - before >= scoredBefore);
      assert.ok(second.model.askllmScores().every((v) => v > 0 && v < 1));
      const shown = second.model.shownFingerprint()!;
      assert.equal(shown.model, MODEL);
      assert.equal(shown.scored, ROWS);
      assert.match(shown.modelDigest ?? '', /^[0-9a-f]{64}$|^sha256:/);
    } finally {
      await second.close();
    }
  });

  test('a score is hidden once its row text changes, and only that row is scored again', async () => {
    const { path, texts } = newShard(30);
    let opened = await openModel(path);
    await opened.model.scoreAskllm('all', { hosts: [fake.url], model: MODEL });
    const old = opened.model.askllmScores().slice();
    await opened.close();

    const rows = records(30, 3);
    rows[4] = { ...rows[4], text: `${texts[4]} An added closing sentence changes the text.` };
    writeJsonl(path, rows);
    opened = await openModel(path);
    try {
      const scores = opened.model.askllmScores();
      assert.ok(Number.isNaN(scores[4]), 'the stale score of row 4 is not shown');
      assert.equal((await opened.model.rowAnnotations(4)).askllm, null);
      for (const row of [0, 3, 5, 29]) assert.equal(scores[row], old[row]);
      assert.equal(opened.model.shownFingerprint()!.scored, 29);
      const sent = chatRequests().length;
      const again = await opened.model.scoreAskllm('all', { hosts: [fake.url], model: MODEL });
      assert.deepEqual({ scored: again.scored, cached: again.cached }, { scored: 1, cached: 29 });
      assert.equal(chatRequests().length - sent, 1);
      assert.ok(String(chatRequests().at(-1)!.body.messages[0].content).includes('An added closing sentence'));
      assert.ok(!Number.isNaN(opened.model.askllmScores()[4]));
    } finally {
      await opened.close();
    }
  });

  test('two prompts coexist; the shown one switches and scoring a row list sends only those rows', async () => {
    const { path } = newShard(20);
    const { model, close } = await openModel(path);
    try {
      await model.scoreAskllm('all', { hosts: [fake.url], model: MODEL });
      const firstKey = model.shownFingerprint()!.key;
      const firstScores = model.askllmScores().slice();
      const template = `${DEFAULT_PROMPT_TEMPLATE}\n\nAnswer with one word.`;
      const sent = chatRequests().length;
      const partial = await model.scoreAskllm([3, 1, 3, 7], { hosts: [fake.url], model: MODEL, promptTemplate: template });
      assert.deepEqual({ scored: partial.scored, cached: partial.cached }, { scored: 3, cached: 0 });
      assert.equal(chatRequests().length - sent, 3);
      const fingerprints = model.fingerprints();
      assert.equal(fingerprints.length, 2);
      const second = model.shownFingerprint()!;
      assert.notEqual(second.key, firstKey);
      assert.equal(second.scored, 3);
      assert.deepEqual(rowsWhere(20, (row) => !Number.isNaN(model.askllmScores()[row])), [1, 3, 7]);
      assert.notEqual(model.askllmScores()[1], firstScores[1], 'another prompt is another measurement');

      model.setFingerprint(firstKey);
      assert.deepEqual([...model.askllmScores()], [...firstScores]);
      assert.equal((await model.summary()).askllm.shown!.key, firstKey);
      assert.throws(() => model.setFingerprint('nonsense'), UserError);
      await assert.rejects(model.scoreAskllm([25], { hosts: [fake.url], model: MODEL }), /row 25 is not in the shard/);
    } finally {
      await close();
    }
  });

  test('preflight failures stop before anything is written', async () => {
    const { path } = newShard(5);
    const { model, close } = await openModel(path);
    try {
      await assert.rejects(model.scoreAskllm('all', { hosts: [fake.url], model: 'llama9:70b' }), /not installed.*ollama pull llama9:70b/);
      await assert.rejects(model.scoreAskllm('all', { hosts: [fake.url], model: 'nomic-embed-text' }), /embedding model/);
      assert.equal(model.store.askllmRuns().length, 0);
    } finally {
      await close();
    }
  });
});

describe('overrides, sampler and decisions', () => {
  test('overrides survive reopening; decisions are the sampler verdict with overrides on top', async () => {
    const { path } = newShard();
    let opened = await openModel(path);
    assert.equal(opened.model.setOverrides([2, 3, 4], 'drop'), 3);
    assert.equal(opened.model.setOverrides([3, 4, 5], 'drop'), 1, 'rows already dropped do not count as changed');
    assert.equal(opened.model.setOverrides([10, 11], 'keep'), 2);
    assert.throws(() => opened.model.setOverrides([ROWS], 'keep'), UserError);
    await opened.close();

    opened = await openModel(path);
    const { model } = opened;
    try {
      const overrides = model.overrides();
      assert.deepEqual(rowsWhere(ROWS, (r) => overrides[r] === -1), [2, 3, 4, 5]);
      assert.deepEqual(rowsWhere(ROWS, (r) => overrides[r] === 1), [10, 11]);
      assert.equal((await model.decisions()).undecided, ROWS - 6, 'without a sampler only overridden rows are decided');
      assert.equal((await model.rowAnnotations(2)).decision, 'drop');
      assert.equal((await model.rowAnnotations(20)).decision, 'undecided');

      model.setSampler('random:0.5', 7);
      const decisions = await model.decisions();
      assert.equal(decisions.undecided, 0);
      assert.equal(decisions.decision[2], 0);
      assert.equal(decisions.decision[10], 1);
      const summary = await model.summary();
      assert.deepEqual(summary.overrides, { keep: 2, drop: 4 });
      assert.equal(summary.sampler!.spec, 'random:0.5');
      assert.deepEqual(summary.sampler!.steps, [{ step: 'random:0.5', entering: ROWS, kept: ROWS / 2 }]);
      assert.equal(summary.stats.kept + summary.stats.dropped, ROWS);
      assert.ok(summary.stats.chars!.kept > 0);
      assert.doesNotThrow(() => JSON.stringify(summary));
      const view = await model.rowAnnotations(10);
      assert.deepEqual([view.override, view.decision, view.decisionSource], ['keep', 'keep', 'override']);

      assert.equal(model.setOverrides([2], null), 1);
      assert.equal((await model.rowAnnotations(2)).override, null);
      assert.equal((await model.rowAnnotations(2)).decisionSource, 'sampler');
      assert.throws(() => model.setSampler('random:2.5', 1), UserError);
      assert.throws(() => model.setSampler('random:0.5', -1), UserError);
    } finally {
      await opened.close();
    }
  });

  test('a sampler that needs missing scores reports why and leaves rows undecided', async () => {
    const { path } = newShard(10);
    const { model, close } = await openModel(path);
    try {
      model.setSampler('askllm-top:0.5', 0);
      const summary = await model.summary();
      assert.match(summary.samplerError ?? '', /needs an Ask-LLM score.*10 of 10 rows have none/);
      assert.equal((await model.decisions()).undecided, 10);
      await assert.rejects(model.exportCurated({ out: join(dir, 'never.jsonl') }), /needs an Ask-LLM score/);
    } finally {
      await close();
    }
  });
});

describe('views and compare', () => {
  test('sorts and filters over the whole shard', async () => {
    const { path, texts } = newShard(40);
    const { model, close } = await openModel(path);
    try {
      await model.scoreAskllm(rowsWhere(40, (r) => r % 4 !== 0), { hosts: [fake.url], model: MODEL });
      const scores = model.askllmScores();
      assert.equal(await model.computeView({}), null);
      assert.equal(await model.computeView({ sort: { key: 'row', descending: false } }), null);
      assert.deepEqual([...(await model.computeView({ sort: { key: 'row', descending: true } }))!], rowsWhere(40, () => true).reverse());

      const byScore = [...(await model.computeView({ sort: { key: 'askllm', descending: true } }))!];
      assert.equal(byScore.length, 40);
      const valued = byScore.slice(0, 30);
      for (let i = 1; i < valued.length; i++) assert.ok(scores[valued[i - 1]] >= scores[valued[i]]);
      assert.deepEqual(byScore.slice(30), [0, 4, 8, 12, 16, 20, 24, 28, 32, 36], 'rows without a score come last, in row order');
      const ascending = [...(await model.computeView({ sort: { key: 'askllm', descending: false } }))!];
      assert.deepEqual(ascending.slice(0, 30), [...valued].reverse().sort((a, b) => scores[a] - scores[b] || a - b));

      const byLength = [...(await model.computeView({ sort: { key: 'chars', descending: false } }))!];
      assert.deepEqual(byLength, rowsWhere(40, () => true).sort((a, b) => texts[a].length - texts[b].length || a - b));

      const band = [...(await model.computeView({ askllmRange: { min: 0.3, max: 0.7 } }))!];
      assert.deepEqual(band, rowsWhere(40, (r) => scores[r] >= 0.3 && scores[r] <= 0.7));
      assert.ok(band.length > 0 && band.length < 30);

      model.setOverrides([1, 2], 'drop');
      assert.deepEqual([...(await model.computeView({ decision: 'override' }))!], [1, 2]);
      assert.deepEqual([...(await model.computeView({ searchMatches: true }, { searchMatches: Uint32Array.from([5, 9, 39]) }))!], [5, 9, 39]);
      assert.deepEqual([...(await model.computeView({ searchMatches: true, decision: 'override' }, { searchMatches: Uint32Array.from([2, 9]) }))!], [2]);
      await assert.rejects(model.computeView({ compare: 'onlyA' }), UserError);
    } finally {
      await close();
    }
  });

  test('compare counts the samplers\' own verdicts and feeds the compare filter', async () => {
    const { path } = newShard(50);
    const { model, close } = await openModel(path);
    try {
      model.setOverrides([0, 1, 2, 3, 4, 5], 'drop');
      const result = await model.compare('random:0.5', 'random:20', 3);
      assert.equal(result.a, 25);
      assert.equal(result.b, 20);
      assert.equal(result.both + result.onlyA, 25, 'overrides are left out');
      assert.equal(result.jaccard, result.both / (result.both + result.onlyA + result.onlyB));
      const onlyA = (await model.computeView({ compare: 'onlyA' }))!;
      const both = (await model.computeView({ compare: 'both' }))!;
      assert.equal(onlyA.length, result.onlyA);
      assert.equal(both.length, result.both);
      const same = await model.compare('random:0.5', 'random:0.5', 3);
      assert.equal(same.jaccard, 1);
      await assert.rejects(model.compare('density-ips:0.5', 'random:0.5', 1), /sampler A.*needs a density/);
    } finally {
      await close();
    }
  });
});

describe('density', () => {
  test('builtin density over the shard and over a row range; the IPS sampler then runs', async () => {
    const { path } = newShard(80);
    const { model, close } = await openModel(path);
    try {
      const events: number[] = [];
      model.onDidChange(() => events.push(1));
      const result = await model.computeDensity({ embedder: 'builtin' });
      assert.equal(result.rows, 80);
      assert.match(result.embedderId, /^builtin/);
      assert.ok(events.length > 0);
      const { density, ipsWeight } = model.densityScores();
      assert.ok(density.every((d) => d >= 1));
      assert.ok(ipsWeight.every((w) => w > 0));
      model.setSampler('density-ips:0.5', 1);
      assert.equal((await model.summary()).samplerError, null);
      assert.equal((await model.decisions()).kept, 40);
      assert.equal((await model.summary()).density.rows, 80);
      assert.equal((await model.summary()).density.method, 'sketch');

      const ranged = await model.computeDensity({ embedder: 'builtin', rows: { start: 10, end: 30 }, method: 'exact' });
      assert.equal(ranged.rows, 20);
      const after = model.densityScores().density;
      assert.deepEqual(rowsWhere(80, (r) => !Number.isNaN(after[r])), rowsWhere(80, (r) => r >= 10 && r < 30));
      assert.match((await model.summary()).samplerError ?? '', /needs a density.*60 of 80/);
      await assert.rejects(model.computeDensity({ embedder: 'builtin', rows: { start: 70, end: 90 } }), UserError);
      await assert.rejects(model.computeDensity({ embedder: 'word2vec' as never }), /unknown embedder/);

      const near = await model.nearestRows(12, 3);
      assert.equal(near.length, 3);
      assert.ok(near.every((n) => n.row !== 12 && n.preview.length > 0));
      assert.ok(near[0].similarity >= near[1].similarity);
    } finally {
      await close();
    }
  });

  test('the Ollama embedder: batches, truncation, retries, cancel and the embedding cache', async () => {
    const rows = records(40, 5);
    rows[6] = { ...rows[6], text: rows.slice(0, 40).map((r) => r.text).join(' ').repeat(3) }; // beyond the 2048-token context
    const folder = join(dir, `case-${++caseNo}`);
    mkdirSync(folder, { recursive: true });
    const path = writeJsonl(join(folder, 'web.jsonl'), rows).path;
    const { model, close } = await openModel(path);
    const embeds = () => fake.requests.filter((r) => r.path === '/api/embed');
    try {
      // Cancel: nothing is written.
      fake.latencyMs = 20;
      const stop = new AbortController();
      const cancelled = model.computeDensity({ embedder: 'ollama:nomic-embed-text', hosts: [fake.url], batchSize: 4, signal: stop.signal, onProgress: () => stop.abort() });
      setTimeout(() => stop.abort(), 200);
      await assert.rejects(cancelled, (err: Error) => err.name === 'CancelledError');
      fake.latencyMs = 0;
      assert.equal(model.store.densityRuns().length, 0);

      fake.failNext(2, { status: 503, error: 'server busy, please try again.  maximum pending requests exceeded' }, ['/api/embed']);
      const sent = embeds().length;
      const result = await model.computeDensity({ embedder: 'ollama:nomic-embed-text', hosts: [fake.url], batchSize: 4 });
      const requests = embeds().slice(sent);
      assert.equal(result.rows, 40);
      assert.match(result.embedderId, /^ollama-nomic-embed-text-[0-9a-f]{12}-d768$/);
      const answered = requests.filter((r) => r.status === 200);
      assert.equal(requests.filter((r) => r.status === 503).length, 2, 'busy answers were retried');
      assert.ok(answered.every((r) => r.body.input.length <= 4 && r.body.truncate === true));
      assert.ok(answered.some((r) => (r.body.input as string[]).some((t) => t.length > 20000)), 'the long text is sent whole, cut by the server');
      assert.ok(model.densityScores().density.every((d) => d >= 1));
      const again = await model.computeDensity({ embedder: 'ollama:nomic-embed-text', hosts: [fake.url], batchSize: 4 });
      assert.equal(again.embedded, 0, 'every vector came from the cache');
      assert.equal(embeds().length - sent, requests.length, 'no embed requests for cached texts');
      assert.equal((await model.summary()).density.embedder, result.embedderId);

      const near = await model.nearestRows(0, 2);
      assert.equal(near.length, 2);
      await assert.rejects(model.computeDensity({ embedder: 'ollama:qwen2.5:0.5b', hosts: [fake.url] }), /not an embedding model/);
    } finally {
      fake.latencyMs = 0;
      await close();
    }
  });
});

test('export round trip through the model: kept rows, dropped rows and the recipe', async () => {
  const { path, texts } = newShard(50);
  const { model, close } = await openModel(path);
  try {
    await assert.rejects(model.exportCurated({ out: join(dir, 'x.jsonl') }), /choose a sampler/);
    await model.scoreAskllm('all', { hosts: [fake.url], model: MODEL });
    model.setSampler('askllm-top:0.6', 0);
    model.setOverrides([0], 'keep');
    model.setOverrides([1], 'drop');
    const out = join(dir, `case-${caseNo}`, 'curated.jsonl');
    const dropped = join(dir, `case-${caseNo}`, 'dropped.jsonl');
    const result = await model.exportCurated({ out, droppedPath: dropped, withAnnotations: true });
    const decisions = await model.decisions();
    assert.deepEqual({ input: result.input, kept: result.kept, dropped: result.dropped }, { input: 50, kept: decisions.kept, dropped: decisions.dropped });
    const kept = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(kept.map((r) => r.text), rowsWhere(50, (r) => decisions.decision[r] === 1).map((r) => texts[r]));
    assert.equal(kept[0].text, texts[0]);
    assert.ok(kept.every((r) => typeof r.askllm_p_yes === 'number'));
    const droppedRows = readFileSync(dropped, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.ok(droppedRows.some((r) => r.text === texts[1]));
    const recipe = JSON.parse(readFileSync(result.recipe, 'utf8'));
    assert.equal(recipe.sampler.spec, 'askllm-top:0.6');
    assert.equal(recipe.askllm.model, MODEL);
    assert.equal(recipe.askllm.promptTemplate, DEFAULT_PROMPT_TEMPLATE);
    assert.deepEqual(recipe.overrides, { keep: 1, drop: 1, changingVerdict: recipe.overrides.changingVerdict });
    await assert.rejects(model.exportCurated({ out }), /exists|--force|already/i);

    const annotations = join(dir, `case-${caseNo}`, 'annotations.arrow');
    const written = await model.exportAnnotations(annotations);
    assert.equal(written.rows, 50);
  } finally {
    await close();
  }
});
