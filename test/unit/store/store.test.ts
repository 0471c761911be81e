import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AnnotationStore, type AnnotationRow } from '../../../extension/core/store/store';
import { storeLocation } from '../../../extension/core/store/journal';
import { promptSha256, RowTextHashes, textHash } from '../../../extension/core/store/text-hash';
import { UserError } from '../../../extension/core/errors';
import { realDocuments } from '../../fixtures/corpus';

const TMP = resolve(__dirname, '..', '..', '.tmp', 'store');
const texts = realDocuments(200).map((doc) => doc.text);
let caseNo = 0;

/** A fresh folder with a (real-text) shard file in it; the store goes next to it. */
function newShard(rows = 50): { shard: string; rowTexts: string[] } {
  const dir = join(TMP, `case-${process.pid}-${++caseNo}`);
  mkdirSync(dir, { recursive: true });
  const shard = join(dir, 'docs.jsonl');
  const rowTexts = texts.slice(0, rows);
  writeFileSync(shard, rowTexts.map((text) => JSON.stringify({ text }) + '\n').join(''));
  return { shard, rowTexts };
}

const result = (row: number, rowTexts: string[], pYes: number, extra: Partial<{ offFormat: boolean; truncated: boolean }> = {}) => ({
  row, textHash: textHash(rowTexts[row]), pYes, pNo: Math.max(0, 0.9 - pYes), offFormat: false, truncated: false, ...extra,
});

before(() => mkdirSync(TMP, { recursive: true }));
after(() => {
  for (const name of readdirSync(TMP)) if (name.startsWith(`case-${process.pid}-`)) rmSync(join(TMP, name), { recursive: true, force: true });
});

