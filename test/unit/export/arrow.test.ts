import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import * as F from '@uwdata/flechette';
import { exportCurated, proposeExportPaths } from '../../../extension/core/export';
import { openShard } from '../../../extension/core/shard/open';
import type { Row } from '../../../extension/core/shard/types';
import { UserError } from '../../../extension/core/errors';
import { realDocuments } from '../../fixtures/corpus';
import { decisionsOf, lines, randomMask, sha256, tempDir } from './helpers';

const ROWS = 1500;
/** Uneven record batches, one empty: 1, 499, 0, 700, 300 rows. */
const CUTS = [0, 1, 500, 500, 1200, 1500];
const docs = realDocuments(ROWS, 8);

let dir: string;
let cleanup: () => void;
let filePath: string;
let streamPath: string;

function bigints(type: A.DataType, values: bigint[]): A.Vector {
  return A.makeVector(A.makeData({ type, length: values.length, data: BigInt64Array.from(values) } as never));
}

/** Real text in the column types shards use: dictionaries, nulls, 64-bit ints, lists, structs, maps. */
function sourceTable(): A.Table {
  const utf8Item = new A.Field('item', new A.Utf8(), true);
  const whole = new A.Table({
    id: A.vectorFromArray(docs.map((d) => d.id), new A.Utf8()),
    text: A.vectorFromArray(docs.map((d, i) => (i % 97 === 5 ? null : d.text)), new A.LargeUtf8()),
    source: A.vectorFromArray(docs.map((d, i) => (i % 13 === 0 ? null : d.source)), new A.Dictionary(new A.Utf8(), new A.Int32())),
    chars: A.vectorFromArray(docs.map((d) => d.text.length), new A.Int32()),
    big: A.vectorFromArray(docs.map((d, i) => (i % 7 === 0 ? null : i === 1 ? 2n ** 62n + 1n : BigInt(d.text.length) * -(2n ** 40n))), new A.Int64()),
    score: A.vectorFromArray(docs.map((d, i) => (i % 5 === 0 ? null : d.text.length / 1000)), new A.Float64()),
    ok: A.vectorFromArray(docs.map((d, i) => (i % 11 === 0 ? null : d.source === 'brown')), new A.Bool()),
    nothing: A.vectorFromArray(docs.map(() => null), new A.Null()),
    ts: bigints(new A.TimestampMicrosecond('UTC'), docs.map((_, i) => 1_700_000_000_000_000n + BigInt(i) * 1_000_001n)),
    raw: A.vectorFromArray(docs.map((d) => new Uint8Array(Buffer.from(d.id))), new A.Binary()),
    words: A.vectorFromArray(docs.map((d, i) => (i % 11 === 0 ? null : i % 17 === 0 ? [] : d.text.split(' ').slice(0, 1 + (i % 4)))), new A.List(utf8Item)),
    pair: A.vectorFromArray(docs.map((_, i) => [i, i + 0.25]), new A.FixedSizeList(2, new A.Field('item', new A.Float64(), true))),
    meta: A.vectorFromArray(docs.map((d, i) => (i % 19 === 0 ? null : { source: d.source, n: i % 4 === 0 ? null : i })),
      new A.Struct([new A.Field('source', new A.Utf8(), true), new A.Field('n', new A.Int32(), true)])),
    counts: A.vectorFromArray(docs.map((d) => new Map([['chars', d.text.length], ['words', d.text.split(' ').length]])),
      new A.Map_(new A.Field('entries', new A.Struct<{ key: A.Utf8; value: A.Int32 }>([new A.Field('key', new A.Utf8(), false), new A.Field('value', new A.Int32(), true)]), false))),
  });
  const batches = CUTS.slice(1).flatMap((end, k) => whole.slice(CUTS[k], end).batches);
  // Schema and field metadata, as Hugging Face datasets writes them (`huggingface` key).
  const fields = whole.schema.fields.map((f) => (f.name === 'text' ? new A.Field(f.name, f.type, f.nullable, new Map([['role', 'document']])) : f));
  const schema = new A.Schema(fields, new Map([['huggingface', '{"info":{"features":{}}}']]));
  return new A.Table(schema, batches.map((b) => new A.RecordBatch(schema, b.data)));
}

