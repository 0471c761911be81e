import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import * as F from '@uwdata/flechette';
import { openArrowShard, scanArrowTexts } from '../../../extension/core/shard/arrow';
import type { JsonValue, Row, Shard } from '../../../extension/core/shard/types';
import { CancelledError, ShardError } from '../../../extension/core/errors';
import { realDocuments } from '../../fixtures/corpus';
import { collect } from './helpers';

const dir = join(__dirname, '..', '..', '.tmp', 'arrow');
const ROWS = 2000;
/** Uneven record batches, one of them empty: 1, 599, 0, 3, 797, 600 rows. */
const CUTS = [0, 1, 600, 600, 603, 1400, 2000];

const docs = realDocuments(ROWS, 3);
const T0_MICROS = 1_700_000_000_123_456n;

/** The raw column values both writers are fed, and the JSON each row must read back as. */
function columnValues() {
  const text = docs.map((d, i) => (i % 97 === 5 ? null : d.text));
  const source = docs.map((d, i) => (i % 13 === 0 ? null : d.source));
  const title = docs.map((d, i) => (i % 17 === 0 ? null : d.text.slice(0, 60)));
  const chars = docs.map((d) => d.text.length);
  const big = docs.map((d, i) => {
    if (i % 7 === 0) return null;
    if (i === 1) return 2n ** 53n + 1n;
    if (i === 2) return -(2n ** 63n);
    if (i === 3) return 2n ** 53n - 1n;
    return BigInt(d.text.length) * 2n ** 45n * (i % 2 ? -1n : 1n);
  });
  const u64 = docs.map((_, i) => (i === 4 ? 2n ** 64n - 1n : BigInt(i)));
  const score = docs.map((d, i) => (i % 5 === 0 ? null : d.text.length / 1000));
  const i8 = docs.map((_, i) => (i % 100) - 50);
  const ok = docs.map((d, i) => (i % 11 === 0 ? null : d.source === 'brown'));
  const micros = docs.map((_, i) => T0_MICROS + BigInt(i) * 1_000_001n);
  const words = docs.map((d, i) => (i % 11 === 0 ? null : i === 7 ? ['a', null] : i === 8 ? [] : d.text.split(' ').slice(0, 3)));
  const meta = docs.map((d, i) => (i % 19 === 0 ? null : { source: d.source, n: i % 4 === 0 ? null : i }));
  return { text, source, title, chars, big, u64, score, i8, ok, micros, words, meta };
}

function isoMicros(micros: bigint): string {
  const ms = new Date(Number(micros / 1000n)).toISOString().slice(0, 23);
  return `${ms}${String(micros % 1000n).padStart(3, '0')}`;
}

function jsonInt(v: bigint | null): JsonValue {
  if (v === null) return null;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** What every row of the apache-arrow-written shard must read as, built from the inputs by hand. */
function expectedRows(): Row[] {
  const v = columnValues();
  return docs.map((d, i) => ({
    row: i,
    text: v.text[i] ?? '',
    fields: {
      id: d.id,
      text: v.text[i],
      source: v.source[i],
      title: v.title[i],
      chars: v.chars[i],
      big: jsonInt(v.big[i]),
      u64: jsonInt(v.u64[i]),
      score: v.score[i],
      i8: v.i8[i],
      ok: v.ok[i],
      nothing: null,
      day: new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10),
      ts: `${isoMicros(v.micros[i])}Z`,
      tsn: `${isoMicros(v.micros[i])}789`,
      raw: Buffer.from(d.id).toString('base64'),
      words: v.words[i],
      large_list: [v.chars[i], i],
      pair: [i, i + 0.25],
      meta: v.meta[i],
      counts: { chars: v.chars[i], words: d.text.split(' ').length },
    },
  }));
}

function bigintVector(type: A.DataType, values: bigint[]): A.Vector {
  return A.makeVector(A.makeData({ type, length: values.length, data: BigInt64Array.from(values) } as never));
}

