/**
 * JSONL -> JSONL by the shard's row index (JsonlShard.rowIndex): reads only the byte ranges of the
 * rows an output file wants, in large sequential reads, and writes each row's line as it is (with
 * the added keys spliced in before its closing brace, when there are any). No line is parsed
 * again: the indexer validated every one. What this pass checks instead is that the file it reads
 * is the one indexed: its size and mtime before and after the pass, every row's line ending where
 * the index says, and for gzip that the cache still belongs to the shard as it is now.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DECISION } from '../curate/decisions';
import { findGzipCache } from '../shard/gzip';
import type { JsonlRowIndex } from '../shard/jsonl';
import type { CuratedJob, CuratedJobResult, Emit } from './job';
import { changedOnDisk, openOutputs, sourceFacts, withSinks } from './job-outputs';
import { insertBeforeClosingBrace, type RowExtras } from './row-extras';
import type { FileSink } from './sink';

/** One read covers up to this many bytes of wanted rows (a longer row gets a read of its own). */
const READ_BYTES = 4 << 20;
/** What one read's lines may grow to with added keys before a write takes a buffer of its own. */
const WRITE_BYTES = READ_BYTES + (1 << 20);
/**
 * Rows nobody wants are read through rather than skipped when the gap they leave is shorter than
 * this: one more read call costs more than copying that much from the page cache.
 */
const GAP_BYTES = 64 << 10;

const NEWLINE_BYTE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const NEWLINE = Buffer.from('\n');

/** What one output file received: its lines and their bytes (before gzip). */
export interface CopiedLines {
  rows: number;
  dataBytes: number;
}

/** A read: bytes [from, to) of the data file, holding the wanted rows among rows [firstRow, endRow). */
interface Span {
  from: number;
  to: number;
  firstRow: number;
  endRow: number;
}

/** The reads that cover every wanted row, in file order. */
function* planReads(index: JsonlRowIndex, wanted: (row: number) => boolean): Generator<Span> {
  const { starts, lengths, rowCount, dataBytes } = index;
  // Room for the line ending ("\r\n" at most) after the row's bytes.
  const lineEnd = (row: number) => Math.min(starts[row] + lengths[row] + 2, dataBytes);
  let row = 0;
  for (;;) {
    while (row < rowCount && !wanted(row)) row++;
    if (row >= rowCount) return;
    const from = starts[row];
    let to = lineEnd(row);
    let endRow = row + 1;
    for (let next = row + 1; next < rowCount; next++) {
      if (starts[next] - to > GAP_BYTES) break;
      if (!wanted(next)) continue;
      const end = lineEnd(next);
      if (end - from > READ_BYTES) break;
      to = end;
      endRow = next + 1;
    }
    yield { from, to, firstRow: row, endRow };
    row = endRow;
  }
}

/**
 * Buffers of one size, reused: fresh memory costs the kernel a page fault and a zeroed page per
 * 4 KB, which at these speeds is a good part of the work. Longer requests get a buffer of their own.
 */
class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly size: number) {}

  take(length: number): Buffer {
    if (length > this.size) return Buffer.allocUnsafeSlow(length);
    const memory = this.free.pop();
    return memory ? Buffer.from(memory, 0, length) : Buffer.allocUnsafeSlow(this.size).subarray(0, length);
  }

  give(buf: Buffer): void {
    if (buf.buffer.byteLength === this.size && buf.byteOffset === 0) this.free.push(buf.buffer as ArrayBuffer);
  }
}

async function readSpan(fd: FileHandle, span: Span, path: string, pool: BufferPool): Promise<Buffer> {
  const length = span.to - span.from;
  const buf = pool.take(length);
  for (let done = 0; done < length;) {
    const { bytesRead } = await fd.read(buf, done, length - done, span.from + done);
    if (bytesRead === 0) throw changedOnDisk(path, 'it is shorter than when it was indexed');
    done += bytesRead;
  }
  return buf;
}

/** The lines one output file gets, gathered per read and written as one piece. */
class LineCopier {
  readonly copied: CopiedLines = { rows: 0, dataBytes: 0 };
  private pieces: Array<{ buf: Buffer; start: number; end: number }> = [];
  private bytes = 0;
  private readonly buffers = new BufferPool(WRITE_BYTES);

  constructor(
    private readonly sink: FileSink,
    private readonly extras: RowExtras,
  ) {}

  /** `buf[start, end)`: the line of row `row`, with its line ending if it has one. */
  add(buf: Buffer, start: number, end: number, row: number): void {
    if (this.extras.empty) {
      this.piece(buf, start, end);
    } else {
      const line = insertBeforeClosingBrace(buf.subarray(start, end), this.extras.jsonFragment(row));
      this.piece(line, 0, line.length);
    }
    // Every output line ends with a newline, also when the shard's last line had none.
    if (buf[end - 1] !== NEWLINE_BYTE) this.piece(NEWLINE, 0, 1);
    this.copied.rows++;
  }

