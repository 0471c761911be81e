import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as A from 'apache-arrow';
import { exportCurated, ExportVerificationError, type ExportCuratedOptions } from '../../../extension/core/export';
import { CancelledError, ShardError, UserError } from '../../../extension/core/errors';
import { JsonlShard, type JsonlRowIndex } from '../../../extension/core/shard/jsonl';
import { openShard } from '../../../extension/core/shard/open';
import { realDocuments, writeJsonlShard } from '../../fixtures/corpus';
import { decisionsOf, expectedJsonl, files, jsonlFixture, lines, randomMask, sha256, tempDir, type JsonlFixture } from './helpers';

const ROWS = 1200;
let dir: string;
let cleanup: () => void;
let fixture: JsonlFixture;
let shardPath: string;
let index: JsonlRowIndex;

/** Opens `path` as a shard, waits for its index and hands it over (it outlives the shard). */
async function rowIndexOf(path: string, cacheDir = join(dir, 'cache')): Promise<JsonlRowIndex> {
  const shard = await openShard(path, { cacheDir });
  try {
    await shard.indexed;
    assert.ok(shard instanceof JsonlShard);
    return shard.rowIndex();
  } finally {
    await shard.close();
  }
}

/** A mask keeping ~30% at random plus the awkward rows: the BOM line, invalid UTF-8, padding, a CRLF row, the last line. */
function mask(): Uint8Array {
  const keep = randomMask(ROWS, 0.3);
  for (const row of [0, 3, 4, 5, ROWS - 1]) keep[row] = 1;
  return keep;
}

/** The files in `dir` but the cache folder and the shards the tests made. */
function outputs(): string[] {
  return files(dir).filter((name) => name !== 'cache' && !name.startsWith('shard.'));
}

before(async () => {
  ({ dir, cleanup } = tempDir('indexed'));
  fixture = jsonlFixture(ROWS);
  shardPath = join(dir, 'shard.jsonl');
  writeFileSync(shardPath, fixture.content);
  index = await rowIndexOf(shardPath);
});
after(() => cleanup());