function apacheTable(): A.Table {
  const v = columnValues();
  const utf8 = () => new A.Field('item', new A.Utf8(), true);
  const whole = new A.Table({
    id: A.vectorFromArray(docs.map((d) => d.id), new A.Utf8()),
    text: A.vectorFromArray(v.text, new A.Utf8()),
    source: A.vectorFromArray(v.source, new A.Dictionary(new A.Utf8(), new A.Int32())),
    title: A.vectorFromArray(v.title, new A.LargeUtf8()),
    chars: A.vectorFromArray(v.chars, new A.Int32()),
    big: A.vectorFromArray(v.big, new A.Int64()),
    u64: A.vectorFromArray(v.u64, new A.Uint64()),
    score: A.vectorFromArray(v.score, new A.Float64()),
    i8: A.vectorFromArray(v.i8, new A.Int8()),
    ok: A.vectorFromArray(v.ok, new A.Bool()),
    nothing: A.vectorFromArray(docs.map(() => null), new A.Null()),
    day: A.vectorFromArray(docs.map((_, i) => new Date(Date.UTC(2020, 0, 1 + i))), new A.DateDay()),
    ts: bigintVector(new A.TimestampMicrosecond('UTC'), v.micros),
    tsn: bigintVector(new A.TimestampNanosecond(), v.micros.map((m) => m * 1000n + 789n)),
    raw: A.vectorFromArray(docs.map((d) => new Uint8Array(Buffer.from(d.id))), new A.Binary()),
    words: A.vectorFromArray(v.words, new A.List(utf8())),
    large_list: A.vectorFromArray(v.chars.map((c, i) => [c, i]), new A.LargeList(new A.Field('item', new A.Int32(), true))),
    pair: A.vectorFromArray(docs.map((_, i) => [i, i + 0.25]), new A.FixedSizeList(2, new A.Field('item', new A.Float64(), true))),
    meta: A.vectorFromArray(v.meta, new A.Struct([new A.Field('source', new A.Utf8(), true), new A.Field('n', new A.Int32(), true)])),
    counts: A.vectorFromArray(docs.map((d) => new Map([['chars', d.text.length], ['words', d.text.split(' ').length]])),
      new A.Map_(new A.Field('entries', new A.Struct<{ key: A.Utf8; value: A.Int32 }>([new A.Field('key', new A.Utf8(), false), new A.Field('value', new A.Int32(), true)]), false))),
  });
  return new A.Table(CUTS.slice(1).flatMap((end, k) => whole.slice(CUTS[k], end).batches));
}

