import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ShardError } from '../../../extension/core/errors';
import { detectFormat } from '../../../extension/core/shard/detect';
import { openShard } from '../../../extension/core/shard/open';
import { realDocuments, seededRandom } from '../../fixtures/corpus';

mkdirSync('test/.tmp', { recursive: true });
const dir = mkdtempSync(join('test/.tmp', 'shard-detect-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const docs = realDocuments(20, 4);
const content = docs.map((d) => JSON.stringify({ id: d.id, text: d.text })).join('\n') + '\n';

function file(name: string, data: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

const shardError = (path: string, pattern: RegExp) => (err: unknown) =>
  err instanceof ShardError && err.file === path && err.message.startsWith(`${path}: `) && pattern.test(err.message);

test('the format comes from the magic bytes', async () => {
  assert.equal(await detectFormat(file('a.jsonl', content)), 'jsonl');
  assert.equal(await detectFormat(file('bom.jsonl', `\uFEFF \n\t${content}`)), 'jsonl');
  assert.equal(await detectFormat(file('empty.jsonl', '')), 'jsonl');
  assert.equal(await detectFormat(file('blank.jsonl', ' '.repeat(100_000) + '\n')), 'jsonl');
  assert.equal(await detectFormat(file('late.jsonl', ' '.repeat(100_000) + content)), 'jsonl');
  assert.equal(await detectFormat(file('a.gz', gzipSync(content))), 'jsonl.gz');
  assert.equal(await detectFormat(file('a.bin', Buffer.concat([Buffer.from('ARROW1\0\0'), Buffer.alloc(32)]))), 'arrow-file');
  const stream = Buffer.alloc(24);
  stream.writeUInt32LE(0xffffffff, 0);
  stream.writeInt32LE(16, 4);
  assert.equal(await detectFormat(file('a.stream', stream)), 'arrow-stream');
  const legacy = Buffer.alloc(40);
  legacy.writeInt32LE(32, 0); // metadata length, then a flatbuffer whose root table offset is 12
  legacy.writeUInt32LE(12, 4);
  assert.equal(await detectFormat(file('legacy.stream', legacy)), 'arrow-stream');
});

test('a JSONL file named .arrow opens as JSONL, a gzip named .jsonl opens as gzip', async () => {
  const arrowNamed = await openShard(file('really-jsonl.arrow', content));
  await arrowNamed.indexed;
  assert.equal(arrowNamed.format, 'jsonl');
  assert.equal(arrowNamed.rowCount, docs.length);
  assert.equal((await arrowNamed.readRows(3, 1))[0].text, docs[3].text);
  await arrowNamed.close();

  const cacheDir = join(dir, 'cache');
  const gzipNamed = await openShard(file('really-gzip.jsonl', gzipSync(content)), { cacheDir });
  await gzipNamed.indexed;
  assert.equal(gzipNamed.format, 'jsonl.gz');
  assert.equal(gzipNamed.rowCount, docs.length);
  assert.equal((await gzipNamed.readRows(19, 1))[0].text, docs[19].text);
  await gzipNamed.close();
});

test('a file that is no shard names the file, its first bytes and the supported formats', async () => {
  const png = file('image.jsonl', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  await assert.rejects(openShard(png), shardError(png, /it starts with bytes 89 50 4e 47 0d 0a 1a 0a \("\.PNG\.\.\.\."\); supported are JSONL .*gzipped JSONL and Arrow IPC/));

  const random = seededRandom(42);
  const noise = file('noise.bin', Buffer.from(Array.from({ length: 4096 }, () => Math.floor(random() * 256))));
  await assert.rejects(openShard(noise), shardError(noise, /is not a shard this tool can read: it starts with bytes/));

  const array = file('array.jsonl', '[{"text": "a"}]\n');
  await assert.rejects(openShard(array), shardError(array, /it starts with bytes 5b 7b .*must start with "\{"/));
});

test('a file named .arrow that is not Arrow says so', async () => {
  const fake = file('fake.arrow', `text,id\n${docs[0].text.slice(0, 50)},1\n`);
  await assert.rejects(openShard(fake), shardError(fake, /is named like an Arrow file but is not Arrow IPC: it starts with bytes 74 65 78 74/));
});

test('a gzip file that holds something other than JSONL says so', async () => {
  const csv = file('table.csv.gz', gzipSync(`id,text\n1,${docs[0].text.slice(0, 60)}\n`));
  await assert.rejects(openShard(csv), shardError(csv, /is gzip-compressed, but what it holds is not JSONL: the decompressed data starts with bytes 69 64 2c 74 65 78 74 0a \("id,text\."\)/));
  assert.equal(await detectFormat(file('bom.jsonl.gz', gzipSync(`\uFEFF\n${content}`))), 'jsonl.gz');
});

test('known other formats get specific advice', async () => {
  const parquet = file('data.parquet', Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64)]));
  await assert.rejects(openShard(parquet), shardError(parquet, /is a Parquet file, which is not supported; convert it/));
  const zstd = file('data.jsonl.zst', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x00]));
  await assert.rejects(openShard(zstd), shardError(zstd, /zstd-compressed/));
});

test('missing and folder paths are ShardErrors', async () => {
  const missing = join(dir, 'nope.jsonl');
  await assert.rejects(detectFormat(missing), shardError(missing, /: no such file$/));
  await assert.rejects(detectFormat(dir), shardError(dir, /: is a folder, not a shard file$/));
});

test('an unreadable file is a ShardError', { skip: process.getuid?.() === 0 && 'root reads files whatever their permissions' }, async () => {
  const locked = file('locked.jsonl', content);
  chmodSync(locked, 0o000);
  await assert.rejects(detectFormat(locked), shardError(locked, /permission denied/));
});
