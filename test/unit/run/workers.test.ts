import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { workerScript, withoutTsx } from '../../../extension/core/run/workers';
import { searchShard } from '../../../extension/core/search/search';
import { openIndexed } from '../shard/helpers';

const DIST_WORKERS = resolve(__dirname, '..', '..', '..', 'dist', 'workers');
const saved = process.env.SHARD_CURATOR_WORKER_DIR;
after(() => {
  if (saved === undefined) delete process.env.SHARD_CURATOR_WORKER_DIR;
  else process.env.SHARD_CURATOR_WORKER_DIR = saved;
});

test('from source a worker is its .ts file; SHARD_CURATOR_WORKER_DIR points at the bundles, and says when one is missing', () => {
  delete process.env.SHARD_CURATOR_WORKER_DIR;
  assert.match(workerScript('search'), /extension[/\\]core[/\\]workers[/\\]search\.worker\.ts$/);
  process.env.SHARD_CURATOR_WORKER_DIR = DIST_WORKERS;
  assert.equal(workerScript('search'), join(DIST_WORKERS, 'search.worker.js'));
  assert.throws(() => workerScript('nonexistent'), /nonexistent\.worker\.js not found \(SHARD_CURATOR_WORKER_DIR\); run npm run build/);
  delete process.env.SHARD_CURATOR_WORKER_DIR;
});

test('a bundled worker runs without the tsx loader the tests run under, and finds what the source worker finds', async () => {
  const shard = await openIndexed(resolve('examples', 'web-sample.jsonl'), { textFacts: false });
  try {
    const query = { pattern: 'jury', regex: false, caseSensitive: false };
    const search = () => searchShard(shard.source(), query, { end: shard.rowCount, maxMatches: 1000 });
    delete process.env.SHARD_CURATOR_WORKER_DIR;
    const fromSource = await search();
    process.env.SHARD_CURATOR_WORKER_DIR = DIST_WORKERS;
    const bundled = await search();
    assert.ok(fromSource.matchCount > 0);
    assert.deepEqual(bundled, fromSource);
  } finally {
    delete process.env.SHARD_CURATOR_WORKER_DIR;
    await shard.close();
  }
});

test('withoutTsx drops only the tsx loader flags', () => {
  assert.deepEqual(withoutTsx(['--import', 'tsx', '--max-old-space-size=4096']), ['--max-old-space-size=4096']);
  assert.deepEqual(withoutTsx(['--import=tsx', '--require', 'tsx/cjs', '--enable-source-maps']), ['--enable-source-maps']);
  assert.deepEqual(withoutTsx(['--import', './setup.mjs', '--inspect']), ['--import', './setup.mjs', '--inspect']);
});