const EXPECTED_COLUMNS = [
  ['id', 'Utf8'], ['text', 'Utf8'], ['source', 'Dictionary<Int32, Utf8>'], ['title', 'LargeUtf8'], ['chars', 'Int32'],
  ['big', 'Int64'], ['u64', 'Uint64'], ['score', 'Float64'], ['i8', 'Int8'], ['ok', 'Bool'], ['nothing', 'Null'],
  ['day', 'Date32<DAY>'], ['ts', 'Timestamp<MICROSECOND, UTC>'], ['tsn', 'Timestamp<NANOSECOND>'], ['raw', 'Binary'],
  ['words', 'List<Utf8>'], ['large_list', 'LargeList<Int32>'], ['pair', 'FixedSizeList[2]<Float64>'],
  ['meta', 'Struct<{source:Utf8, n:Int32}>'], ['counts', 'Map<{key:Utf8, value:Int32}>'],
].map(([name, type]) => ({ name, type }));

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * Counts the bytes read while `fn` runs, through FileHandle.read (async, apache-arrow's too) and
 * fs.readSync (the reader's metadata reads), and collects the handles read asynchronously.
 */
async function spyOnReads<T>(fn: () => Promise<T>): Promise<{ bytes: number; handles: Set<FileHandle>; value: T }> {
  const probe = await openFile(__filename);
  const proto = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<{ bytesRead: number }> };
  await probe.close();
  const fsModule = fs as { readSync: (...args: unknown[]) => number };
  const originalRead = proto.read;
  const originalReadSync = fsModule.readSync;
  let bytes = 0;
  const handles = new Set<FileHandle>();
  proto.read = async function (this: FileHandle, ...args: unknown[]) {
    handles.add(this);
    const result = await originalRead.apply(this, args);
    bytes += result.bytesRead;
    return result;
  };
  fsModule.readSync = (...args: unknown[]) => {
    const bytesRead = originalReadSync(...args);
    bytes += bytesRead;
    return bytesRead;
  };
  try {
    const value = await fn();
    return { bytes, handles, value };
  } finally {
    proto.read = originalRead;
    fsModule.readSync = originalReadSync;
  }
}

/** Rewrites a stream to the pre-0.15 framing: no 0xFFFFFFFF continuation before each length. */
function toLegacyFraming(stream: Uint8Array): Uint8Array {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  const parts: Uint8Array[] = [];
  let offset = 0;
  while (offset < stream.byteLength) {
    assert.equal(view.getInt32(offset, true), -1);
    const length = view.getInt32(offset + 4, true);
    if (length === 0) {
      parts.push(new Uint8Array(4));
      break;
    }
    const bodyLength = Number(A.Message.decode(stream.subarray(offset + 8, offset + 8 + length)).bodyLength);
    parts.push(stream.subarray(offset + 4, offset + 8 + length + bodyLength));
    offset += 8 + length + bodyLength;
  }
  return Buffer.concat(parts);
}

async function rejectsWithShardError(promise: Promise<unknown>, path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ShardError, `expected a ShardError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${path}: `), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

let filePath: string;
let streamPath: string;
let expected: Row[];

before(() => {
  mkdirSync(dir, { recursive: true });
  const table = apacheTable();
  assert.deepEqual(table.batches.map((b) => b.numRows), [1, 599, 0, 3, 797, 600]);
  filePath = write('apache.arrow', A.tableToIPC(table, 'file'));
  streamPath = write('apache-stream.arrow', A.tableToIPC(table, 'stream'));
  expected = expectedRows();
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('Arrow shards written by apache-arrow', () => {
  for (const format of ['arrow-file', 'arrow-stream'] as const) {
    test(`${format}: schema, row count and every value of every row`, async () => {
      const shard = await openArrowShard(format === 'arrow-file' ? filePath : streamPath, format, {});
      try {
        assert.equal(shard.format, format);
        assert.equal(shard.rowCount, ROWS);
        assert.deepEqual(shard.columns, EXPECTED_COLUMNS);
        assert.equal(shard.textField, 'text');
        assert.deepEqual(shard.malformed, { count: 0, examples: [] });
        await shard.indexed;
        assert.equal(shard.bytes, statSync(shard.path).size);
        assert.deepEqual(await shard.readRows(0, ROWS), expected);
      } finally {
        await shard.close();
      }
    });
  }

  test('values that need care: int64 beyond 2^53, uint64 max, sub-millisecond timestamps, nulls', async () => {
    const shard = await openArrowShard(filePath, 'arrow-file', {});
    try {
      const rows = await shard.readRows(0, 10);
      assert.equal(rows[1].fields.big, '9007199254740993');
      assert.equal(rows[2].fields.big, '-9223372036854775808');
      assert.equal(rows[3].fields.big, 9007199254740991);
      assert.equal(rows[4].fields.u64, '18446744073709551615');
      assert.equal(rows[0].fields.ts, '2023-11-14T22:13:20.123456Z');
      assert.equal(rows[0].fields.tsn, '2023-11-14T22:13:20.123456789');
      assert.equal(rows[0].fields.big, null);
      assert.equal(rows[0].fields.source, null);
      assert.equal(rows[0].fields.meta, null);
      assert.deepEqual(rows[7].fields.words, ['a', null]);
      assert.deepEqual(rows[8].fields.words, []);
      assert.deepEqual(rows[5].fields.meta, { source: docs[5].source, n: 5 });
      assert.equal(rows[5].fields.text, null);
      assert.equal(rows[5].text, '');
      assert.equal(rows[6].fields.raw, Buffer.from('doc-6').toString('base64'));
    } finally {
      await shard.close();
    }
  });

  test('random access across batch boundaries, clipped at the end', async () => {
    const shard = await openArrowShard(filePath, 'arrow-file', {});
    try {
      for (const [start, count] of [[0, 1], [0, 2], [595, 10], [599, 2], [600, 4], [1399, 2], [1995, 100], [1999, 1]]) {
        assert.deepEqual(await shard.readRows(start, count), expected.slice(start, start + count), `rows ${start}+${count}`);
      }
      assert.deepEqual(await shard.readRows(ROWS, 10), []);
      assert.deepEqual(await shard.readRows(10, 0), []);
      // Same page twice at once, and back and forth past the LRU size: same rows every time.
      const [a, b] = await Promise.all([shard.readRows(700, 50), shard.readRows(700, 50)]);
      assert.deepEqual(a, b);
      for (const start of [0, 1500, 1, 601, 1000, 0]) assert.deepEqual(await shard.readRows(start, 3), expected.slice(start, start + 3));
    } finally {
      await shard.close();
    }
  });

  test('the stream, the file and the legacy stream framing read identically', async () => {
    const legacyPath = write('legacy.arrow', toLegacyFraming(readFileSync(streamPath)));
    const shards = await Promise.all([
      openArrowShard(filePath, 'arrow-file', {}),
      openArrowShard(streamPath, 'arrow-stream', {}),
      openArrowShard(legacyPath, 'arrow-stream', {}),
    ]);
    try {
      const [file, ...streams] = await Promise.all(shards.map((s) => s.readRows(590, 30)));
      for (const rows of streams) assert.deepEqual(rows, file);
      const [fileTexts, ...streamTexts] = await Promise.all(shards.map((s) => collect(s.texts())));
      for (const texts of streamTexts) assert.deepEqual(texts, fileTexts);
    } finally {
      await Promise.all(shards.map((s) => s.close()));
    }
  });

  test('a stream whose dictionary is replaced and extended between batches, read out of order', async () => {
    const tagType = () => new A.Dictionary(new A.Utf8(), new A.Int32(), 0);
    const tags = [['brown', 'nlp-corpus', 'brown'], ['news', 'lyrics', null], ['news', 'lyrics', 'web', 'news']];
    const writer = new A.RecordBatchStreamWriter();
    for (const values of tags) writer.write(new A.Table({ tag: A.vectorFromArray(values, tagType()) }).batches[0]);
    writer.finish();
    const path = write('dictionaries.arrow', writer.toUint8Array(true));
    const shard = await openArrowShard(path, 'arrow-stream', {});
    try {
      assert.equal(shard.textField, 'tag');
      const all = tags.flat();
      assert.deepEqual((await shard.readRows(6, 4)).map((r) => r.fields.tag), all.slice(6));
      assert.deepEqual((await shard.readRows(0, 10)).map((r) => r.fields.tag), all);
      assert.deepEqual((await collect(shard.texts())).map((t) => t.text), all.map((t) => t ?? ''));
    } finally {
      await shard.close();
    }
  });

  test('texts() and scanArrowTexts follow readRows: same order, row numbers and texts', async () => {
    const shard = await openArrowShard(streamPath, 'arrow-stream', {});
    try {
      const all = await collect(shard.texts());
      assert.deepEqual(all, expected.map((r) => ({ row: r.row, text: r.text })));
      assert.deepEqual(await collect(shard.texts({ start: 598, end: 1401 })), all.slice(598, 1401));
      assert.deepEqual(await collect(shard.texts({ start: 1999, end: 5000 })), all.slice(1999));
      assert.deepEqual(await collect(shard.texts({ start: 50, end: 50 })), []);
      for (const source of [shard.source(), { path: filePath, format: 'arrow-file' as const, textField: 'text' }]) {
        assert.deepEqual(await collect(scanArrowTexts(source, {})), all);
        assert.deepEqual(await collect(scanArrowTexts(source, { start: 1, end: 604 })), all.slice(1, 604));
      }
      assert.deepEqual(await collect(scanArrowTexts({ ...shard.source(), textField: 'id' }, { start: 10, end: 12 })),
        [{ row: 10, text: 'doc-10' }, { row: 11, text: 'doc-11' }]);
    } finally {
      await shard.close();
    }
  });

  test('a scan stops with CancelledError when its signal fires', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const item of scanArrowTexts({ path: filePath, format: 'arrow-file', textField: 'text' }, { signal: controller.signal })) {
        seen.push(item.row);
        if (item.row === 10) controller.abort();
      }
    }, CancelledError);
    assert.ok(seen.length <= 600, `read ${seen.length} rows after the abort`);
  });

  test('close() closes the file handle it opened', async () => {
    const { handles, value: shard } = await spyOnReads(async () => {
      const opened = await openArrowShard(filePath, 'arrow-file', {});
      await opened.readRows(0, 5);
      return opened;
    });
    assert.equal(handles.size, 1);
    const [handle] = handles;
    assert.ok(handle.fd >= 0);
    await shard.close();
    assert.equal(handle.fd, -1);
    await assert.rejects(shard.readRows(600, 5));
  });
});

