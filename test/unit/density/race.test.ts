import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltinEmbedder } from '../../../extension/core/embed/builtin';
import { collisionProbability, exactDensity } from '../../../extension/core/density/exact';
import { ipsWeights } from '../../../extension/core/density/ips';
import { nearestRows } from '../../../extension/core/density/nearest';
import { DEFAULT_RACE_PARAMS, RaceHasher, RaceSketch, sketchDensity, type RaceParams } from '../../../extension/core/density/race';
import { realDocuments } from '../../fixtures/corpus';
import { percentile, plantedCorpus, spearman } from './helpers';

const embedder = new BuiltinEmbedder();
const dim = embedder.dim;
const params: RaceParams = { ...DEFAULT_RACE_PARAMS, dim };

function embedAll(texts: string[]): Float32Array {
  const vectors = new Float32Array(texts.length * dim);
  texts.forEach((t, i) => embedder.embedInto(t, vectors, i * dim));
  return vectors;
}

const diverse = embedAll(realDocuments(3000, 21).map((d) => d.text));
const exactDiverse = exactDensity(diverse, 3000, params);

test('sketch densities rank like the exact kernel sum (Spearman >= 0.9), better with more sketch rows', () => {
  const defaults = spearman(sketchDensity(diverse, 3000, params), exactDiverse);
  assert.ok(defaults >= 0.9, `Spearman with defaults ${defaults}`);
  const fewer = spearman(sketchDensity(diverse, 3000, { ...params, rows: 32 }), exactDiverse);
  const more = spearman(sketchDensity(diverse, 3000, { ...params, rows: 1024 }), exactDiverse);
  assert.ok(fewer < defaults && defaults < more, `R=32: ${fewer}, R=256: ${defaults}, R=1024: ${more}`);
  // Unbiased: the mean sketch density matches the mean exact density closely.
  const sketch = sketchDensity(diverse, 3000, params);
  const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;
  assert.ok(Math.abs(mean(sketch) / mean(exactDiverse) - 1) < 0.03, `means ${mean(sketch)} vs ${mean(exactDiverse)}`);
});

test('planted near-duplicates get higher density than every 90th-percentile diverse row, sketch and exact', () => {
  const { texts, planted } = plantedCorpus();
  const vectors = embedAll(texts);
  for (const [method, density] of [['sketch', sketchDensity(vectors, texts.length, params)], ['exact', exactDensity(vectors, texts.length, params)]] as const) {
    const others = Array.from(density).filter((_, i) => !planted.has(i));
    const p90 = percentile(others, 0.9);
    const lowestPlanted = Math.min(...[...planted].map((i) => density[i]));
    assert.ok(lowestPlanted > p90, `${method}: lowest planted ${lowestPlanted} vs diverse p90 ${p90}`);
    assert.ok(Math.min(...density) >= 1, `${method}: every row counts itself`);
  }
});

test('the sketch is deterministic for a seed, and different seeds differ', () => {
  const a = sketchDensity(diverse, 3000, params);
  const b = sketchDensity(diverse, 3000, { ...params });
  assert.deepEqual(Buffer.from(a.buffer), Buffer.from(b.buffer));
  const c = sketchDensity(diverse, 3000, { ...params, seed: 2 });
  assert.notDeepEqual(Buffer.from(a.buffer), Buffer.from(c.buffer));
});

test('merging two sketches equals the sketch of the union', () => {
  const hasher = new RaceHasher(params);
  const first = hasher.hashAll(diverse.subarray(0, 1000 * dim), 1000);
  const second = hasher.hashAll(diverse.subarray(1000 * dim, 3000 * dim), 2000);
  const a = new RaceSketch(params);
  a.insertAll(first);
  const b = new RaceSketch(params);
  b.insertAll(second);
  a.merge(b);
  const union = new RaceSketch(params);
  union.insertAll(hasher.hashAll(diverse, 3000));
  assert.deepEqual(a.counts, union.counts);
  assert.throws(() => a.merge(new RaceSketch({ ...params, seed: 9 })), /different parameters/);
});

