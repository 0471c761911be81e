import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { computeRowFacts } from '../../../extension/core/curation/row-facts';
import { CancelledError } from '../../../extension/core/errors';
import type { OpenOptions, Shard } from '../../../extension/core/shard/types';
import { textHash } from '../../../extension/core/store/text-hash';
import { realDocuments, writeJsonlShard } from '../../fixtures/corpus';
import { openIndexed } from '../shard/helpers';

const dir = resolve(__dirname, '..', '..', '.tmp', 'curation', `row-facts-${process.pid}`);
const jsonlPath = join(dir, 'docs.jsonl');
const ROWS = 3000;

before(async () => {
  mkdirSync(dir, { recursive: true });
  await writeJsonlShard(jsonlPath, { count: ROWS }, 11);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Checks the facts of every row against the text readRows gives, and returns them. */
async function assertFactsMatchTexts(shard: Shard, options: Parameters<typeof computeRowFacts>[1] = {}) {
  const facts = await computeRowFacts(shard, options);
  assert.equal(facts.hashes.rowCount, shard.rowCount);
  assert.equal(facts.lengths.length, shard.rowCount);
  for (const row of await shard.readRows(0, shard.rowCount)) {
    assert.equal(facts.hashes.hex(row.row), textHash(row.text), `hash of row ${row.row}`);
    assert.equal(facts.lengths[row.row], row.text.length, `length of row ${row.row}`);
  }
  return facts;
}

async function withShard(path: string, options: OpenOptions, check: (shard: Shard) => Promise<void>): Promise<void> {
  const shard = await openIndexed(path, { cacheDir: join(dir, 'cache'), ...options });
  try {
    await check(shard);
  } finally {
    await shard.close();
  }
}

test('a JSONL shard gathers every row\'s text hash and length while it is indexed: no second pass', async () => {
  await withShard(jsonlPath, {}, async (shard) => {
    assert.ok(shard.textFacts?.(), 'the index pass gathered the facts');
    const progress: number[] = [];
    await assertFactsMatchTexts(shard, { onProgress: (p) => progress.push(p.done) });
    assert.deepEqual(progress, [ROWS]);
  });
});

test('gzipped JSONL gathers them too, from the decompressed data', async () => {
  const gz = join(dir, 'docs.jsonl.gz');
  writeFileSync(gz, gzipSync(readFileSync(jsonlPath)));
  await withShard(gz, {}, async (shard) => {
    assert.ok(shard.textFacts?.());
    await assertFactsMatchTexts(shard);
  });
});

test('without gathered facts (textFacts: false) the worker pass computes the same ones, with progress', async () => {
  const gathered = await openIndexed(jsonlPath);
  const fromIndex = await computeRowFacts(gathered);
  await gathered.close();
  await withShard(jsonlPath, { textFacts: false }, async (shard) => {
    assert.equal(shard.textFacts?.(), undefined);
    const progress: number[] = [];
    const facts = await assertFactsMatchTexts(shard, { onProgress: (p) => progress.push(p.done) });
    assert.deepEqual([...facts.hashes.values], [...fromIndex.hashes.values]);
    assert.deepEqual([...facts.lengths], [...fromIndex.lengths]);
    assert.equal(progress.at(-1), ROWS);
    assert.ok(progress.length > 1);
  });
});

test('after the text field is switched, the facts are of the new field (a worker pass), and of the old one again when switched back', async () => {
  await withShard(jsonlPath, {}, async (shard) => {
    shard.setTextField('source');
    assert.equal(shard.textFacts?.(), undefined, 'gathered facts are of "text", not "source"');
    const facts = await assertFactsMatchTexts(shard);
    assert.equal(facts.hashes.hex(0), textHash(String((await shard.readRows(0, 1))[0].fields.source)));
    shard.setTextField('text');
    assert.ok(shard.textFacts?.());
    await assertFactsMatchTexts(shard);
  });
});

test('a requested text field is hashed from the first row, also in rows that lack it or hold a number', async () => {
  const path = join(dir, 'mixed.jsonl');
  const docs = realDocuments(40, 3);
  const lines = docs.map((d, i) => JSON.stringify(i % 7 === 3 ? { id: d.id } : i % 11 === 5 ? { id: d.id, body: i } : { id: d.id, body: d.text }));
  writeFileSync(path, lines.join('\n') + '\n');
  await withShard(path, { textField: 'body' }, async (shard) => {
    assert.equal(shard.textField, 'body');
    assert.ok(shard.textFacts?.());
    const facts = await assertFactsMatchTexts(shard);
    assert.equal(facts.hashes.hex(3), textHash(''));
    assert.equal(facts.hashes.hex(5), textHash('5'));
  });
});

test('a shard whose first rows have no string column: the field chosen at the end gets a worker pass', async () => {
  const path = join(dir, 'late-text.jsonl');
  // More than one read chunk of number-only rows, so the first rows posted have no string column.
  const numbers = Array.from({ length: 120_000 }, (_, i) => JSON.stringify({ n: i }));
  const texts = realDocuments(20, 4).map((d) => JSON.stringify({ n: -1, text: d.text }));
  writeFileSync(path, [...numbers, ...texts].join('\n') + '\n');
  await withShard(path, {}, async (shard) => {
    assert.equal(shard.textField, 'text');
    assert.equal(shard.textFacts?.(), undefined, 'the index pass hashed no field');
    const facts = await computeRowFacts(shard);
    assert.equal(facts.hashes.hex(0), textHash(''));
    const last = (await shard.readRows(shard.rowCount - 1, 1))[0];
    assert.equal(facts.hashes.hex(last.row), textHash(last.text));
    assert.equal(facts.lengths[last.row], last.text.length);
  });
});

test('an Arrow shard has no index pass: the worker computes its facts', async () => {
  await withShard(resolve('examples', 'web-sample.arrow'), {}, async (shard) => {
    assert.equal(shard.textFacts?.(), undefined);
    await assertFactsMatchTexts(shard);
  });
});

test('the row-facts worker stops when cancelled', async () => {
  await withShard(jsonlPath, { textFacts: false }, async (shard) => {
    const controller = new AbortController();
    await assert.rejects(computeRowFacts(shard, { signal: controller.signal, onProgress: () => controller.abort() }), CancelledError);
  });
});