describe('Arrow shards written by flechette (a second implementation)', () => {
  const v = columnValues();
  const build = (format: 'file' | 'stream') => F.tableToIPC(F.tableFromArrays({
    text: v.text,
    source: v.source,
    big: v.big,
    score: v.score,
    ok: v.ok,
    words: v.words,
    meta: v.meta,
    ts: v.micros.map((m) => Number(m / 1000n)),
    amount: docs.map((d) => d.text.length / 4),
  }, {
    types: {
      text: F.largeUtf8(), source: F.dictionary(F.utf8()), big: F.int64(), score: F.float64(), ok: F.bool(),
      words: F.list(F.utf8()), meta: F.struct({ source: F.utf8(), n: F.int32() }),
      ts: F.timestamp(F.TimeUnit.MILLISECOND, 'UTC'), amount: F.decimal(12, 2, 64),
    },
    maxBatchRows: 333,
  }), { format })!;

  for (const format of ['file', 'stream'] as const) {
    test(`${format} format: every row, types as apache-arrow prints them`, async () => {
      const path = write(`flechette-${format}.arrow`, build(format));
      const shard = await openArrowShard(path, format === 'file' ? 'arrow-file' : 'arrow-stream', {});
      try {
        assert.equal(shard.rowCount, ROWS);
        assert.deepEqual(shard.columns.map((c) => `${c.name}: ${c.type}`), [
          'text: LargeUtf8', 'source: Dictionary<Int32, Utf8>', 'big: Int64', 'score: Float64', 'ok: Bool',
          'words: List<Utf8>', 'meta: Struct<{source:Utf8, n:Int32}>', 'ts: Timestamp<MILLISECOND, UTC>', 'amount: Decimal[12e+2]',
        ]);
        assert.equal(shard.textField, 'text');
        const rows = await shard.readRows(0, ROWS);
        assert.deepEqual(rows, expected.map((e, i) => ({
          row: i,
          text: e.text,
          fields: {
            text: e.fields.text, source: e.fields.source, big: e.fields.big, score: e.fields.score, ok: e.fields.ok,
            words: e.fields.words, meta: e.fields.meta, ts: new Date(Number(v.micros[i] / 1000n)).toISOString(), amount: (docs[i].text.length / 4).toFixed(2),
          },
        })));
        assert.deepEqual(await collect(shard.texts({ start: 330, end: 340 })), rows.slice(330, 340).map((r) => ({ row: r.row, text: r.text })));
      } finally {
        await shard.close();
      }
    });
  }
});