test('the LSH collision rate matches the exact kernel (1 - angle/pi)^K', () => {
  // One hasher with many sketch rows: the share of rows where two vectors collide estimates k(x, y).
  const wide = new RaceHasher({ ...params, rows: 4000 });
  const docs = realDocuments(40, 5).map((d) => d.text);
  const vectors = embedAll(docs);
  const pairs: Array<[number, number]> = [[0, 1], [2, 3], [4, 5]];
  const near = embedAll([docs[6], docs[6].split(' ').slice(0, -8).join(' ')]);
  for (const [x, y, v] of [...pairs.map(([x, y]) => [x, y, vectors] as const), [0, 1, near] as const]) {
    const hx = new Uint8Array(4000);
    const hy = new Uint8Array(4000);
    wide.hashInto(v, x * dim, hx, 0);
    wide.hashInto(v, y * dim, hy, 0);
    const rate = hx.reduce((s, h, i) => s + (h === hy[i] ? 1 : 0), 0) / 4000;
    let dot = 0;
    let nx = 0;
    let ny = 0;
    for (let j = 0; j < dim; j++) {
      dot += v[x * dim + j] * v[y * dim + j];
      nx += v[x * dim + j] ** 2;
      ny += v[y * dim + j] ** 2;
    }
    const expected = collisionProbability(params.hashesPerRow, dot, nx, ny);
    assert.ok(Math.abs(rate - expected) < 0.03, `collision rate ${rate} vs kernel ${expected}`);
  }
});

test('exact kernel: identical vectors 1, opposite 0, zero vectors behave like the hasher', () => {
  assert.equal(collisionProbability(4, 1, 1, 1), 1);
  assert.equal(collisionProbability(4, -1, 1, 1), 0);
  assert.equal(collisionProbability(1, 0, 1, 1), 0.5);
  assert.equal(collisionProbability(3, 0, 0, 0), 1);
  assert.equal(collisionProbability(3, 0, 0, 1), 0.125);
  // Empty rows embed to zero vectors and all collide with each other in the sketch too.
  const vectors = embedAll(['', '', ...realDocuments(30, 2).map((d) => d.text)]);
  const sketch = sketchDensity(vectors, 32, params);
  const exact = exactDensity(vectors, 32, params);
  assert.ok(sketch[0] >= 2 && exact[0] >= 2);
});

test('IPS weights are proportional to 1/density and sum to 1', () => {
  const density = Float64Array.from([1, 2, 4, 8, 1.5]);
  const w = ipsWeights(density);
  assert.ok(Math.abs(w.reduce((s, x) => s + x, 0) - 1) < 1e-12);
  for (let i = 0; i < density.length; i++) assert.ok(Math.abs(w[i] * density[i] - w[0] * density[0]) < 1e-12);
  assert.ok(w[0] > w[3], 'rare rows weigh more');
  assert.throws(() => ipsWeights(Float64Array.from([1, 0.5])), /density of row index 1 is 0.5/);
  assert.throws(() => ipsWeights(Float64Array.from([NaN])), /NaN/);
});

test('nearestRows finds the planted near-duplicates of a planted row first', () => {
  const { texts, planted } = plantedCorpus(600, 10, 5);
  const vectors = embedAll(texts);
  const query = [...planted][0];
  const found = nearestRows(vectors, dim, vectors.slice(query * dim, (query + 1) * dim), 9, { rowStart: 100, exclude: [query + 100] });
  assert.equal(found.length, 9);
  assert.deepEqual(new Set(found.map((f) => f.row - 100)), new Set([...planted].filter((i) => i !== query)));
  assert.ok(found.every((f) => f.similarity > 0.8));
  assert.ok(found.every((f, i) => i === 0 || found[i - 1].similarity >= f.similarity));
});

test('invalid sketch parameters are refused with a clear message', () => {
  assert.throws(() => new RaceSketch({ ...params, rows: 0 }), /rows \(R\) must be an integer/);
  assert.throws(() => new RaceHasher({ ...params, hashesPerRow: 40 }), /sign bits per row/);
  assert.throws(() => new RaceSketch(params, new Int32Array(3)), /expected 16384 counters/);
  // K-bit codes are hashed into B buckets when 2^K > B.
  const folded = sketchDensity(diverse, 500, { ...params, hashesPerRow: 6, buckets: 16 });
  assert.ok(folded.every((d) => d >= 1));
});
