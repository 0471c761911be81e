/**
 * The annotation store: appending Ask-LLM results (next to raw writeSync of the same bytes), loading
 * a 1M-record journal (next to reading + JSON.parse of the same file, both in children for peak RSS),
 * and the text hash and length of every row of a ~230 MB real-text shard, gathered by the index pass
 * (next to indexing followed by the separate worker pass, and to a plain read + JSON.parse).
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AnnotationStore } from '../../extension/core/store/store';
import { computeRowFacts } from '../../extension/core/curation/row-facts';
import { textHash } from '../../extension/core/store/text-hash';
import { openShard } from '../../extension/core/shard/open';
import { realDocuments } from '../fixtures/corpus';
import { BENCH_DIR, benchJsonlShard, inChild, parseEveryLine, parseInChild, timed, type Bench, type BenchResult } from './lib';

const APPENDS = 100_000;
const LOAD_RECORDS = 1_000_000;
const work = join(BENCH_DIR, 'store');

function freshShardPath(name: string): string {
  const shard = join(work, name);
  rmSync(`${shard}.curator`, { recursive: true, force: true });
  writeFileSync(shard, '');
  return shard;
}

/** Appends `count` results through the store; returns the journal path. */
async function appendResults(shard: string, count: number, hashes: string[]): Promise<{ ms: number; journal: string }> {
  const store = await AnnotationStore.open(shard);
  const run = store.beginAskllmRun({ model: 'qwen2.5:0.5b-instruct', modelDigest: 'sha256:a8b0c5157701', prompt: '###\n{text}\n###\n\nDoes the previous paragraph ...?\n\nOPTIONS:\n- yes\n- no' });
  const { ms } = await timed(() => {
    for (let row = 0; row < count; row++) {
      const pYes = (row * 7919 % 1000) / 1000;
      store.appendAskllm(run, { row, textHash: hashes[row % hashes.length], pYes, pNo: (1 - pYes) * 0.9, offFormat: row % 97 === 0, truncated: row % 53 === 0 });
    }
  });
  store.close();
  return { ms, journal: store.location.journal };
}

/** Child workload: open the store (full load) and touch its scores. */
export async function loadStore(shard: string): Promise<{ ms: number; scored: number }> {
  const t0 = performance.now();
  const store = await AnnotationStore.open(shard);
  const ms = performance.now() - t0;
  const scored = store.listFingerprints().reduce((n, f) => n + f.scored, 0);
  store.close();
  return { ms, scored };
}

export const bench: Bench = {
  title: 'Annotation store (journal appends, load, text hashing)',
  async run(): Promise<BenchResult[]> {
    mkdirSync(work, { recursive: true });
    const hashes = realDocuments(5000).map((doc) => textHash(doc.text));
    const results: BenchResult[] = [];

    // 1. Appends: each one a durable write + read-back, against raw writeSync of the identical lines.
    const appendShard = freshShardPath('append.jsonl');
    const appended = await appendResults(appendShard, APPENDS, hashes);
    const lines = readFileSync(appended.journal, 'utf8').split('\n').filter(Boolean).map((line) => line + '\n');
    const rawPath = join(work, 'raw-append.jsonl');
    rmSync(rawPath, { force: true });
    const raw = await timed(() => {
      const fd = openSync(rawPath, 'a');
      for (const line of lines) writeSync(fd, line);
      closeSync(fd);
    });
    results.push({
      name: `append ${APPENDS.toLocaleString('en-US')} Ask-LLM results`, value: APPENDS / (appended.ms / 1000), unit: 'records/s',
      baseline: { name: 'raw writeSync of the same lines', value: lines.length / (raw.ms / 1000), unit: 'records/s' },
      ratio: raw.ms / appended.ms,
      note: `${((appended.ms * 1000) / APPENDS).toFixed(1)} µs each vs ${((raw.ms * 1000) / lines.length).toFixed(1)} µs raw; Ollama delivers ~10-100 results/s`,
    });

    // 2. Loading a journal of 1M results (written raw from the appended lines, rows renumbered).
    const loadShard = freshShardPath('load.jsonl');
    const loadJournal = join(`${loadShard}.curator`, 'annotations.jsonl');
    mkdirSync(`${loadShard}.curator`);
    const fd = openSync(loadJournal, 'w');
    writeSync(fd, lines[0] + lines[1]);
    const template = JSON.parse(lines[2]);
    let batch = '';
    for (let row = 0; row < LOAD_RECORDS; row++) {
      batch += JSON.stringify({ ...template, row, textHash: hashes[row % hashes.length], pYes: (row % 1000) / 1000 }) + '\n';
      if (batch.length > 1 << 20) (writeSync(fd, batch), (batch = ''));
    }
    writeSync(fd, batch);
    closeSync(fd);
    const mb = statSync(loadJournal).size / 1e6;
    const load = inChild<{ ms: number; scored: number }>(__filename, 'loadStore', [loadShard]);
    const parse = parseInChild(loadJournal);
    if (load.value.scored !== LOAD_RECORDS) throw new Error(`loaded ${load.value.scored} results, expected ${LOAD_RECORDS}`);
    results.push({
      name: `load a journal of ${LOAD_RECORDS.toLocaleString('en-US')} results (${mb.toFixed(0)} MB)`, value: load.value.ms, unit: 'ms',
      baseline: { name: 'read + JSON.parse every line', value: parse.value.ms, unit: 'ms' }, ratio: parse.value.ms / load.value.ms,
    });
    results.push({
      name: 'peak RSS while loading it', value: load.peakRssMb, unit: 'MB',
      baseline: { name: 'read + JSON.parse every line', value: parse.peakRssMb, unit: 'MB' },
    });

    // 3. What the annotations need of every row (text hash + length), from opening a ~230 MB shard:
    // gathered by the index pass, against indexing alone followed by the separate worker pass.
    const shardPath = await benchJsonlShard('density-230m.jsonl', 230e6);
    const shardMb = statSync(shardPath).size / 1e6;
    const openWithFacts = async (textFacts: boolean) => {
      const t0 = performance.now();
      const shard = await openShard(shardPath, { textFacts });
      await shard.indexed;
      const indexMs = performance.now() - t0;
      const facts = await computeRowFacts(shard);
      const check = (await shard.readRows(shard.rowCount - 1, 1))[0];
      if (facts.hashes.hex(check.row) !== textHash(check.text) || facts.lengths[check.row] !== check.text.length) throw new Error('row facts of the last row are wrong');
      await shard.close();
      return { rows: shard.rowCount, indexMs };
    };
    const separate = await timed(() => openWithFacts(false));
    const gathered = await timed(() => openWithFacts(true));
    const baseline = await parseEveryLine(shardPath);
    results.push({
      name: `open ${shardMb.toFixed(0)} MB (${gathered.value.rows.toLocaleString('en-US')} rows) until every row's text hash and length are known`, value: gathered.ms, unit: 'ms',
      baseline: { name: 'index, then a separate hashing pass', value: separate.ms, unit: 'ms' }, ratio: separate.ms / gathered.ms,
      note: `index alone ${separate.value.indexMs.toFixed(0)} ms, gathering too ${gathered.value.indexMs.toFixed(0)} ms; plain read + JSON.parse ${baseline.ms.toFixed(0)} ms`,
    });
    rmSync(work, { recursive: true, force: true });
    return results;
  },
};
