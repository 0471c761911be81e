import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CancelledError, ShardError } from '../../../extension/core/errors';
import { openShard, scanTexts } from '../../../extension/core/shard/open';
import { realDocuments, type CorpusDocument } from '../../fixtures/corpus';
import { collect, openIndexed } from './helpers';

mkdirSync('test/.tmp', { recursive: true });
const dir = mkdtempSync(join('test/.tmp', 'shard-gzip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const docs = realDocuments(2000, 9);
const line = (d: CorpusDocument) => JSON.stringify({ id: d.id, text: d.text, source: d.source });
const jsonl = (some: CorpusDocument[]) => some.map(line).join('\n') + '\n';

let n = 0;
function setup(content: Buffer, name?: string): { path: string; cacheDir: string } {
  const sub = join(dir, `case${n++}`);
  mkdirSync(sub);
  const path = join(sub, name ?? 'shard.jsonl.gz');
  writeFileSync(path, content);
  return { path, cacheDir: join(sub, 'cache') };
}

const cacheFiles = (cacheDir: string) => (existsSync(cacheDir) ? readdirSync(cacheDir) : []);

test('gzipped JSONL round trip: rows, format, compressed size and the cache file', async () => {
  const content = jsonl(docs);
  const { path, cacheDir } = setup(gzipSync(content));
  const shard = await openIndexed(path, { cacheDir });
  assert.equal(shard.format, 'jsonl.gz');
  assert.equal(shard.bytes, statSync(path).size);
  assert.equal(shard.rowCount, docs.length);
  assert.equal(shard.textField, 'text');
  const rows = await shard.readRows(0, docs.length);
  assert.deepEqual(rows.map((r) => r.fields), docs.map((d) => ({ id: d.id, text: d.text, source: d.source })));
  const { dataPath } = shard.source();
  assert.ok(dataPath && dataPath.startsWith(cacheDir));
  assert.equal(readFileSync(dataPath, 'utf8'), content);
  assert.deepEqual(cacheFiles(cacheDir), [dataPath.slice(cacheDir.length + 1)]);
  const expected = rows.map((r) => ({ row: r.row, text: r.text }));
  assert.deepEqual(await collect(scanTexts(shard.source())), expected);
  // Without the cache file a scan decompresses the shard itself, with the same row numbers.
  assert.deepEqual(await collect(scanTexts({ ...shard.source(), dataPath: undefined }, { start: 1500, end: 1510 })), expected.slice(1500, 1510));
  assert.deepEqual(await collect(shard.texts({ start: 1990 })), expected.slice(1990));
  await shard.close();
});

test('multi-member gzip (concatenated members) is read whole', async () => {
  const parts = [docs.slice(0, 700), docs.slice(700, 701), docs.slice(701, 2000)];
  const { path, cacheDir } = setup(Buffer.concat(parts.map((p) => gzipSync(jsonl(p)))));
  const shard = await openIndexed(path, { cacheDir });
  assert.equal(shard.rowCount, 2000);
  assert.deepEqual((await shard.readRows(699, 3)).map((r) => r.fields.id), [docs[699].id, docs[700].id, docs[701].id]);
  assert.equal((await shard.readRows(1999, 1))[0].text, docs[1999].text);
  await shard.close();
});

async function assertRejectsWithoutCache(path: string, cacheDir: string, pattern: RegExp): Promise<void> {
  await assert.rejects(async () => {
    const shard = await openShard(path, { cacheDir });
    try {
      await shard.indexed;
    } finally {
      await shard.close();
    }
  }, (err) => err instanceof ShardError && err.message.startsWith(`${path}: `) && pattern.test(err.message));
  assert.deepEqual(cacheFiles(cacheDir), [], 'no partial cache file is left');
}

test('a truncated gzip shard is a ShardError that says so, and leaves no cache file', async () => {
  const gz = gzipSync(jsonl(docs));
  const { path, cacheDir } = setup(gz.subarray(0, Math.floor(gz.length * 0.6)));
  await assertRejectsWithoutCache(path, cacheDir, /is truncated: the gzip stream ends early \(after \d+ decompressed bytes\); re-download or re-compress it$/);
});

test('a corrupt gzip shard is a ShardError, and leaves no cache file', async () => {
  const gz = Buffer.from(gzipSync(jsonl(docs)));
  for (let i = 2000; i < 2400; i++) gz[i] ^= 0x5a;
  const { path, cacheDir } = setup(gz);
  await assertRejectsWithoutCache(path, cacheDir, /is corrupt: its gzip data cannot be decompressed \(.+\); re-download or re-compress it$/);
});

test('a gzip whose checksum is wrong is a ShardError', async () => {
  const gz = Buffer.from(gzipSync(jsonl(docs.slice(0, 50))));
  gz[gz.length - 6] ^= 0xff; // inside the CRC32 of the trailer
  const { path, cacheDir } = setup(gz);
  await assertRejectsWithoutCache(path, cacheDir, /is corrupt/);
});

test('the cache is reused while the shard is unchanged and replaced when it changes', async () => {
  const { path, cacheDir } = setup(gzipSync(jsonl(docs.slice(0, 300))));
  const first = await openIndexed(path, { cacheDir });
  const cachePath = first.source().dataPath!;
  await first.close();
  const before = statSync(cachePath);

  const second = await openIndexed(path, { cacheDir });
  assert.equal(second.source().dataPath, cachePath);
  assert.equal(second.rowCount, 300);
  assert.equal((await second.readRows(299, 1))[0].text, docs[299].text);
  await second.close();
  const reused = statSync(cachePath);
  assert.equal(reused.mtimeMs, before.mtimeMs, 'not decompressed again');
  assert.equal(reused.ino, before.ino);

  writeFileSync(path, gzipSync(jsonl(docs.slice(300, 350))));
  const later = new Date(Date.now() + 5000);
  utimesSync(path, later, later);
  const third = await openIndexed(path, { cacheDir });
  const newCache = third.source().dataPath!;
  assert.notEqual(newCache, cachePath);
  assert.equal(third.rowCount, 50);
  assert.equal((await third.readRows(0, 1))[0].fields.id, docs[300].id);
  await third.close();
  assert.deepEqual(cacheFiles(cacheDir), [newCache.slice(cacheDir.length + 1)], 'the old cache file is removed');
});

test('an empty gzip member opens with 0 rows', async () => {
  const { path, cacheDir } = setup(gzipSync(''));
  const shard = await openIndexed(path, { cacheDir });
  assert.equal(shard.format, 'jsonl.gz');
  assert.equal(shard.rowCount, 0);
  await shard.close();
});

test('rows of a gzip shard are readable while it is indexed; cancelling then leaves no cache file', async () => {
  const content = jsonl(docs);
  const { path, cacheDir } = setup(gzipSync(content.repeat(12), { level: 1 }));
  const controller = new AbortController();
  const shard = await openShard(path, { cacheDir, signal: controller.signal });
  assert.equal(shard.source().dataPath, undefined, 'no cache file is handed out before it is complete');
  assert.ok(shard.rowCount < docs.length * 12);
  const rows = await shard.readRows(0, 3);
  assert.deepEqual(rows.map((r) => r.text), docs.slice(0, 3).map((d) => d.text), 'rows are read from the cache file while it is written');
  controller.abort();
  await assert.rejects(shard.indexed, CancelledError);
  await shard.close();
  assert.deepEqual(cacheFiles(cacheDir), []);
});