describe('JSONL export by the row index', () => {
  test('the row index is shared memory holding each row\'s offset and length in the data', () => {
    assert.equal(index.rowCount, ROWS);
    assert.ok(index.starts.buffer instanceof SharedArrayBuffer && index.lengths.buffer instanceof SharedArrayBuffer);
    assert.equal(index.dataPath, shardPath);
    assert.equal(index.dataBytes, fixture.content.length);
    assert.equal(index.malformedLines, fixture.malformed);
    assert.deepEqual(index.columnNames, ['id', 'text', 'source', 'chars']);
    // The BOM is before row 0, not part of it.
    assert.equal(index.starts[0], 3);
    fixture.rowBytes.forEach((bytes, row) => {
      const line = fixture.content.subarray(index.starts[row], index.starts[row] + index.lengths[row]);
      const body = bytes.subarray(0, bytes.length - (bytes.subarray(-2).toString() === '\r\n' ? 2 : bytes.subarray(-1).toString() === '\n' ? 1 : 0));
      assert.ok(line.equals(body), `row ${row}`);
    });
  });

  test('the output is the kept lines byte for byte (BOM dropped, CRLF kept, invalid UTF-8 kept, a final newline added), the same file the full scan writes', async () => {
    const keep = mask();
    const decisions = decisionsOf(keep, [[1, 'keep'], [2, 'drop']]);
    const fast = join(dir, 'fast.jsonl');
    const slow = join(dir, 'slow.jsonl');
    const fastResult = await exportCurated({ shard: { path: shardPath, format: 'jsonl' }, rowIndex: index, decisions, output: fast, recipe: {} });
    const slowResult = await exportCurated({ shard: { path: shardPath, format: 'jsonl' }, decisions, output: slow, recipe: {} });
    const written = readFileSync(fast);
    assert.ok(written.equals(expectedJsonl(fixture.rowBytes, (row) => decisions.decision[row] === 1)));
    assert.ok(written.equals(readFileSync(slow)));
    assert.ok(fixture.rowBytes[5].subarray(-2).equals(Buffer.from('\r\n')) && written.includes(fixture.rowBytes[5]));
    assert.ok(written.includes(fixture.rowBytes[3]) && written.includes(fixture.rowBytes[4]));
    assert.ok(written.subarray(0, fixture.rowBytes[0].length).equals(fixture.rowBytes[0]));
    assert.ok(written.subarray(-fixture.rowBytes[ROWS - 1].length - 1).equals(Buffer.concat([fixture.rowBytes[ROWS - 1], Buffer.from('\n')])));
    const { recipe } = fastResult;
    assert.deepEqual(recipe.rows, slowResult.recipe.rows);
    assert.deepEqual(recipe.rows, { input: ROWS, kept: decisions.kept, dropped: decisions.dropped, malformedSkipped: fixture.malformed });
    assert.equal(recipe.source.sha256, sha256(fixture.content));
    assert.equal(recipe.output.sha256, sha256(written));
    assert.equal(recipe.output.sha256, slowResult.recipe.output.sha256);
    assert.deepEqual(outputs(), ['fast.jsonl', 'fast.jsonl.recipe.json', 'slow.jsonl', 'slow.jsonl.recipe.json']);
  });

  test('keeping every row copies no malformed or blank line that sits between rows', async () => {
    const output = join(dir, 'all.jsonl');
    const { recipe } = await exportCurated({
      shard: { path: shardPath, format: 'jsonl' }, rowIndex: index, decisions: decisionsOf(new Uint8Array(ROWS).fill(1)), output, recipe: {}, force: true,
    });
    assert.ok(readFileSync(output).equals(expectedJsonl(fixture.rowBytes, () => true)));
    assert.equal(recipe.rows.malformedSkipped, fixture.malformed);
  });

  test('with annotations and a dropped-rows file, both files are byte for byte what the full scan writes', async () => {
    const decisions = decisionsOf(mask(), [[7, 'keep'], [8, 'drop']]);
    const askllm = Float64Array.from({ length: ROWS }, (_, row) => (row % 4 === 0 ? NaN : (row % 100) / 100));
    const density = Float64Array.from({ length: ROWS }, (_, row) => (row % 6 === 0 ? NaN : 1 + row / 7));
    const run = (name: string, rowIndex?: JsonlRowIndex) => exportCurated({
      shard: { path: shardPath, format: 'jsonl' }, rowIndex, decisions, output: join(dir, `${name}.jsonl`), droppedPath: join(dir, `${name}.dropped.jsonl.gz`),
      withAnnotations: true, annotations: { askllm, density }, recipe: {},
    });
    const fast = await run('annotated-fast', index);
    await run('annotated-slow');
    const fastKept = readFileSync(join(dir, 'annotated-fast.jsonl'));
    assert.ok(fastKept.equals(readFileSync(join(dir, 'annotated-slow.jsonl'))));
    const fastDropped = gunzipSync(readFileSync(join(dir, 'annotated-fast.dropped.jsonl.gz')));
    assert.ok(fastDropped.equals(gunzipSync(readFileSync(join(dir, 'annotated-slow.dropped.jsonl.gz')))));
    // And the files are what they should be, not only equal to each other.
    const keptLines = lines(fastKept);
    assert.equal(keptLines.length, decisions.kept);
    const first = JSON.parse(keptLines[0].toString('utf8')) as Record<string, unknown>;
    assert.deepEqual([first.id, first.askllm_p_yes, first.density, first.decision], [fixture.rowValues[0].id, null, null, 'keep']);
    const droppedLines = lines(fastDropped).map((line) => JSON.parse(line.toString('utf8')) as Record<string, unknown>);
    assert.equal(droppedLines.length, decisions.dropped);
    assert.ok(droppedLines.some((row) => row.id === fixture.rowValues[8].id && row._drop_reason === 'manual override'));
    assert.equal(fast.recipe.dropped?.rows, decisions.dropped);
    assert.equal(fast.recipe.output.withAnnotations, true);
  });

  test('gzipped shard: rows come from its decompressed cache, the recipe fingerprints the .gz', async () => {
    const gzPath = join(dir, 'shard.jsonl.gz');
    const compressed = gzipSync(fixture.content);
    writeFileSync(gzPath, compressed);
    const gzIndex = await rowIndexOf(gzPath);
    assert.equal(gzIndex.path, gzPath);
    assert.notEqual(gzIndex.dataPath, gzPath);
    assert.ok(gzIndex.dataPath.startsWith(join(dir, 'cache')));
    assert.ok(readFileSync(gzIndex.dataPath).equals(fixture.content));
    const keep = mask();
    const output = join(dir, 'from-gz.jsonl.gz');
    const { recipe } = await exportCurated({ shard: { path: gzPath, format: 'jsonl.gz' }, rowIndex: gzIndex, decisions: decisionsOf(keep), output, recipe: {} });
    const written = readFileSync(output);
    assert.ok(gunzipSync(written).equals(expectedJsonl(fixture.rowBytes, (row) => keep[row] === 1)));
    assert.deepEqual([recipe.source.path, recipe.source.format, recipe.source.bytes, recipe.source.sha256], [gzPath, 'jsonl.gz', compressed.length, sha256(compressed)]);
    assert.equal(recipe.output.sha256, sha256(written));
    assert.equal(recipe.rows.malformedSkipped, fixture.malformed);

    // The .gz touched since it was indexed: its cache no longer belongs to it.
    const later = new Date(Date.now() + 60_000);
    utimesSync(gzPath, later, later);
    await assert.rejects(
      exportCurated({ shard: { path: gzPath, format: 'jsonl.gz' }, rowIndex: gzIndex, decisions: decisionsOf(keep), output: join(dir, 'stale-gz.jsonl'), recipe: {} }),
      (err: unknown) => err instanceof ShardError && /shard\.jsonl\.gz: changed on disk since it was opened/.test(err.message));
    assert.ok(!outputs().includes('stale-gz.jsonl'));
  });

  test('a shard changed since it was indexed is reported, and nothing is left', async () => {
    const copy = join(dir, 'shard.changing.jsonl');
    // A whole-second mtime, so that it can be put back exactly after an edit.
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    writeFileSync(copy, fixture.content);
    utimesSync(copy, mtime, mtime);
    const copyIndex = await rowIndexOf(copy);
    const options = (output: string): ExportCuratedOptions => ({
      shard: { path: copy, format: 'jsonl' }, rowIndex: copyIndex, decisions: decisionsOf(new Uint8Array(ROWS).fill(1)), output, recipe: {},
    });
    // One byte of row 0 removed, one space added at the end: the same size, every later row one byte earlier.
    const cut = Number(copyIndex.starts[0]) + 1;
    const edited = Buffer.concat([fixture.content.subarray(0, cut), fixture.content.subarray(cut + 1), Buffer.from(' ')]);
    writeFileSync(copy, edited);

    // Its mtime tells.
    await assert.rejects(exportCurated(options(join(dir, 'edited.jsonl'))),
      (err: unknown) => err instanceof ShardError && /shard\.changing\.jsonl: changed on disk since it was opened \(it is not the file that was indexed/.test(err.message));
    // With the mtime put back, the rows' line endings tell: row 1 (a "\n" line) no longer ends where the index says.
    utimesSync(copy, mtime, mtime);
    await assert.rejects(exportCurated(options(join(dir, 'edited.jsonl'))),
      (err: unknown) => err instanceof ShardError && /changed on disk since it was opened \(row 1 no longer ends where the index says\)/.test(err.message));
    assert.deepEqual(outputs().filter((name) => name.includes('edited')), []);
  });

  test('a row that already has an added column is refused before anything is written', async () => {
    const path = join(dir, 'shard.clash.jsonl');
    const docs = realDocuments(20, 3);
    writeFileSync(path, docs.map((doc, i) => JSON.stringify(i === 13 ? { id: doc.id, text: doc.text, density: 2 } : { id: doc.id, text: doc.text })).join('\n'));
    await assert.rejects(
      exportCurated({ shard: { path, format: 'jsonl' }, rowIndex: await rowIndexOf(path), decisions: decisionsOf(new Uint8Array(20).fill(1)), output: join(dir, 'clash.jsonl'), withAnnotations: true, recipe: {} }),
      (err: unknown) => err instanceof UserError && /shard\.clash\.jsonl: a row already has a "density" column/.test(err.message));
    assert.ok(!outputs().some((name) => name.includes('clash')));
  });

  test('an index of another shard, or of another row count, is refused', async () => {
    const decisions = decisionsOf(mask());
    await assert.rejects(exportCurated({ shard: { path: join(dir, 'shard.jsonl.gz'), format: 'jsonl.gz' }, rowIndex: index, decisions, output: join(dir, 'x.jsonl'), recipe: {} }), RangeError);
    await assert.rejects(exportCurated({ shard: { path: shardPath, format: 'jsonl' }, rowIndex: index, decisions: decisionsOf(new Uint8Array(ROWS - 1)), output: join(dir, 'x.jsonl'), recipe: {} }), RangeError);
  });

  test('Arrow output from an indexed shard still converts every row', async () => {
    const keep = mask();
    const output = join(dir, 'indexed.arrow');
    await exportCurated({ shard: { path: shardPath, format: 'jsonl' }, rowIndex: index, decisions: decisionsOf(keep), output, format: 'arrow', recipe: {} });
    const table = A.tableFromIPC(readFileSync(output));
    const keptIds = fixture.rowValues.filter((_, row) => keep[row] === 1).map((value) => value.id);
    assert.deepEqual(table.getChild('id')!.toArray(), keptIds);
  });
});

describe('JSONL export by the row index, on a shard of several reads', () => {
  let bigDir: string;
  let bigCleanup: () => void;
  let bigPath: string;
  let bigIndex: JsonlRowIndex;
  let bigLines: Buffer[];

  before(async () => {
    ({ dir: bigDir, cleanup: bigCleanup } = tempDir('indexed-big'));
    bigPath = join(bigDir, 'big.jsonl');
    // ~13 MB: several 4 MB reads; one row of ~5 MB, longer than a read.
    await writeJsonlShard(bigPath, { targetBytes: 8_000_000 }, 21);
    const paragraphs = realDocuments(200, 22).map((doc) => doc.text).join('\n\n');
    const huge = JSON.stringify({ id: 'huge', text: paragraphs.repeat(Math.ceil(5_000_000 / paragraphs.length)) });
    assert.ok(huge.length > 5_000_000);
    appendFileSync(bigPath, `${huge}\n`);
    await writeJsonlShard(join(bigDir, 'tail.jsonl'), { targetBytes: 300_000 }, 23);
    appendFileSync(bigPath, readFileSync(join(bigDir, 'tail.jsonl')));
    bigLines = lines(readFileSync(bigPath));
    bigIndex = await rowIndexOf(bigPath, join(bigDir, 'cache'));
    assert.equal(bigIndex.rowCount, bigLines.length);
  });
  after(() => bigCleanup());

  test('sparse, dense and huge-row keeps give exactly the kept lines', async () => {
    const hugeRow = bigLines.findIndex((line) => line.subarray(0, 12).toString() === '{"id":"huge"');
    for (const [fraction, seed] of [[0.005, 1], [0.3, 2], [0.97, 3]] as const) {
      const keep = randomMask(bigIndex.rowCount, fraction, seed);
      keep[hugeRow] = seed === 2 ? 1 : 0;
      const output = join(bigDir, `keep-${seed}.jsonl`);
      const { recipe } = await exportCurated({ shard: { path: bigPath, format: 'jsonl' }, rowIndex: bigIndex, decisions: decisionsOf(keep), output, recipe: {} });
      const expected = Buffer.concat(bigLines.filter((_, row) => keep[row] === 1).map((line) => Buffer.concat([line, Buffer.from('\n')])));
      assert.ok(readFileSync(output).equals(expected), `keeping ${fraction}`);
      assert.equal(recipe.rows.kept, keep.reduce((sum, k) => sum + k, 0));
    }
  });

  test('cancel midway leaves no output, no recipe and no temporary file', async () => {
    const before = files(bigDir);
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(
      exportCurated({
        shard: { path: bigPath, format: 'jsonl' }, rowIndex: bigIndex, decisions: decisionsOf(randomMask(bigIndex.rowCount, 0.3, 4)),
        output: join(bigDir, 'cancelled.jsonl'), droppedPath: join(bigDir, 'cancelled.dropped.jsonl'), recipe: {}, signal: controller.signal,
        onProgress: (progress) => {
          seen = progress.rowsDone;
          if (progress.rowsDone > 0 && progress.rowsDone < progress.rowsTotal) controller.abort();
        },
      }),
      (err: unknown) => err instanceof CancelledError);
    assert.ok(seen > 0 && seen < bigIndex.rowCount, `cancelled after ${seen} of ${bigIndex.rowCount} rows`);
    assert.deepEqual(files(bigDir), before);
  });

  test('verification catches a written file whose lines or bytes differ from what was copied, and removes it', async () => {
    const before = files(bigDir);
    const damages: Array<[string, (temp: string) => void, RegExp]> = [
      ['torn', (temp) => appendFileSync(temp, '{"id": "torn", "text": "half a line\n'), /torn\.jsonl: the written file failed verification: it has \d+ lines, not \d+; it holds \d+ bytes, not the \d+ written/],
      ['cut', (temp) => truncateSync(temp, readFileSync(temp).length - 1), /cut\.jsonl: the written file failed verification: it has \d+ lines, not \d+; it holds \d+ bytes, not the \d+ written; its last line has no newline/],
      ['padded', (temp) => appendFileSync(temp, '   '), /padded\.jsonl: the written file failed verification: it holds \d+ bytes, not the \d+ written; its last line has no newline/],
    ];
    for (const [name, damage, message] of damages) {
      await assert.rejects(
        exportCurated({
          shard: { path: bigPath, format: 'jsonl' }, rowIndex: bigIndex, decisions: decisionsOf(randomMask(bigIndex.rowCount, 0.3, 5)), output: join(bigDir, `${name}.jsonl`), recipe: {},
          onProgress: (progress) => {
            if (progress.phase !== 'verifying') return;
            const temp = readdirSync(bigDir).find((file) => file.startsWith(`.${name}.jsonl.`) && file.endsWith('.partial'));
            assert.ok(temp, 'the temporary file is in the target folder');
            damage(join(bigDir, temp));
          },
        }),
        (err: unknown) => {
          assert.ok(err instanceof ExportVerificationError, String(err));
          assert.match(err.message, message);
          return true;
        });
    }
    assert.deepEqual(files(bigDir), before);
  });
});