before(() => {
  ({ dir, cleanup } = tempDir('arrow'));
  const table = sourceTable();
  assert.deepEqual(table.batches.map((b) => b.numRows), [1, 499, 0, 700, 300]);
  filePath = join(dir, 'shard.arrow');
  streamPath = join(dir, 'shard-stream.arrows');
  writeFileSync(filePath, A.tableToIPC(table, 'file'));
  writeFileSync(streamPath, A.tableToIPC(table, 'stream'));
});
after(() => cleanup());

async function rowsOf(path: string): Promise<Row[]> {
  const shard = await openShard(path);
  try {
    return await shard.readRows(0, shard.rowCount);
  } finally {
    await shard.close();
  }
}

function describeSchema(schema: A.Schema | F.Schema): unknown {
  return schema.fields.map((f) => ({ name: f.name, nullable: f.nullable, metadata: [...(f.metadata ?? new Map())] }));
}

/** Flechette's reading of the rows, JSON-comparable (bigints as strings, binary as bytes). */
function flechetteRows(bytes: Uint8Array): unknown[] {
  const table = F.tableFromIPC(bytes, { useBigInt: true, useMap: true });
  return JSON.parse(JSON.stringify(table.toArray(), (_key, value: unknown) => {
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Map) return [...value];
    if (ArrayBuffer.isView(value)) return [...(value as Uint8Array)];
    return value;
  })) as unknown[];
}