test('textHash is the first 64 bits of SHA-256 over UTF-8, reproducible outside Shard Curator', () => {
  assert.equal(textHash('abc'), 'ba7816bf8f01cfea'); // FIPS 180-2 test vector
  for (const text of [texts[0], 'naïve café — 東京 🙂', '']) {
    assert.equal(textHash(text), createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex').slice(0, 16));
  }
  assert.notEqual(textHash(texts[0]), textHash(texts[0] + ' '));
  const hashes = RowTextHashes.fromTexts(texts.slice(0, 3));
  assert.deepEqual([0, 1, 2].map((row) => hashes.hex(row)), texts.slice(0, 3).map(textHash));
  assert.equal(promptSha256('abc'), createHash('sha256').update('abc').digest('hex'));
});

test('results round-trip through the journal: reopen sees every field, and the file is plain JSON Lines', async () => {
  const { shard, rowTexts } = newShard();
  const store = await AnnotationStore.open(shard);
  assert.equal(existsSync(store.location.dir), false, 'nothing is created before the first write');
  const run = store.beginAskllmRun({ model: 'qwen2.5:0.5b-instruct', modelDigest: 'sha256:abc', prompt: '###\n{text}\n###\nUseful?', options: { num_ctx: 2048 } });
  store.appendAskllm(run, result(0, rowTexts, 0.8));
  store.appendAskllm(run, result(3, rowTexts, 0.1, { offFormat: true, truncated: true }));
  store.close();

  const lines = readFileSync(store.location.journal, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(lines.map((r) => r.kind), ['header', 'askllm-run', 'askllm', 'askllm']);
  assert.equal(lines[0].format, 'shard-curator-annotations');
  assert.equal(lines[1].promptSha256, promptSha256('###\n{text}\n###\nUseful?'));
  assert.equal(lines[3].textHash, textHash(rowTexts[3]));

  const again = await AnnotationStore.open(shard);
  const current = RowTextHashes.fromTexts(rowTexts);
  const scores = again.askllmScores(run, current);
  assert.equal(scores[0], 0.8);
  assert.equal(scores[3], 0.1);
  assert.ok(Number.isNaN(scores[1]));
  assert.deepEqual(again.latestAskllmRun(), run);
  const detail = again.rowAnnotations(3, current);
  assert.deepEqual(detail.askllm, [{ model: run.model, promptSha256: run.promptSha256, pYes: 0.1, pNo: 0.8, normalized: 0.1 / 0.9, offFormat: true, truncated: true }]);
  assert.equal(detail.textHash, textHash(rowTexts[3]));
  assert.deepEqual(again.problems, []);
  again.close();
});

test('later records win for the same row and fingerprint; a failure does not hide a valid score', async () => {
  const { shard, rowTexts } = newShard();
  const store = await AnnotationStore.open(shard);
  const run = store.beginAskllmRun({ model: 'm', modelDigest: null, prompt: 'p {text}' });
  store.appendAskllm(run, result(5, rowTexts, 0.2));
  store.appendAskllm(run, result(5, rowTexts, 0.7));
  store.appendAskllmFailure(run, { row: 5, textHash: textHash(rowTexts[5]), reason: 'HTTP 500' });
  store.appendAskllmFailure(run, { row: 6, textHash: textHash(rowTexts[6]), reason: 'timeout after 60 s' });
  store.close();
  const again = await AnnotationStore.open(shard);
  const current = RowTextHashes.fromTexts(rowTexts);
  assert.equal(again.askllmScores(run, current)[5], 0.7);
  assert.deepEqual(again.rowAnnotations(6, current).askllmFailures, [{ model: 'm', promptSha256: run.promptSha256, reason: 'timeout after 60 s' }]);
  assert.deepEqual(again.rowAnnotations(5, current).askllmFailures, []);
  assert.deepEqual(again.listFingerprints(current).map(({ scored, failed }) => ({ scored, failed })), [{ scored: 1, failed: 1 }]);
  again.close();
});

test('a torn last record is ignored on load, and the next append leaves it on a line of its own', async () => {
  const { shard, rowTexts } = newShard();
  const store = await AnnotationStore.open(shard);
  const run = store.beginAskllmRun({ model: 'm', modelDigest: null, prompt: 'p {text}' });
  store.appendAskllm(run, result(1, rowTexts, 0.5));
  store.close();
  // What a crash inside a write leaves: the start of a record, no newline.
  const whole = JSON.stringify({ kind: 'askllm', run: run.run, row: 2, textHash: textHash(rowTexts[2]), model: 'm', promptSha256: run.promptSha256, pYes: 0.9, pNo: 0.1, normalized: 0.9, offFormat: false, truncated: false });
  appendFileSync(store.location.journal, whole.slice(0, 60));

  const reopened = await AnnotationStore.open(shard);
  const current = RowTextHashes.fromTexts(rowTexts);
  assert.equal(reopened.tornTailBytes, 60);
  assert.deepEqual(reopened.problems, []);
  assert.ok(Number.isNaN(reopened.askllmScores(run, current)[2]));
  reopened.appendAskllm(run, result(4, rowTexts, 0.3));
  reopened.close();

  const lines = readFileSync(reopened.location.journal, 'utf8').split('\n');
  assert.equal(lines.at(-1), '', 'the file ends with a newline again');
  assert.equal(lines.at(-3), whole.slice(0, 60), 'the fragment is kept on its own line');
  const last = await AnnotationStore.open(shard);
  assert.equal(last.tornTailBytes, 0);
  assert.equal(last.askllmScores(run, current)[4], 0.3);
  assert.equal(last.askllmScores(run, current)[1], 0.5);
  assert.equal(last.problems.length, 1);
  assert.equal(last.problems[0].line, 4);
  assert.match(last.problems[0].error, /not valid JSON/);
  last.close();
});

test('malformed lines in the middle are reported with their line numbers and skipped, not fatal', async () => {
  const { shard, rowTexts } = newShard();
  const store = await AnnotationStore.open(shard);
  const run = store.beginAskllmRun({ model: 'm', modelDigest: null, prompt: 'p {text}' });
  store.appendAskllm(run, result(0, rowTexts, 0.5));
  store.close();
  appendFileSync(store.location.journal, '{"kind":"askllm","row":"seven"}\n[1,2]\n{oops\n{"kind":"from-the-future","x":1}\n');
  const again = await AnnotationStore.open(shard);
  again.appendAskllm(run, result(9, rowTexts, 0.25));
  const current = RowTextHashes.fromTexts(rowTexts);
  assert.equal(again.askllmScores(run, current)[9], 0.25);
  assert.deepEqual(again.problems.map((p) => p.line), [4, 5, 6]);
  assert.match(again.problems[0].error, /askllm record: bad or missing "run"/);
  assert.match(again.problems[1].error, /not a JSON object/);
  again.close();
});

test('results for a row whose text changed are hidden everywhere, and the row is scored again on resume', async () => {
  const { shard, rowTexts } = newShard(20);
  const store = await AnnotationStore.open(shard);
  const run = store.beginAskllmRun({ model: 'm', modelDigest: null, prompt: 'p {text}' });
  for (let row = 0; row < 10; row++) store.appendAskllm(run, result(row, rowTexts, row / 10));
  store.setOverrides([3, 4], [textHash(rowTexts[3]), textHash(rowTexts[4])], 'drop');
  const edited = [...rowTexts];
  edited[3] = rowTexts[3] + ' (edited)';
  const current = RowTextHashes.fromTexts(edited);
  assert.ok(Number.isNaN(store.askllmScores(run, current)[3]));
  assert.equal(store.askllmScores(run, current)[2], 0.2);
  assert.deepEqual([...store.overrides(current)].slice(0, 6), [0, 0, 0, 0, -1, 0]);
  assert.deepEqual(store.rowAnnotations(3, current), { row: 3, textHash: textHash(edited[3]), askllm: [], askllmFailures: [], density: null, override: null });
  const rows = [...store.annotationRows(current)];
  assert.equal(rows.some((r) => r.row === 3), false);
  assert.deepEqual(rows.find((r) => r.row === 4), { row: 4, askllm: 0.4, density: null, override: 'drop' });
  const mask = store.scoredRows(run, current);
  assert.deepEqual([...mask].flatMap((scored, row) => (scored ? [] : [row])), [3, ...Array.from({ length: 10 }, (_, i) => 10 + i)]);
  store.close();
});

test('different models and prompts coexist; changing the prompt scores again without losing the old results', async () => {
  const { shard, rowTexts } = newShard();
  const store = await AnnotationStore.open(shard);
  const a = store.beginAskllmRun({ model: 'llama3.2:1b', modelDigest: null, prompt: 'A {text}' });
  const b = store.beginAskllmRun({ model: 'llama3.2:1b', modelDigest: null, prompt: 'B {text}' });
  const c = store.beginAskllmRun({ model: 'qwen2.5:1.5b', modelDigest: null, prompt: 'A {text}' });
  store.appendAskllm(a, result(0, rowTexts, 0.1));
  store.appendAskllm(b, result(0, rowTexts, 0.2));
  store.appendAskllm(c, result(0, rowTexts, 0.3));
  store.appendAskllm(a, result(1, rowTexts, 0.4));
  store.close();
  const again = await AnnotationStore.open(shard);
  const current = RowTextHashes.fromTexts(rowTexts);
  assert.deepEqual([a, b, c].map((run) => again.askllmScores(run, current)[0]), [0.1, 0.2, 0.3]);
  assert.deepEqual(again.scoredRows(b, current).slice(0, 2), new Uint8Array([1, 0]));
  assert.deepEqual(again.listFingerprints().map((f) => [f.model, f.promptSha256 === promptSha256('A {text}'), f.scored, f.latestRun?.run]), [
    ['llama3.2:1b', true, 2, a.run], ['llama3.2:1b', false, 1, b.run], ['qwen2.5:1.5b', true, 1, c.run],
  ]);
  assert.deepEqual(again.rowAnnotations(0, current).askllm.map((s) => s.pYes), [0.1, 0.2, 0.3]);
  again.close();
});

test('overrides are set, cleared, and survive reopening', async () => {
  const { shard, rowTexts } = newShard();
  const current = RowTextHashes.fromTexts(rowTexts);
  const store = await AnnotationStore.open(shard);
  store.setOverrides([1, 2, 3], current, 'keep');
  store.setOverrides([2], current, 'drop');
  store.setOverrides([3], current, null);
  const many = Array.from({ length: 45 }, (_, i) => i + 5);
  store.setOverrides(many, current, 'drop');
  store.close();
  const again = await AnnotationStore.open(shard);
  const decisions = again.overrides(current);
  assert.deepEqual([...decisions.slice(0, 6)], [0, 1, -1, 0, 0, -1]);
  assert.equal(decisions.filter((d) => d === -1).length, 46);
  assert.equal(again.rowAnnotations(1, current).override, 'keep');
  assert.equal(again.rowAnnotations(3, current).override, null);
  again.close();
});

test('density runs round-trip through their Arrow side file; stale rows and unreadable files are handled', async () => {
  const { shard, rowTexts } = newShard(30);
  const current = RowTextHashes.fromTexts(rowTexts);
  const store = await AnnotationStore.open(shard);
  const density = Float64Array.from(rowTexts, (text) => 1 + (text.length % 17));
  const ipsWeight = density.map((d) => 1 / d);
  const first = store.writeDensity({ embedder: 'builtin-hashed-256', params: { R: 100, B: 2000, K: 2, seed: 1 }, rows: Uint32Array.from(rowTexts, (_, i) => i), textHashes: current.values, density, ipsWeight });
  assert.equal(first.file, `density-${first.run}.arrow`);
  assert.ok(existsSync(join(store.location.dir, first.file)));
  assert.deepEqual(readdirSync(store.location.dir).filter((f) => f.endsWith('.tmp')), []);
  store.close();

  const edited = [...rowTexts];
  edited[7] = 'A different text.';
  const again = await AnnotationStore.open(shard);
  const values = again.densityScores(RowTextHashes.fromTexts(edited));
  assert.equal(values.density[0], density[0]);
  assert.equal(values.ipsWeight[29], ipsWeight[29]);
  assert.ok(Number.isNaN(values.density[7]));
  assert.deepEqual(again.rowAnnotations(2, current).density, { density: density[2], ipsWeight: ipsWeight[2], run: first.run, embedder: 'builtin-hashed-256' });
  // A second run over a subset of rows replaces the first.
  const second = again.writeDensity({ embedder: 'ollama:nomic-embed-text', params: {}, rows: Uint32Array.of(4, 0), textHashes: BigUint64Array.of(current.values[4], current.values[0]), density: Float64Array.of(9, 8), ipsWeight: Float64Array.of(1 / 9, 1 / 8) });
  assert.equal(again.latestDensityRun()?.run, second.run);
  assert.deepEqual([...again.densityScores(current).density.slice(0, 5)], [8, NaN, NaN, NaN, 9]);
  again.close();

  unlinkSync(join(again.location.dir, second.file));
  const third = await AnnotationStore.open(shard);
  assert.equal(third.latestDensityRun()?.run, first.run, 'falls back to the newest readable run');
  assert.match(third.problems[0].error, new RegExp(`density run ${second.run}: cannot read ${second.file}`));
  third.close();
});

test('annotations rows: row order, only annotated rows, nulls for missing, the latest run by default', async () => {
  const { shard, rowTexts } = newShard(10);
  const current = RowTextHashes.fromTexts(rowTexts);
  const store = await AnnotationStore.open(shard);
  const older = store.beginAskllmRun({ model: 'm', modelDigest: null, prompt: 'old {text}' });
  store.appendAskllm(older, result(8, rowTexts, 0.5));
  const latest = store.beginAskllmRun({ model: 'm', modelDigest: null, prompt: 'new {text}' });
  store.appendAskllm(latest, result(6, rowTexts, 0.25));
  store.setOverrides([2], current, 'keep');
  store.writeDensity({ embedder: 'e', params: {}, rows: Uint32Array.of(6, 9), textHashes: BigUint64Array.of(current.values[6], current.values[9]), density: Float64Array.of(3, 4), ipsWeight: Float64Array.of(1 / 3, 1 / 4) });
  const expected: AnnotationRow[] = [
    { row: 2, askllm: null, density: null, override: 'keep' },
    { row: 6, askllm: 0.25, density: 3, override: null },
    { row: 9, askllm: null, density: 4, override: null },
  ];
  assert.deepEqual([...store.annotationRows(current)], expected);
  assert.deepEqual([...store.annotationRows(current, older)].map((r) => [r.row, r.askllm]), [[2, null], [6, null], [8, 0.5], [9, null]]);
  store.close();
});

test('storeDir keeps the store elsewhere, named after the shard plus a hash of its path', async () => {
  const { shard } = newShard();
  assert.deepEqual(storeLocation(shard), { dir: `${shard}.curator`, journal: join(`${shard}.curator`, 'annotations.jsonl') });
  const elsewhere = join(TMP, `case-${process.pid}-${++caseNo}`);
  const other = newShard().shard; // same file name, another folder
  const a = storeLocation(shard, elsewhere);
  const b = storeLocation(other, elsewhere);
  assert.match(a.dir, /docs\.jsonl-[0-9a-f]{8}\.curator$/);
  assert.notEqual(a.dir, b.dir);
  assert.equal(storeLocation(join(shard, '..', 'docs.jsonl'), elsewhere).dir, a.dir);

  const store = await AnnotationStore.open(shard, { storeDir: elsewhere });
  store.setOverrides([0], ['0123456789abcdef'], 'drop');
  store.close();
  assert.ok(existsSync(a.journal));
  assert.equal(existsSync(`${shard}.curator`), false);
});

test('a store that cannot be written next to the shard fails with advice to use storeDir', async () => {
  const { shard } = newShard();
  writeFileSync(`${shard}.curator`, 'not a folder'); // as unwritable as a read-only folder, even for root
  const store = await AnnotationStore.open(shard);
  assert.throws(() => store.setOverrides([0], ['0123456789abcdef'], 'keep'), (err: unknown) => err instanceof UserError && /shardCurator\.storeDir.*--store DIR/.test(err.message));
});

test('a journal from a newer format version is refused with a clear message', async () => {
  const { shard } = newShard();
  const { dir, journal } = storeLocation(shard);
  mkdirSync(dir);
  writeFileSync(journal, JSON.stringify({ kind: 'header', format: 'shard-curator-annotations', version: 99, created: 'x', shard: {} }) + '\n');
  await assert.rejects(AnnotationStore.open(shard), /newer Shard Curator \(store format 99/);
});

function runChild(shard: string, label: string, count: number, batch = 0): { child: ChildProcess; acked: () => number; done: Promise<number | null> } {
  const ackFile = `${shard}.${label}.acks`;
  writeFileSync(ackFile, '');
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'append-child.ts'), shard, label, String(count), String(batch), ackFile], { stdio: 'inherit' });
  const done = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
  const acked = () => {
    const lines = readFileSync(ackFile, 'utf8').split('\n').slice(0, -1); // the last entry may be cut short
    return lines.length ? Number(lines.at(-1)) : -1;
  };
  return { child, acked, done };
}

