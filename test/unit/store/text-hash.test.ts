import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openShard } from '../../../extension/core/shard/open';
import { computeTextHashes, hashTexts, textHash } from '../../../extension/core/store/text-hash';
import { CancelledError, ShardError } from '../../../extension/core/errors';
import { writeJsonlShard } from '../../fixtures/corpus';

const dir = resolve(__dirname, '..', '..', '.tmp', 'store', `hash-${process.pid}`);
const shardPath = join(dir, 'docs.jsonl');
const ROWS = 3000;

before(async () => {
  mkdirSync(dir, { recursive: true });
  await writeJsonlShard(shardPath, { count: ROWS }, 11);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('the text-hash worker returns the hash of every row of a real shard, with progress', async () => {
  const shard = await openShard(shardPath);
  await shard.indexed;
  const progress: number[] = [];
  const hashes = await computeTextHashes(shard.source(), shard.rowCount, { onProgress: (p) => progress.push(p.done) });
  assert.equal(hashes.rowCount, ROWS);
  const rows = await shard.readRows(0, ROWS);
  for (const row of rows) assert.equal(hashes.hex(row.row), textHash(row.text), `row ${row.row}`);
  assert.equal(progress.at(-1), ROWS);
  assert.ok(progress.length > 1);
  await shard.close();
});

test('the text-hash worker stops when cancelled', async () => {
  const shard = await openShard(shardPath);
  await shard.indexed;
  const controller = new AbortController();
  const pass = computeTextHashes(shard.source(), shard.rowCount, { signal: controller.signal, onProgress: () => controller.abort() });
  await assert.rejects(pass, CancelledError);
  await shard.close();
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