  /** Adjacent lines of one read become one piece. */
  private piece(buf: Buffer, start: number, end: number): void {
    this.bytes += end - start;
    const last = this.pieces[this.pieces.length - 1];
    if (last && last.buf === buf && last.end === start) last.end = end;
    else this.pieces.push({ buf, start, end });
  }

  async flush(): Promise<void> {
    if (this.bytes === 0) return;
    const out = this.buffers.take(this.bytes);
    let at = 0;
    for (const { buf, start, end } of this.pieces) at += buf.copy(out, at, start, end);
    this.copied.dataBytes += this.bytes;
    this.pieces = [];
    this.bytes = 0;
    await this.sink.write(out, () => this.buffers.give(out));
  }

  finish() {
    return this.sink.finish();
  }
}

/** Refuses to read by an index of another version of the file. */
async function checkIndexedFile(job: CuratedJob, index: JsonlRowIndex): Promise<void> {
  const { path } = job.source;
  const info = await stat(index.dataPath).catch(() => undefined);
  if (!info || info.size !== index.dataBytes || info.mtimeMs !== index.dataMtimeMs) {
    const what = job.source.format === 'jsonl.gz' ? `its decompressed cache ${index.dataPath}` : 'it';
    const now = info ? `${info.size} bytes, modified ${info.mtime.toISOString()}` : 'missing';
    throw changedOnDisk(path, `${what} is not the file that was indexed: ${index.dataBytes} bytes, modified ${new Date(index.dataMtimeMs).toISOString()}; now ${now}`);
  }
  // The cache is named after the shard's size and mtime: another name means another shard.
  if (job.source.format === 'jsonl.gz' && (await findGzipCache(path, dirname(index.dataPath))).cachePath !== index.dataPath) {
    throw changedOnDisk(path, 'its size or modification time differs from when it was indexed');
  }
}

export async function exportJsonlByIndex(job: CuratedJob, index: JsonlRowIndex, emit: Emit): Promise<CuratedJobResult> {
  const { path } = job.source;
  const { decision } = job.facts;
  const { starts, lengths, rowCount, dataBytes } = index;
  const { size, mtime } = await sourceFacts(path);
  await checkIndexedFile(job, index);
  // The indexer saw every row's keys: a clash is found before anything is written.
  const outputs = openOutputs(job, (_out, sink, extras) => new LineCopier(sink, extras),
    (extras) => extras.checkNoClash(path, (name) => index.columnNames.includes(name), 'a row'));
  const wanted = job.dropped ? () => true : (row: number) => decision[row] === DECISION.keep;

  const fd = await open(index.dataPath, 'r');
  const readBuffers = new BufferPool(READ_BYTES);
  try {
    return await withSinks(outputs.sinks, async () => {
      let kept = 0;
      const reads = planReads(index, wanted);
      let span = reads.next();
      let pending = span.done ? undefined : readSpan(fd, span.value, path, readBuffers);
      while (!span.done && pending) {
        const { from, firstRow, endRow } = span.value;
        const buf = await pending;
        // The next read runs while this one's lines are written.
        span = reads.next();
        pending = span.done ? undefined : readSpan(fd, span.value, path, readBuffers);
        pending?.catch(() => undefined);
        for (let row = firstRow; row < endRow; row++) {
          const keep = decision[row] === DECISION.keep;
          if (keep) kept++;
          const target = keep ? outputs.kept : outputs.dropped;
          if (!target) continue;
          const start = starts[row] - from;
          let end = start + lengths[row];
          if (buf[end] === CARRIAGE_RETURN) end++;
          if (buf[end] === NEWLINE_BYTE) end++;
          else if (from + end !== dataBytes) throw changedOnDisk(path, `row ${row} no longer ends where the index says`);
          target.add(buf, start, end, row);
        }
        // Flushing copies the lines out of `buf`: it can take the read after next.
        await Promise.all([outputs.kept.flush(), outputs.dropped?.flush()]);
        readBuffers.give(buf);
        emit({ phase: 'writing', bytesDone: buf.length + from, bytesTotal: dataBytes, rowsDone: endRow, rowsTotal: rowCount });
      }
      await checkIndexedFile(job, index);
      emit({ phase: 'writing', bytesDone: dataBytes, bytesTotal: dataBytes, rowsDone: rowCount, rowsTotal: rowCount });
      const output = await outputs.kept.finish();
      const droppedOutput = await outputs.dropped?.finish();
      return {
        inputRows: rowCount, kept, dropped: rowCount - kept, malformedLines: index.malformedLines,
        source: { bytes: size, mtime }, output, droppedOutput,
        copiedLines: { output: outputs.kept.copied, dropped: outputs.dropped?.copied },
      };
    });
  } finally {
    await fd.close();
  }
}
