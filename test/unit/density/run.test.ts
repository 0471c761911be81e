import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { CancelledError, UserError } from '../../../extension/core/errors';
import { BuiltinEmbedder } from '../../../extension/core/embed/builtin';
import { computeDensity, findNearestRows } from '../../../extension/core/density/run';
import { exactDensity } from '../../../extension/core/density/exact';
import { nearestRows } from '../../../extension/core/density/nearest';
import { DEFAULT_RACE_PARAMS } from '../../../extension/core/density/race';
import { percentile, plantedCorpus, TMP, writeTextShard } from './helpers';

const { texts, planted } = plantedCorpus(2000, 50, 31);
const source = writeTextShard('planted.jsonl', texts);
test.after(() => rmSync(TMP, { recursive: true, force: true }));

test('computeDensity over a shard: planted near-duplicates stand out; two threads equal one', async () => {
  const progress: number[] = [];
  const two = await computeDensity(source, { onProgress: (p) => progress.push(p.done) });
  assert.equal(two.density.length, texts.length);
  assert.equal(two.rowStart, 0);
  assert.equal(two.rowEnd, texts.length);
  assert.equal(two.embedderId, new BuiltinEmbedder().id);
  assert.deepEqual(two.params, { method: 'sketch', ...DEFAULT_RACE_PARAMS, dim: 256 });
  assert.equal(two.embedded, texts.length);
  const others = Array.from(two.density).filter((_, i) => !planted.has(i));
  const lowestPlanted = Math.min(...[...planted].map((i) => two.density[i]));
  assert.ok(lowestPlanted > percentile(others, 0.9), `lowest planted ${lowestPlanted}`);
  assert.equal(progress.at(-1), texts.length);
  assert.ok(progress.every((d, i) => i === 0 || d > progress[i - 1]));
  assert.ok(Math.abs(two.ipsWeight.reduce((s, x) => s + x, 0) - 1) < 1e-9);
  const one = await computeDensity(source, { threads: 1 });
  assert.deepEqual(Buffer.from(one.density.buffer), Buffer.from(two.density.buffer));
  const otherSeed = await computeDensity(source, { seed: 7 });
  assert.notDeepEqual(Buffer.from(otherSeed.density.buffer), Buffer.from(two.density.buffer));
});

test('exact method through the pipeline equals exactDensity of the same embeddings', async () => {
  const result = await computeDensity(source, { method: 'exact', rows: { start: 100, end: 700 }, keepEmbeddings: true });
  assert.equal(result.rowStart, 100);
  assert.equal(result.rowEnd, 700);
  assert.equal(result.density.length, 600);
  const embedder = new BuiltinEmbedder();
  const vectors = new Float32Array(600 * 256);
  texts.slice(100, 700).forEach((t, i) => embedder.embedInto(t, vectors, i * 256));
  assert.deepEqual(result.embeddings, vectors);
  assert.deepEqual(result.density, exactDensity(vectors, 600, result.params));
  await assert.rejects(computeDensity(source, { method: 'exact', exactLimit: 100 }), (err: unknown) => err instanceof UserError && /limit 100/.test(err.message));
});

test('a row range past the end stops at the last row; kept embeddings answer nearest rows', async () => {
  const result = await computeDensity(source, { rows: { start: 1990, end: 999_999 }, keepEmbeddings: true });
  assert.equal(result.rowEnd, texts.length);
  assert.equal(result.embeddings!.length, (texts.length - 1990) * 256);
  const all = await computeDensity(source, { keepEmbeddings: true, sketch: { rows: 32 } });
  const query = [...planted][3];
  const near = nearestRows(all.embeddings!, 256, all.embeddings!.slice(query * 256, (query + 1) * 256), 49, { exclude: [query] });
  assert.deepEqual(new Set(near.map((n) => n.row)), new Set([...planted].filter((r) => r !== query)));
});

test('findNearestRows streams the shard and returns the planted copies', async () => {
  const query = [...planted][0];
  const near = await findNearestRows(source, texts[query], { k: 5, exclude: [query] });
  assert.equal(near.length, 5);
  for (const n of near) assert.ok(planted.has(n.row) && n.similarity > 0.8, JSON.stringify(n));
});

test('cancel stops the run with CancelledError', async () => {
  const controller = new AbortController();
  const run = computeDensity(source, { signal: controller.signal, onProgress: () => controller.abort() });
  await assert.rejects(run, CancelledError);
  const before = new AbortController();
  before.abort();
  await assert.rejects(computeDensity(source, { signal: before.signal }), CancelledError);
});

test('bad options and unreadable shards fail with clear messages', async () => {
  await assert.rejects(computeDensity(source, { sketch: { rows: 0 } }), (err: unknown) => err instanceof UserError && /rows \(R\)/.test(err.message));
  await assert.rejects(computeDensity(source, { rows: { start: 5, end: 2 } }), /invalid row range/);
  await assert.rejects(computeDensity({ ...source, path: `${TMP}/missing.jsonl` }), /missing\.jsonl/);
});
