import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashTexts, hexHashAt, putTextHash, textHash } from '../../../extension/core/store/text-hash';
import { CancelledError, ShardError } from '../../../extension/core/errors';
import { realDocuments } from '../../fixtures/corpus';

test('textHash is the first 16 hex digits of SHA-256 over the UTF-8 text; putTextHash stores the same value', () => {
  const texts = ['', 'naïve café — 東京 🚀', ...realDocuments(50, 2).map((d) => d.text)];
  const words = new Uint32Array(2 * texts.length);
  texts.forEach((text, i) => {
    const expected = createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex').slice(0, 16);
    assert.equal(textHash(text), expected);
    putTextHash(words, i, text);
    assert.equal(hexHashAt(words, i), expected);
  });
});

test('hashTexts fills a sub-range by row number and notices rows that are missing', async () => {
  const items = [{ row: 5, text: 'five' }, { row: 6, text: 'six' }, { row: 7, text: 'seven' }];
  const values = await hashTexts(items, 5, 8);
  assert.deepEqual([...values].map((v) => v.toString(16).padStart(16, '0')), ['five', 'six', 'seven'].map(textHash));
  await assert.rejects(hashTexts(items.slice(0, 2), 5, 8, { file: 'x.jsonl' }), (err: unknown) => err instanceof ShardError && /x\.jsonl: expected 3 rows from row 5 but read 2/.test(err.message));
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(hashTexts(items, 5, 8, { signal: controller.signal }), CancelledError);
});