describe('Arrow open reads metadata only', () => {
  const BATCH = 100;
  const COUNT = 6000;
  let bigFile: string;
  let bigStream: string;

  before(() => {
    const many = realDocuments(COUNT, 11);
    const whole = new A.Table({
      id: A.vectorFromArray(many.map((d) => d.id), new A.Utf8()),
      text: A.vectorFromArray(many.map((d) => d.text), new A.Utf8()),
    });
    const table = new A.Table(Array.from({ length: COUNT / BATCH }, (_, k) => whole.slice(k * BATCH, (k + 1) * BATCH).batches).flat());
    bigFile = write('many-batches.arrow', A.tableToIPC(table, 'file'));
    bigStream = write('many-batches-stream.arrow', A.tableToIPC(table, 'stream'));
  });

  for (const format of ['arrow-file', 'arrow-stream'] as const) {
    test(`${format}: open reads a small fraction of the file; a page reads one batch`, async () => {
      const path = format === 'arrow-file' ? bigFile : bigStream;
      const size = statSync(path).size;
      const opened = await spyOnReads(() => openArrowShard(path, format, {}));
      const shard: Shard = opened.value;
      try {
        assert.equal(shard.rowCount, COUNT);
        // 60 batches of ~70 KB each: metadata is a few hundred bytes per batch (plus probe slack).
        assert.ok(opened.bytes > 0);
        assert.ok(opened.bytes < size / 10, `open read ${opened.bytes} of ${size} bytes`);
        const page = await spyOnReads(() => shard.readRows(2 * BATCH + 10, 50));
        assert.equal(page.value.length, 50);
        assert.equal(page.value[0].fields.id, `doc-${2 * BATCH + 10}`);
        assert.ok(page.bytes < (size / (COUNT / BATCH)) * 2, `a 50-row page read ${page.bytes} bytes`);
      } finally {
        await shard.close();
      }
    });
  }
});

