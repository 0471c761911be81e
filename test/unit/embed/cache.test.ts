import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../../extension/core/errors';
import { BuiltinEmbedder } from '../../../extension/core/embed/builtin';
import { EmbeddingCache } from '../../../extension/core/embed/cache';
import { embedTexts } from '../../../extension/core/embed/embedders';
import type { Embedder } from '../../../extension/core/embed/types';
import { textHash } from '../../../extension/core/store/text-hash';
import { realDocuments } from '../../fixtures/corpus';

const dir = join(__dirname, '..', '..', '.tmp', 'embed-cache');
test.beforeEach(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** An embedder standing in for a model server: counts the texts it is asked to embed. */
class CountingEmbedder implements Embedder {
  readonly inner = new BuiltinEmbedder({ dim: 64 });
  readonly id = 'counting-test-model:latest';
  readonly dim = 64;
  calls = 0;
  texts = 0;
  async embed(texts: string[]): Promise<Float32Array[]> {
    this.calls++;
    this.texts += texts.length;
    return this.inner.embed(texts);
  }
}

const texts = realDocuments(300, 8).map((d) => d.text);

test('a second run embeds nothing; changed texts are the only ones embedded again', async () => {
  const embedder = new CountingEmbedder();
  const first = EmbeddingCache.open(dir, embedder.id, embedder.dim);
  const a = await embedTexts(embedder, texts, first);
  assert.equal(a.embedded, 300);
  first.close();

  const second = EmbeddingCache.open(dir, embedder.id, embedder.dim);
  assert.equal(second.size, new Set(texts).size, "one record per distinct text");
  const b = await embedTexts(embedder, texts, second);
  assert.equal(b.embedded, 0);
  assert.deepEqual(b.vectors, a.vectors);
  const changed = [...texts];
  for (const i of [3, 150, 299]) changed[i] = `${changed[i]} An added sentence.`;
  const c = await embedTexts(embedder, changed, second);
  assert.equal(c.embedded, 3);
  assert.equal(embedder.texts, 303);
  assert.deepEqual(c.vectors, (await embedTexts(embedder.inner, changed, undefined)).vectors);
  second.close();
});

test('a torn or corrupt tail is ignored and cut off; later appends stay readable', async () => {
  const embedder = new CountingEmbedder();
  const cache = EmbeddingCache.open(dir, embedder.id, embedder.dim);
  await embedTexts(embedder, texts.slice(0, 10), cache);
  const path = cache.path;
  cache.close();
  const full = statSync(path).size;
  // A record cut short by a crash...
  truncateSync(path, full - 100);
  // ...and, separately, garbage of exactly one record's length (unwritten data after a crash).
  const reopened = EmbeddingCache.open(dir, embedder.id, embedder.dim);
  assert.equal(reopened.size, 9);
  reopened.close();
  appendFileSync(path, Buffer.alloc(12 + 64 * 4, 7));
  const again = EmbeddingCache.open(dir, embedder.id, embedder.dim);
  assert.equal(again.size, 9);
  const result = await embedTexts(embedder, texts.slice(0, 12), again);
  assert.equal(result.embedded, 3);
  again.close();
  const last = EmbeddingCache.open(dir, embedder.id, embedder.dim);
  assert.equal(last.size, 12);
  const v = new Float32Array(64);
  assert.ok(last.read(textHash(texts[11]), v));
  assert.deepEqual(v, (await embedder.inner.embed([texts[11]]))[0]);
  assert.equal(last.read('0123456789abcdef', v), false);
  last.close();
});

test('a cache of another embedder or dimension is refused, not mixed', async () => {
  const embedder = new CountingEmbedder();
  const cache = EmbeddingCache.open(dir, embedder.id, embedder.dim);
  cache.close();
  assert.throws(() => EmbeddingCache.open(dir, embedder.id, 128), (err: unknown) => err instanceof UserError && /another embedder or dimension/.test(err.message));
  const other = EmbeddingCache.open(dir, 'other-model', 64);
  assert.notEqual(other.path, cache.path);
  other.close();
});