test('kill -9 in the middle of a stream of appends loses nothing whose write had returned', async () => {
  const { shard } = newShard();
  const writer = runChild(shard, 'killed', 1_000_000);
  while (writer.acked() < 3000) await new Promise((r) => setTimeout(r, 20));
  writer.child.kill('SIGKILL');
  await writer.done;
  const acked = writer.acked();
  const store = await AnnotationStore.open(shard);
  const run = store.latestAskllmRun()!;
  const hashes = RowTextHashes.fromTexts(Array.from({ length: acked + 200_000 }, (_, row) => texts[row % texts.length]));
  const mask = store.scoredRows(run, hashes);
  const firstMissing = mask.indexOf(0);
  assert.ok(firstMissing > acked, `row ${acked} was acknowledged, first missing row is ${firstMissing}`);
  assert.equal(mask.subarray(firstMissing).indexOf(1), -1, 'the scored rows are exactly a prefix');
  assert.deepEqual(store.problems, []);
  store.close();
});

test('two processes appending to the same store at the same time produce only whole lines', async () => {
  const { shard } = newShard();
  // Override lines of 1000 rows are ~25 KB, far beyond PIPE_BUF: whole-line appends must not rely on it.
  const writers = [runChild(shard, 'first', 600, 1000), runChild(shard, 'second', 600, 1000)];
  assert.deepEqual(await Promise.all(writers.map((w) => w.done)), [0, 0]);
  const store = await AnnotationStore.open(shard);
  assert.deepEqual(store.problems, []);
  assert.equal(store.tornTailBytes, 0);
  const hashes = RowTextHashes.fromTexts(Array.from({ length: 600 }, (_, row) => texts[row % texts.length]));
  for (const run of store.askllmRuns()) assert.equal(store.scoredRows(run, hashes).indexOf(0), -1, `${run.model}: every row`);
  assert.equal(store.askllmRuns().length, 2);
  const lines = readFileSync(store.location.journal, 'utf8').split('\n');
  assert.equal(lines.filter((line) => line.startsWith('{"kind":"header"')).length, 1);
  assert.equal(lines.filter((line) => line.startsWith('{"kind":"override"')).length, 2 * 60);
  store.close();
});