describe('Arrow export', () => {
  for (const input of ['file', 'stream'] as const) {
    test(`Arrow ${input} -> Arrow file: same schema, dictionaries and metadata; the kept rows' values, read by apache-arrow and flechette`, async () => {
      const path = input === 'file' ? filePath : streamPath;
      const keep = randomMask(ROWS, 0.3, input === 'file' ? 3 : 4);
      keep[0] = 1;
      const { output } = proposeExportPaths(path, input === 'file' ? 'arrow-file' : 'arrow-stream');
      assert.ok(output.endsWith('.curated.arrow'));
      const { recipe } = await exportCurated({ shard: { path, format: input === 'file' ? 'arrow-file' : 'arrow-stream' }, decisions: decisionsOf(keep), output, recipe: {} });
      const keptRows = [...keep.keys()].filter((row) => keep[row] === 1);
      const written = readFileSync(output);
      assert.equal(written.subarray(0, 6).toString('latin1'), 'ARROW1');

      const source = A.tableFromIPC(readFileSync(path));
      const out = A.tableFromIPC(written);
      assert.equal(out.numRows, keptRows.length);
      assert.deepEqual(out.schema.fields.map((f) => `${f.name}: ${String(f.type)}`), source.schema.fields.map((f) => `${f.name}: ${String(f.type)}`));
      assert.deepEqual(describeSchema(out.schema), describeSchema(source.schema));
      assert.deepEqual([...out.schema.metadata], [...source.schema.metadata]);
      // The dictionary column is still dictionary-encoded, against the same dictionary.
      const dictionary = out.getChild('source')!.data[0].dictionary!;
      assert.deepEqual(dictionary.toArray(), source.getChild('source')!.data[1].dictionary!.toArray());
      // Batches keep their granularity: one output batch per source batch with kept rows.
      assert.ok(out.batches.length <= 4);

      const sourceRows = await rowsOf(path);
      const outRows = await rowsOf(output);
      assert.deepEqual(outRows.map((r) => r.fields), keptRows.map((row) => sourceRows[row].fields));

      const flechetteSource = flechetteRows(readFileSync(path));
      const flechetteOut = flechetteRows(written);
      assert.deepEqual(describeSchema(F.tableFromIPC(written).schema), describeSchema(source.schema));
      assert.deepEqual(flechetteOut, keptRows.map((row) => flechetteSource[row]));
      assert.equal(recipe.source.sha256, sha256(readFileSync(path)));
      assert.equal(recipe.output.sha256, sha256(written));
    });
  }

  test('whole batches and single runs (zero-copy slices) next to scattered rows', async () => {
    const keep = new Uint8Array(ROWS);
    keep.fill(1, 0, 500); // batches 1 and 2 whole
    keep.fill(1, 600, 900); // one run inside batch 4
    for (let row = 1200; row < ROWS; row += 3) keep[row] = 1; // scattered in batch 5
    const output = join(dir, 'runs.arrow');
    await exportCurated({ shard: { path: filePath, format: 'arrow-file' }, decisions: decisionsOf(keep), output, recipe: {} });
    const keptRows = [...keep.keys()].filter((row) => keep[row] === 1);
    const sourceRows = await rowsOf(filePath);
    assert.deepEqual((await rowsOf(output)).map((r) => r.fields), keptRows.map((row) => sourceRows[row].fields));
    assert.deepEqual(A.tableFromIPC(readFileSync(output)).batches.map((b) => b.numRows), [1, 499, 300, 100]);
  });

  test('withAnnotations appends Float64, Float64, Utf8, Utf8 columns; the dropped file adds _drop_reason', async () => {
    const keep = randomMask(ROWS, 0.4, 6);
    const decisions = decisionsOf(keep, [[2, 'keep'], [3, 'drop']]);
    const askllm = Float64Array.from({ length: ROWS }, (_, row) => (row % 3 === 0 ? NaN : row / ROWS));
    const output = join(dir, 'annotated.arrow');
    const droppedPath = join(dir, 'annotated.dropped.arrow');
    await exportCurated({
      shard: { path: filePath, format: 'arrow-file' }, decisions, output, droppedPath, withAnnotations: true, annotations: { askllm }, recipe: {},
    });
    const sourceRows = await rowsOf(filePath);
    for (const [path, decision] of [[output, 1], [droppedPath, 0]] as const) {
      const table = A.tableFromIPC(readFileSync(path));
      const extra = decision === 1 ? [] : ['_drop_reason: Utf8'];
      assert.deepEqual(table.schema.fields.slice(14).map((f) => `${f.name}: ${String(f.type)}`),
        ['askllm_p_yes: Float64', 'density: Float64', 'decision: Utf8', 'decision_source: Utf8', ...extra]);
      assert.deepEqual([...table.schema.metadata], [['huggingface', '{"info":{"features":{}}}']]);
      const rows = [...decisions.decision.keys()].filter((row) => decisions.decision[row] === decision);
      const outRows = await rowsOf(path);
      assert.equal(outRows.length, rows.length);
      outRows.forEach((out, i) => {
        const row = rows[i];
        const expected: Record<string, unknown> = {
          ...sourceRows[row].fields,
          askllm_p_yes: Number.isNaN(askllm[row]) ? null : askllm[row],
          density: null,
          decision: decision === 1 ? 'keep' : 'drop',
          decision_source: decisions.source[row] === 2 ? 'override' : 'sampler',
        };
        if (decision === 0) expected._drop_reason = row === 3 ? 'manual override' : 'sampler';
        assert.deepEqual(out.fields, expected);
      });
    }
  });

  test('Arrow -> JSONL writes one JSON object per kept row, from the row\'s JSON-safe values', async () => {
    const keep = randomMask(ROWS, 0.3, 7);
    keep[1] = 1;
    const output = join(dir, 'converted.jsonl');
    await exportCurated({ shard: { path: streamPath, format: 'arrow-stream' }, decisions: decisionsOf(keep), output, format: 'jsonl', withAnnotations: true, recipe: {} });
    const sourceRows = await rowsOf(streamPath);
    const keptRows = [...keep.keys()].filter((row) => keep[row] === 1);
    const parsed = lines(readFileSync(output)).map((line) => JSON.parse(line.toString('utf8')) as Record<string, unknown>);
    assert.deepEqual(parsed, keptRows.map((row): Record<string, unknown> => ({
      ...sourceRows[row].fields, askllm_p_yes: null, density: null, decision: 'keep', decision_source: 'sampler',
    })));
    // Int64 beyond 2^53 is written as its exact decimal string, as the editor shows it.
    assert.equal(parsed[keptRows.indexOf(1)].big, '4611686018427387905');
  });

  test('an annotation column the shard already has is refused, not duplicated', async () => {
    const path = join(dir, 'has-decision.arrow');
    writeFileSync(path, A.tableToIPC(new A.Table({ text: A.vectorFromArray(['a', 'b']), decision: A.vectorFromArray(['x', 'y']) }), 'file'));
    await assert.rejects(
      exportCurated({ shard: { path, format: 'arrow-file' }, decisions: decisionsOf(Uint8Array.of(1, 0)), output: join(dir, 'clash.arrow'), withAnnotations: true, recipe: {} }),
      (err: unknown) => err instanceof UserError && /already has a "decision" column/.test(err.message));
    await assert.rejects(
      exportCurated({ shard: { path, format: 'arrow-file' }, decisions: decisionsOf(Uint8Array.of(1, 0)), output: join(dir, 'clash.arrow.gz'), recipe: {} }),
      (err: unknown) => err instanceof UserError && /not gzipped/.test(err.message));
  });
});
