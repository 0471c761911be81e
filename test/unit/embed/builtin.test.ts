import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BuiltinEmbedder } from '../../../extension/core/embed/builtin';
import { realDocuments, seededRandom } from '../../fixtures/corpus';
import { editWords, percentile } from '../density/helpers';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

test('near-duplicates are close, unrelated documents nearly orthogonal', async () => {
  const embedder = new BuiltinEmbedder();
  const docs = realDocuments(1200, 4).map((d) => d.text).filter((t) => t.length > 400).slice(0, 400);
  const random = seededRandom(3);
  const vectors = await embedder.embed(docs);
  const nearDuplicates = await embedder.embed(docs.map((d) => editWords(d, random, 4)));
  const near = vectors.map((v, i) => cosine(v, nearDuplicates[i]));
  assert.ok(Math.min(...near) > 0.8, `lowest near-duplicate cosine ${Math.min(...near)}`);
  const unrelated: number[] = [];
  for (let i = 0; i + 1 < vectors.length; i += 2) unrelated.push(cosine(vectors[i], vectors[i + 1]));
  const mean = unrelated.reduce((s, x) => s + x, 0) / unrelated.length;
  assert.ok(Math.abs(mean) < 0.05, `mean unrelated cosine ${mean}`);
  assert.ok(percentile(unrelated, 0.95) < 0.25, `p95 unrelated cosine ${percentile(unrelated, 0.95)}`);
});

test('vectors are unit length, deterministic, case-insensitive, and empty text is the zero vector', async () => {
  const embedder = new BuiltinEmbedder({ dim: 128 });
  const [a, b, c, empty] = await embedder.embed(['The jury said the election was conducted.', 'THE JURY SAID the election WAS conducted!', 'Grand jury commented on reports.', ' .,;- ']);
  assert.equal(a.length, 128);
  assert.ok(Math.abs(cosine(a, a) - 1) < 1e-5);
  assert.deepEqual(a, b);
  assert.ok(cosine(a, c) < 0.5);
  assert.ok(empty.every((x) => x === 0));
  const [again] = await new BuiltinEmbedder({ dim: 128 }).embed(['The jury said the election was conducted.']);
  assert.deepEqual(again, a);
});

test('Unicode letters are word characters and lower-cased; punctuation separates words', async () => {
  const embedder = new BuiltinEmbedder();
  const [a, b, c] = await embedder.embed(['Ärger über Straße naïve café 東京', 'ärger ÜBER straße NAÏVE CAFÉ 東京', 'arger uber strasse naive cafe']);
  assert.ok(cosine(a, b) > 0.9999);
  assert.ok(cosine(a, c) < 0.3, 'accented words differ from unaccented ones');
  const [d, e] = await embedder.embed(['emoji 😀 word', 'emoji word']);
  assert.ok(cosine(d, e) > 0.9999, 'symbols are not words');
});

test('stopwords carry no topic: documents sharing only function words are far apart', async () => {
  const embedder = new BuiltinEmbedder();
  const [a, b] = await embedder.embed(['The cat sat on the mat and it was on the floor of the house.', 'The senator spoke to the press and it was in the hall of the capitol.']);
  assert.ok(cosine(a, b) < 0.2, `cosine ${cosine(a, b)}`);
  const [c, d] = await new BuiltinEmbedder({ stopwords: false }).embed(['The cat sat on the mat and it was on the floor of the house.', 'The senator spoke to the press and it was in the hall of the capitol.']);
  assert.ok(cosine(c, d) > cosine(a, b), 'keeping stopwords raises their similarity');
});

test('the id names the version and every parameter; bad parameters are refused', () => {
  assert.equal(new BuiltinEmbedder().id, 'builtin-v1-d256-w-b0.5-sw');
  assert.equal(new BuiltinEmbedder({ dim: 64, bigramWeight: 0, stopwords: false }).id, 'builtin-v1-d64-w');
  assert.throws(() => new BuiltinEmbedder({ dim: 3 }), /dimension/);
  assert.throws(() => new BuiltinEmbedder({ bigramWeight: -1 }), /bigram weight/);
});

test('long texts grow the feature table and keep their counts', async () => {
  const embedder = new BuiltinEmbedder();
  const long = realDocuments(300, 9).map((d) => d.text).join(' ');
  const [a] = await embedder.embed([long]);
  const [b] = await embedder.embed([long + ' ' + long]);
  // Doubling every count changes weights only through 1 + ln tf: still very close.
  assert.ok(cosine(a, b) > 0.95);
  assert.ok(Math.abs(cosine(a, a) - 1) < 1e-5);
});