test('reload picks up records another process appended and reports what changed', async () => {
  const { shard, rowTexts } = newShard();
  const viewer = await AnnotationStore.open(shard);
  const changes: Array<{ kinds: string[]; rows: number[] | undefined }> = [];
  viewer.onDidChange((change) => changes.push(change));
  const writer = await AnnotationStore.open(shard);
  const run = writer.beginAskllmRun({ model: 'm', modelDigest: null, prompt: 'p {text}' });
  writer.appendAskllm(run, result(7, rowTexts, 0.6));
  writer.close();
  const current = RowTextHashes.fromTexts(rowTexts);
  assert.ok(Number.isNaN(viewer.askllmScores(run, current)[7]));
  await viewer.reload();
  assert.equal(viewer.askllmScores(run, current)[7], 0.6);
  assert.deepEqual(changes, [{ kinds: ['askllm-run', 'askllm'], rows: [7] }]);
  await viewer.reload();
  assert.equal(changes.length, 1, 'nothing new, no event');
  viewer.close();
});

test('watchJournal reloads by itself when another process writes', async () => {
  const { shard, rowTexts } = newShard();
  const writer = await AnnotationStore.open(shard);
  writer.setOverrides([1], [textHash(rowTexts[1])], 'keep'); // the store folder exists before the viewer watches it
  const viewer = await AnnotationStore.open(shard);
  viewer.watchJournal();
  const changed = new Promise((resolveChange) => viewer.onDidChange(resolveChange));
  writer.setOverrides([2], [textHash(rowTexts[2])], 'drop');
  const keepAlive = setTimeout(() => undefined, 10_000); // the watcher itself does not hold the process open
  assert.deepEqual(await changed, { kinds: ['override'], rows: [2] });
  clearTimeout(keepAlive);
  assert.equal(viewer.rowAnnotations(2, RowTextHashes.fromTexts(rowTexts)).override, 'drop');
  writer.close();
  viewer.close();
});

test('watchJournal started before the store folder exists follows the first writer', async () => {
  const { shard, rowTexts } = newShard();
  const viewer = await AnnotationStore.open(shard); // no store folder yet: an editor opened on a fresh shard
  viewer.watchJournal();
  const changed = new Promise((resolveChange) => viewer.onDidChange(resolveChange));
  const writer = await AnnotationStore.open(shard); // e.g. the CLI, in another process
  writer.setOverrides([3], [textHash(rowTexts[3])], 'keep');
  const keepAlive = setTimeout(() => undefined, 10_000);
  assert.deepEqual(await changed, { kinds: ['override'], rows: [3] });
  clearTimeout(keepAlive);
  writer.close();
  viewer.close();
});
