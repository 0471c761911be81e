/**
 * Arrow IPC open on a ~300 MB shard of real text in 500-row record batches (Hugging Face writes
 * 1000-row batches; smaller batches mean more headers to read at open): time to open and read the
 * first page of 100 rows, and bytes read at open, for the file format (footer) and the stream format
 * (header walk), next to reading the whole file and apache-arrow's tableFromIPC of it.
 */
import fs, { createWriteStream, existsSync, renameSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import * as A from 'apache-arrow';
import { openArrowShard } from '../../extension/core/shard/arrow';
import { generateDocuments } from '../fixtures/corpus';
import { BENCH_DIR, timed, type Bench, type BenchResult } from './lib';

const TARGET_BYTES = 300 << 20;
const BATCH_ROWS = 500;
const PAGE_ROWS = 100;
const RUNS = 5;
type Format = 'arrow-file' | 'arrow-stream';

/** Writes the shard batch by batch through apache-arrow's writer, so memory holds one batch at a time. */
async function benchArrowShard(format: Format): Promise<string> {
  const path = join(BENCH_DIR, format === 'arrow-file' ? 'text-300mb.arrow' : 'text-300mb-stream.arrow');
  if (existsSync(path) && statSync(path).size >= TARGET_BYTES * 0.95) return path;
  const tmp = `${path}.tmp`;
  const writer = format === 'arrow-file' ? new A.RecordBatchFileWriter() : new A.RecordBatchStreamWriter();
  const out = createWriteStream(tmp);
  const written = pipeline(writer.toNodeStream(), out);
  const docs = generateDocuments(7);
  while (out.bytesWritten < TARGET_BYTES) {
    const batch = Array.from({ length: BATCH_ROWS }, () => docs.next().value!);
    const table = new A.Table({
      id: A.vectorFromArray(batch.map((d) => d.id), new A.Utf8()),
      text: A.vectorFromArray(batch.map((d) => d.text), new A.Utf8()),
      source: A.vectorFromArray(batch.map((d) => d.source), new A.Utf8()),
      chars: A.vectorFromArray(batch.map((d) => d.text.length), new A.Int32()),
    });
    writer.write(table.batches[0]);
    // Let the batch reach the disk before building the next one.
    do await nextTurn(); while (out.writableLength > 0);
  }
  writer.finish();
  await written;
  renameSync(tmp, path);
  return path;
}

/** Runs `fn` counting the bytes read through FileHandle.read (bodies) and fs.readSync (metadata). */
async function bytesReadBy(fn: () => Promise<void>): Promise<number> {
  const probe = await open(__filename);
  const proto = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<{ bytesRead: number }> };
  await probe.close();
  const fsModule = fs as { readSync: (...args: unknown[]) => number };
  const originalRead = proto.read;
  const originalReadSync = fsModule.readSync;
  let bytes = 0;
  proto.read = async function (this: unknown, ...args: unknown[]) {
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
    await fn();
    return bytes;
  } finally {
    proto.read = originalRead;
    fsModule.readSync = originalReadSync;
  }
}

async function openFirstPage(path: string, format: Format): Promise<{ ms: number; rows: number; batches: number }> {
  const t0 = performance.now();
  const shard = await openArrowShard(path, format, {});
  const page = await shard.readRows(0, PAGE_ROWS);
  const ms = performance.now() - t0;
  if (page.length !== PAGE_ROWS || typeof page[0].text !== 'string' || page[0].text.length === 0) throw new Error('bad first page');
  const rows = shard.rowCount;
  await shard.close();
  return { ms, rows, batches: Math.ceil(rows / BATCH_ROWS) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export const bench: Bench = {
  title: 'Arrow IPC open: footer / header walk, no batch bodies (~300 MB of real text, 500-row batches)',
  async run(): Promise<BenchResult[]> {
    const formats = ['arrow-file', 'arrow-stream'] as const;
    const paths = { 'arrow-file': await benchArrowShard('arrow-file'), 'arrow-stream': await benchArrowShard('arrow-stream') };
    // The first open in a process also pays for compiling the decoding code: reported apart.
    const first = { 'arrow-file': await openFirstPage(paths['arrow-file'], 'arrow-file'), 'arrow-stream': await openFirstPage(paths['arrow-stream'], 'arrow-stream') };
    const runs: Record<Format, number[]> = { 'arrow-file': [], 'arrow-stream': [] };
    for (let i = 0; i < RUNS; i++) {
      for (const format of formats) runs[format].push((await openFirstPage(paths[format], format)).ms);
    }

    const results: BenchResult[] = [];
    for (const format of formats) {
      const path = paths[format];
      const size = statSync(path).size;
      const { rows, batches } = first[format];
      const openBytes = await bytesReadBy(async () => (await openArrowShard(path, format, {})).close());
      const whole = await timed(() => readFile(path));
      const table = await timed(() => A.tableFromIPC(whole.value));
      if (table.value.numRows !== rows) throw new Error(`tableFromIPC saw ${table.value.numRows} rows, the reader ${rows}`);

      const label = format === 'arrow-file' ? 'file format' : 'stream format';
      const ms = median(runs[format]);
      results.push({
        name: `${label}: open + first page of ${PAGE_ROWS} rows (median of ${RUNS}; first open in the process ${first[format].ms.toFixed(0)} ms)`,
        value: ms,
        unit: 'ms',
        baseline: { name: 'fs.readFile of the whole file', value: whole.ms, unit: 'ms' },
        ratio: whole.ms / ms,
        target: '< 100 ms',
        pass: ms < 100,
        note: `${(size / 2 ** 20).toFixed(0)} MB, ${rows.toLocaleString('en-US')} rows, ${batches} batches; apache-arrow tableFromIPC of the read bytes: ${table.ms.toFixed(0)} ms more; page cache warm`,
      });
      results.push({
        name: `${label}: bytes read at open`,
        value: openBytes,
        unit: 'bytes',
        baseline: { name: 'file size', value: size, unit: 'bytes' },
        ratio: size / openBytes,
        note: format === 'arrow-file' ? 'footer + the metadata of each record batch' : 'a probe read of up to 4 KB per message header',
      });
    }
    return results;
  },
};
