import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledError, ShardError } from '../../../extension/core/errors';
import type { JsonlShard } from '../../../extension/core/shard/jsonl';
import { openShard, scanTexts } from '../../../extension/core/shard/open';
import { MAX_MALFORMED_EXAMPLES, type IndexProgress } from '../../../extension/core/shard/types';
import { realDocuments, writeJsonlShard, type CorpusDocument } from '../../fixtures/corpus';
import { collect, openIndexed } from './helpers';

mkdirSync('test/.tmp', { recursive: true });
const dir = mkdtempSync(join('test/.tmp', 'shard-jsonl-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const docs = realDocuments(600, 3);
const line = (d: CorpusDocument) => JSON.stringify({ id: d.id, text: d.text, source: d.source });
const fields = (d: CorpusDocument) => ({ id: d.id, text: d.text, source: d.source });

let n = 0;
function file(content: string | Buffer, name = `f${n++}.jsonl`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function parseError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a parse error');
}

/** A ~40 MB shard of real text: large enough that the index is still being built when open resolves. */
let big: { path: string; rows: number };
before(async () => {
  const path = join(dir, 'big.jsonl');
  const { rows } = await writeJsonlShard(path, { targetBytes: 40e6 }, 5);
  big = { path, rows };
});

test('opens a real-text shard: row count, columns, text field and exact rows', async () => {
  const shard = await openIndexed(file(docs.map(line).join('\n') + '\n'));
  assert.equal(shard.format, 'jsonl');
  assert.equal(shard.rowCount, docs.length);
  assert.deepEqual(shard.columns, [{ name: 'id', type: 'string' }, { name: 'text', type: 'string' }, { name: 'source', type: 'string' }]);
  assert.equal(shard.textField, 'text');
  assert.deepEqual(shard.malformed, { count: 0, examples: [] });
  const rows = await shard.readRows(0, docs.length);
  assert.deepEqual(rows, docs.map((d, i) => ({ row: i, text: d.text, fields: fields(d) })));
  const tail = await shard.readRows(595, 50);
  assert.deepEqual(tail.map((r) => r.row), [595, 596, 597, 598, 599]);
  assert.deepEqual(await shard.readRows(600, 10), []);
  await shard.close();
});

test('malformed lines are reported with line number and parser message and are not rows; blank lines are skipped', async () => {
  const broken = `{"id": "x", "text": "${docs[1].text.slice(0, 40)}`;
  const unquoted = '{id: 1}';
  const lines = [
    line(docs[0]), // line 1 -> row 0
    broken, // 2
    '', // 3 blank
    '[1, 2]', // 4
    '   \t ', // 5 blank
    '42', // 6
    '"a string"', // 7
    'null', // 8
    line(docs[2]), // 9 -> row 1
    unquoted, // 10
    'true', // 11
    line(docs[3]), // 12 -> row 2
  ];
  const shard = await openIndexed(file(lines.join('\n') + '\n'));
  assert.equal(shard.rowCount, 3);
  assert.deepEqual((await shard.readRows(0, 3)).map((r) => r.fields), [fields(docs[0]), fields(docs[2]), fields(docs[3])]);
  assert.deepEqual([0, 1, 2].map((row) => (shard as JsonlShard).lineOf(row)), [1, 9, 12]);
  assert.deepEqual(shard.malformed, {
    count: 7,
    examples: [
      { line: 2, error: parseError(broken) },
      { line: 4, error: 'not a JSON object (array)' },
      { line: 6, error: 'not a JSON object (number)' },
      { line: 7, error: 'not a JSON object (string)' },
      { line: 8, error: 'not a JSON object (null)' },
      { line: 10, error: parseError(unquoted) },
      { line: 11, error: 'not a JSON object (boolean)' },
    ],
  });
  await shard.close();
});

test('malformed examples are capped, the count is not', async () => {
  const lines = [line(docs[0])];
  for (let i = 0; i < MAX_MALFORMED_EXAMPLES + 50; i++) lines.push(`{"text": ${i},`);
  const shard = await openIndexed(file(lines.join('\n')));
  assert.equal(shard.rowCount, 1);
  assert.equal(shard.malformed.count, MAX_MALFORMED_EXAMPLES + 50);
  assert.equal(shard.malformed.examples.length, MAX_MALFORMED_EXAMPLES);
  assert.equal(shard.malformed.examples.at(-1)?.line, MAX_MALFORMED_EXAMPLES + 1);
  await shard.close();
});

test('a UTF-8 BOM and CRLF line endings are handled', async () => {
  const some = docs.slice(0, 50);
  const shard = await openIndexed(file('\uFEFF' + some.map(line).join('\r\n') + '\r\n'));
  assert.equal(shard.rowCount, 50);
  assert.deepEqual((await shard.readRows(0, 50)).map((r) => r.fields), some.map(fields));
  assert.equal(shard.malformed.count, 0);
  await shard.close();
});

test('invalid UTF-8 is decoded with U+FFFD and the row stays valid', async () => {
  const bytes = Buffer.concat([Buffer.from('{"text": "Bad bytes '), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(' here"}\n'), Buffer.from(line(docs[4]) + '\n')]);
  const shard = await openIndexed(file(bytes));
  assert.equal(shard.rowCount, 2);
  const [row] = await shard.readRows(0, 1);
  assert.equal(row.text, 'Bad bytes \uFFFD\uFFFD\uFFFD here');
  assert.equal(shard.malformed.count, 0);
  await shard.close();
});

test('a 30 MB single line is one row', async () => {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < 30e6; i++) {
    const text = docs[i % docs.length].text;
    parts.push(text);
    length += text.length + 1;
  }
  const huge = parts.join(' ');
  const shard = await openIndexed(file(`${line(docs[5])}\n${JSON.stringify({ id: 'huge', text: huge })}\n${line(docs[6])}`));
  assert.equal(shard.rowCount, 3);
  const rows = await shard.readRows(0, 3);
  assert.equal(rows[1].text.length, huge.length);
  assert.equal(rows[1].text, huge);
  assert.deepEqual([rows[0].fields, rows[2].fields], [fields(docs[5]), fields(docs[6])]);
  const texts = await collect(scanTexts(shard.source()));
  assert.deepEqual(texts.map((t) => t.text.length), rows.map((r) => r.text.length));
  await shard.close();
});

test('empty, whitespace-only and only-malformed files open with 0 rows', async () => {
  for (const content of ['', ' \n\n\t\r\n  ']) {
    const shard = await openIndexed(file(content));
    assert.equal(shard.rowCount, 0);
    assert.deepEqual(shard.columns, []);
    assert.equal(shard.textField, undefined);
    assert.deepEqual(shard.malformed, { count: 0, examples: [] });
    assert.deepEqual(await shard.readRows(0, 10), []);
    assert.deepEqual(await collect(shard.texts()), []);
    await shard.close();
  }
  const shard = await openIndexed(file('{"text": "a"\n{"text": \n'));
  assert.equal(shard.rowCount, 0);
  assert.equal(shard.malformed.count, 2);
  assert.deepEqual(shard.malformed.examples.map((m) => m.line), [1, 2]);
  await shard.close();
});

test('the last line may lack its newline; a truncated final JSON line is malformed', async () => {
  const some = docs.slice(10, 13);
  const complete = await openIndexed(file(some.map(line).join('\n')));
  assert.equal(complete.rowCount, 3);
  assert.deepEqual((await complete.readRows(2, 1))[0].fields, fields(some[2]));
  await complete.close();

  const cut = line(docs[13]).slice(0, 57);
  const truncated = await openIndexed(file(some.map(line).join('\n') + '\n' + cut));
  assert.equal(truncated.rowCount, 3);
  assert.deepEqual(truncated.malformed.examples, [{ line: 4, error: parseError(cut) }]);
  await truncated.close();
});

test('columns are the union of keys in first-seen order with every JSON type seen', async () => {
  const rows = [
    { text: docs[0].text, score: 1 },
    { text: null, meta: { url: 'https://example.org' }, tags: ['a'] },
    { id: 3, text: docs[1].text, score: 'high', ok: true },
  ];
  const shard = await openIndexed(file(rows.map((r) => JSON.stringify(r)).join('\n')));
  assert.deepEqual(shard.columns, [
    { name: 'text', type: 'string|null' },
    { name: 'score', type: 'string|number' },
    { name: 'meta', type: 'object' },
    { name: 'tags', type: 'array' },
    { name: 'id', type: 'number' },
    { name: 'ok', type: 'boolean' },
  ]);
  assert.equal(shard.textField, 'text');
  assert.deepEqual((await shard.readRows(0, 3)).map((r) => r.text), [docs[0].text, '', docs[1].text]);
  shard.setTextField('meta');
  assert.equal((await shard.readRows(1, 1))[0].text, '{"url":"https://example.org"}');
  assert.throws(() => shard.setTextField('nope'), (err) => err instanceof ShardError && /text field "nope" is not a column/.test(err.message));
  await shard.close();
});

test('a requested text field is used, and one that is no column is refused', async () => {
  const path = file(docs.slice(0, 5).map(line).join('\n'));
  const shard = await openIndexed(path, { textField: 'source' });
  assert.equal(shard.textField, 'source');
  assert.deepEqual((await shard.readRows(0, 5)).map((r) => r.text), docs.slice(0, 5).map((d) => d.source));
  await shard.close();
  await assert.rejects(openShard(path, { textField: 'body' }), (err) => err instanceof ShardError && err.message.includes('text field "body" is not a column; columns are: id, text, source'));
});

test('a requested text field first seen after the first indexed rows is accepted', async () => {
  const early = realDocuments(3000, 8).map((d) => JSON.stringify({ id: d.id, text: d.text })); // a few MB: several chunks
  const late = JSON.stringify({ id: 'late', body: docs[7].text });
  const shard = await openShard(file([...early, late].join('\n')), { textField: 'body' });
  assert.equal(shard.textField, 'body');
  await shard.indexed;
  assert.deepEqual((await shard.readRows(0, 1))[0].text, '');
  assert.equal((await shard.readRows(early.length, 1))[0].text, docs[7].text);
  await shard.close();
});

test('scanTexts numbers rows exactly like readRows, from the start or a range', async () => {
  const lines: string[] = [];
  docs.forEach((d, i) => {
    lines.push(line(d));
    if (i % 7 === 0) lines.push('{"text": broken');
    if (i % 11 === 0) lines.push('');
  });
  const shard = await openIndexed(file(lines.join('\n')));
  assert.equal(shard.rowCount, docs.length);
  const rows = await shard.readRows(0, shard.rowCount);
  const expected = rows.map((r) => ({ row: r.row, text: r.text }));
  assert.deepEqual(await collect(scanTexts(shard.source())), expected);
  assert.deepEqual(await collect(scanTexts(shard.source(), { start: 100, end: 120 })), expected.slice(100, 120));
  assert.deepEqual(await collect(shard.texts()), expected);
  assert.deepEqual(await collect(shard.texts({ start: 333, end: 340 })), expected.slice(333, 340));
  assert.deepEqual(await collect(shard.texts({ start: 590 })), expected.slice(590));
  assert.deepEqual(await collect(shard.texts({ start: 700 })), []);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(collect(scanTexts(shard.source(), { signal: controller.signal })), CancelledError);
  await shard.close();
});

test('rows are readable before the index is complete, and progress is reported', async () => {
  const progress: IndexProgress[] = [];
  const shard = await openShard(big.path, { onProgress: (p) => progress.push({ ...p }) });
  const rowsAtOpen = shard.rowCount;
  assert.ok(rowsAtOpen > 0 && rowsAtOpen < big.rows, `open resolved with ${rowsAtOpen} of ${big.rows} rows`);
  const first = await shard.readRows(0, 10);
  assert.equal(first.length, 10);
  assert.equal(first[0].fields.id, 'doc-0');
  await shard.indexed;
  assert.equal(shard.rowCount, big.rows);
  assert.ok(progress.length >= 2);
  for (let i = 1; i < progress.length; i++) {
    assert.ok(progress[i].bytesDone >= progress[i - 1].bytesDone && progress[i].rows >= progress[i - 1].rows);
  }
  const last = progress.at(-1)!;
  assert.equal(last.rows, big.rows);
  assert.equal(last.bytesDone, last.bytesTotal);
  assert.equal(last.bytesTotal, shard.bytes);
  const [lastRow] = await shard.readRows(big.rows - 1, 1);
  assert.equal(lastRow.fields.id, `doc-${big.rows - 1}`);
  await shard.close();
});

test('cancel: before open, while opening, and while indexing after open', async () => {
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(openShard(big.path, { signal: aborted.signal }), CancelledError);

  const whileOpening = new AbortController();
  const opening = openShard(big.path, { signal: whileOpening.signal });
  whileOpening.abort();
  await assert.rejects(opening, CancelledError);

  const whileIndexing = new AbortController();
  const shard = await openShard(big.path, { signal: whileIndexing.signal });
  whileIndexing.abort();
  await assert.rejects(shard.indexed, CancelledError);
  assert.ok(shard.rowCount < big.rows);
  assert.equal((await shard.readRows(0, 1))[0].fields.id, 'doc-0');
  await shard.close();
});

test('missing files and folders are clear ShardErrors', async () => {
  const missing = join(dir, 'missing.jsonl');
  await assert.rejects(openShard(missing), (err) => err instanceof ShardError && err.message === `${missing}: no such file`);
  await assert.rejects(openShard(dir), (err) => err instanceof ShardError && err.message === `${dir}: is a folder, not a shard file`);
});