describe('broken and unusual Arrow shards', () => {
  test('a truncated file fails with a ShardError naming the file', async () => {
    const bytes = readFileSync(filePath);
    const path = write('truncated.arrow', bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await rejectsWithShardError(openArrowShard(path, 'arrow-file', {}), path, /does not end with the "ARROW1" magic: it is truncated.*re-export it/);
  });

  test('a corrupt footer fails with a ShardError', async () => {
    const bytes = Buffer.from(readFileSync(filePath));
    const footerLength = bytes.readInt32LE(bytes.length - 10);
    bytes.fill(0xab, bytes.length - 10 - footerLength, bytes.length - 10);
    const path = write('bad-footer.arrow', bytes);
    await rejectsWithShardError(openArrowShard(path, 'arrow-file', {}), path, /footer is corrupt/);
  });

  test('a footer length beyond the file fails with a ShardError', async () => {
    const bytes = Buffer.from(readFileSync(filePath));
    bytes.writeInt32LE(bytes.length, bytes.length - 10);
    const path = write('bad-footer-length.arrow', bytes);
    await rejectsWithShardError(openArrowShard(path, 'arrow-file', {}), path,
      /footer is corrupt or the file is truncated \(footer length \d+ does not fit/);
  });

  test('a record batch header overwritten with garbage fails with a ShardError', async () => {
    const bytes = Buffer.from(readFileSync(filePath));
    const reader = A.RecordBatchReader.from(readFileSync(filePath)) as A.RecordBatchFileReader;
    reader.open();
    const block = reader.footer!.getRecordBatch(3)!;
    bytes.fill(0x7f, block.offset + 8, block.offset + block.metaDataLength);
    const path = write('bad-batch.arrow', bytes);
    await rejectsWithShardError(openArrowShard(path, 'arrow-file', {}), path, /corrupt/);
  });

  test('garbage after the magic fails with a ShardError', async () => {
    const garbage = Buffer.from(docs.slice(0, 50).map((d) => d.text).join('\n'));
    const path = write('garbage.arrow', Buffer.concat([Buffer.from('ARROW1\0\0'), garbage]));
    await rejectsWithShardError(openArrowShard(path, 'arrow-file', {}), path, /ARROW1|corrupt|truncated/);
    const tiny = write('tiny.arrow', Buffer.from('ARROW1\0\0'));
    await rejectsWithShardError(openArrowShard(tiny, 'arrow-file', {}), tiny, /truncated/);
  });

  test('a truncated or garbled stream fails with a ShardError', async () => {
    const bytes = readFileSync(streamPath);
    const cut = write('cut-stream.arrow', bytes.subarray(0, Math.floor(bytes.length / 2)));
    await rejectsWithShardError(openArrowShard(cut, 'arrow-stream', {}), cut, /truncated or corrupt: the body of the record batch/);
    const garbled = Buffer.from(bytes);
    garbled.fill(0x41, 8, 200);
    const garbledPath = write('garbled-stream.arrow', garbled);
    await rejectsWithShardError(openArrowShard(garbledPath, 'arrow-stream', {}), garbledPath, /corrupt|truncated/);
    const empty = write('empty-stream.arrow', new Uint8Array(0));
    await rejectsWithShardError(openArrowShard(empty, 'arrow-stream', {}), empty, /empty/);
  });

  test('scanArrowTexts on a stream cut inside its last batch fails with a ShardError', async () => {
    const bytes = readFileSync(streamPath);
    // Drop the end-of-stream marker and the last 100 bytes of the last batch body.
    const cut = write('cut-tail.arrow', bytes.subarray(0, bytes.length - 108));
    await rejectsWithShardError(collect(scanArrowTexts({ path: cut, format: 'arrow-stream', textField: 'text' }, {})), cut, /truncated/);
  });

  test('compressed record batches (no codec here) fail at open with what to do', async () => {
    // flechette frames the buffers as ZSTD-compressed; an identity codec keeps the test free of zstd.
    F.setCompressionCodec(F.CompressionType.ZSTD, { encode: (bytes) => bytes, decode: (bytes) => bytes });
    const table = F.tableFromArrays({ text: docs.slice(0, 10).map((d) => d.text) }, { types: { text: F.utf8() } });
    const path = write('zstd.arrow', F.tableToIPC(table, { format: 'file', codec: F.CompressionType.ZSTD })!);
    await rejectsWithShardError(openArrowShard(path, 'arrow-file', {}), path, /compressed with ZSTD, which this reader cannot decompress; re-export it uncompressed/);
  });

  test('a missing file fails with a ShardError', async () => {
    const path = join(dir, 'no-such.arrow');
    await rejectsWithShardError(openArrowShard(path, 'arrow-file', {}), path, /cannot be opened/);
  });

  for (const format of ['file', 'stream'] as const) {
    test(`zero-row shards (${format}): a schema without batches, and only empty batches`, async () => {
      const schema = new A.Schema([new A.Field('text', new A.Utf8(), true)]);
      const emptyBatch = new A.Table({ text: A.vectorFromArray([] as string[], new A.Utf8()) }).batches;
      for (const [name, table] of [['no-batches', new A.Table(schema)], ['empty-batches', new A.Table([...emptyBatch, ...emptyBatch])]] as const) {
        const path = write(`${name}-${format}.arrow`, A.tableToIPC(table, format));
        const shard = await openArrowShard(path, format === 'file' ? 'arrow-file' : 'arrow-stream', {});
        try {
          assert.equal(shard.rowCount, 0);
          assert.deepEqual(shard.columns, [{ name: 'text', type: 'Utf8' }]);
          assert.deepEqual(await shard.readRows(0, 100), []);
          assert.deepEqual(await collect(shard.texts()), []);
        } finally {
          await shard.close();
        }
      }
    });
  }
});

describe('Arrow text field', () => {
  function shardOf(name: string, columns: Record<string, A.Vector>): string {
    return write(name, A.tableToIPC(new A.Table(columns), 'file'));
  }
  const texts = docs.slice(0, 20).map((d) => d.text);
  const ids = docs.slice(0, 20).map((d) => d.id);

  test('detects a common text name, else the first string column (LargeUtf8 and dictionary included)', async () => {
    const cases: Array<[Record<string, A.Vector>, string | undefined]> = [
      [{ id: A.vectorFromArray(ids, new A.Utf8()), content: A.vectorFromArray(texts, new A.LargeUtf8()) }, 'content'],
      [{ n: A.vectorFromArray(texts.map((t) => t.length), new A.Int32()), body: A.vectorFromArray(texts, new A.Dictionary(new A.Utf8(), new A.Int32())) }, 'body'],
      [{ n: A.vectorFromArray(texts.map((t) => t.length), new A.Int32()), label: A.vectorFromArray(ids, new A.LargeUtf8()) }, 'label'],
      [{ n: A.vectorFromArray(texts.map((t) => t.length), new A.Int32()) }, undefined],
    ];
    for (const [k, [columns, field]] of cases.entries()) {
      const shard = await openArrowShard(shardOf(`detect-${k}.arrow`, columns), 'arrow-file', {});
      try {
        assert.equal(shard.textField, field);
        const rows = await shard.readRows(0, 2);
        assert.equal(rows[1].text, field === undefined ? '' : String(rows[1].fields[field]));
        if (field !== undefined) assert.deepEqual(await collect(shard.texts({ end: 3 })), texts.slice(0, 3).map((text, row) => ({ row, text: field === 'label' ? ids[row] : text })));
        else assert.deepEqual(await collect(shard.texts({ end: 2 })), [{ row: 0, text: '' }, { row: 1, text: '' }]);
      } finally {
        await shard.close();
      }
    }
  });

  test('an override picks the column; setTextField switches it; an unknown name is a ShardError', async () => {
    const path = shardOf('override.arrow', {
      text: A.vectorFromArray(texts, new A.Utf8()),
      id: A.vectorFromArray(ids, new A.Utf8()),
      n: A.vectorFromArray(texts.map((t) => t.length), new A.Int32()),
    });
    const shard = await openArrowShard(path, 'arrow-file', { textField: 'id' });
    try {
      assert.equal(shard.textField, 'id');
      assert.equal((await shard.readRows(3, 1))[0].text, 'doc-3');
      shard.setTextField('n');
      assert.equal(shard.textField, 'n');
      assert.equal((await shard.readRows(3, 1))[0].text, String(texts[3].length));
      assert.deepEqual(await collect(shard.texts({ start: 3, end: 4 })), [{ row: 3, text: String(texts[3].length) }]);
      assert.equal(shard.source().textField, 'n');
      assert.throws(() => shard.setTextField('nope'), ShardError);
      assert.equal(shard.textField, 'n');
    } finally {
      await shard.close();
    }
    await rejectsWithShardError(openArrowShard(path, 'arrow-file', { textField: 'nope' }), path, /text field "nope" is not a column; columns are: text, id, n/);
  });
});
