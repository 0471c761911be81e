/**
 * The export passes themselves, run in the export worker: read the shard once in row order, write
 * kept rows to the output and dropped rows to the dropped-rows file, each a temporary file the
 * caller created. JSONL -> JSONL copies each row's original bytes: by the shard's row index when
 * the caller has it (jsonl-by-index.ts, no line parsed again), else by scanning and parsing every
 * line; Arrow -> Arrow copies record batches (zero-copy slices, or a gather of the kept rows);
 * conversions go through JSON values. JSONL -> Arrow reads the shard twice: once to infer the
 * schema of the kept rows.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { makeData, RecordBatch, Schema, Struct, type Data } from 'apache-arrow';
import { DECISION } from '../curate/decisions';
import { ArrowFile, indexArrowFile, indexArrowStream, readBatch, type ArrowIndex } from '../shard/arrow-ipc';
import { cellValue } from '../shard/arrow-values';
import { scanRawRows, type RawRow } from '../shard/raw-rows';
import type { JsonlRowIndex } from '../shard/jsonl';
import type { JsonValue, ShardFormat } from '../shard/types';
import { ArrowFileOut } from './arrow-out';
import { takeRanges, type Ranges } from './arrow-take';
import { JsonBatchBuilder, JsonColumnKinds } from './json-to-arrow';
import { changedOnDisk, openOutputs, sourceFacts, withSinks } from './job-outputs';
import { exportJsonlByIndex, type CopiedLines } from './jsonl-by-index';
import { insertBeforeClosingBrace, type RowExtras, type RowFacts } from './row-extras';
import type { FileSink, WrittenFile } from './sink';

export type ExportFormat = 'jsonl' | 'arrow';

export interface OutputTarget {
  /** The temporary file to write (exists, empty). */
  temp: string;
  /** The final path, for messages. */
  name: string;
  format: ExportFormat;
  /** JSONL only: gzip the output. */
  gzip: boolean;
}

export interface CuratedJob {
  kind: 'curated';
  source: { path: string; format: ShardFormat };
  facts: RowFacts;
  withAnnotations: boolean;
  output: OutputTarget;
  dropped?: OutputTarget;
  /** The shard's row index: JSONL output is then copied by byte range (ignored for Arrow output). */
  rowIndex?: JsonlRowIndex;
}

export interface JobProgress {
  phase: 'scanning' | 'writing';
  /**
   * Bytes of the shard file read in this phase (compressed bytes for gzip); when copying by the row
   * index, the offset reached in the file the rows are read from (for gzip: its decompressed cache).
   */
  bytesDone: number;
  bytesTotal: number;
  rowsDone: number;
  rowsTotal: number;
}

export interface CuratedJobResult {
  inputRows: number;
  kept: number;
  dropped: number;
  /** JSONL lines that are not rows (skipped, as when the shard is opened). */
  malformedLines: number;
  /** The shard's size and mtime when the pass started (its SHA-256 comes from a hash job alongside). */
  source: { bytes: number; mtime: string };
  output: WrittenFile;
  droppedOutput?: WrittenFile;
  /** Set when the lines were copied by the row index: what each file holds (see verifyCopiedLines). */
  copiedLines?: { output: CopiedLines; dropped?: CopiedLines };
}

export type Emit = (progress: JobProgress) => void;

const NEWLINE = Buffer.from('\n');

// ---------------------------------------------------------------------------------------------
// Targets: where the rows of one output file go, for each input kind.

/** Receives the rows of a JSONL scan, in row order. */
interface JsonlRowTarget {
  add(raw: RawRow): void;
  /** Writes what add() collected (called once per read chunk). */
  flush(): Promise<void>;
  finish(): Promise<WrittenFile>;
}

/** JSONL -> JSONL: the rows' original bytes; adjacent rows in one chunk are written as one piece. */
class JsonlToJsonl implements JsonlRowTarget {
  private pieces: Buffer[] = [];

  constructor(
    private readonly sink: FileSink,
    private readonly extras: RowExtras,
    private readonly sourcePath: string,
  ) {}

  add(raw: RawRow): void {
    let bytes = raw.bytes;
    if (!this.extras.empty) {
      this.extras.checkNoClash(this.sourcePath, (name) => name in raw.value, `line ${raw.line}`);
      bytes = insertBeforeClosingBrace(bytes, this.extras.jsonFragment(raw.row));
    }
    const last = this.pieces[this.pieces.length - 1];
    if (last && last.buffer === bytes.buffer && last.byteOffset + last.length === bytes.byteOffset) {
      this.pieces[this.pieces.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + bytes.length);
    } else {
      this.pieces.push(bytes);
    }
    // Every output line ends with a newline, also when the shard's last line had none.
    if (bytes[bytes.length - 1] !== 0x0a) this.pieces.push(NEWLINE);
  }

  async flush(): Promise<void> {
    if (this.pieces.length === 0) return;
    const pieces = this.pieces;
    this.pieces = [];
    await this.sink.write(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces));
  }

  finish(): Promise<WrittenFile> {
    return this.sink.finish();
  }
}

/** JSONL -> Arrow: rows collected into record batches of the inferred schema. */
class JsonlToArrow implements JsonlRowTarget {
  private readonly builder: JsonBatchBuilder;
  private readonly out: ArrowFileOut;

  constructor(sink: FileSink, kinds: JsonColumnKinds, private readonly extras: RowExtras, private readonly sourcePath: string, name: string) {
    this.builder = new JsonBatchBuilder(kinds.columns(), extras);
    this.out = new ArrowFileOut(sink, this.builder.schema, name);
  }

  add(raw: RawRow): void {
    if (!this.extras.empty) this.extras.checkNoClash(this.sourcePath, (name) => name in raw.value, `line ${raw.line}`);
    this.builder.add(raw.value, raw.row, raw.bytes.length);
  }

  async flush(): Promise<void> {
    if (this.builder.full) await this.writeBatch();
  }

  private async writeBatch(): Promise<void> {
    const batch = this.builder.take();
    if (batch) await this.out.write(batch);
  }

  async finish(): Promise<WrittenFile> {
    await this.writeBatch();
    return this.out.finish();
  }
}

/** Receives the kept (or dropped) rows of each record batch of an Arrow shard. */
interface ArrowRowTarget {
  /** `ranges`: rows of `batch` (relative); `firstRow`: the shard row of the batch's row 0. */
  add(batch: RecordBatch, firstRow: number, ranges: Ranges): Promise<void>;
  finish(): Promise<WrittenFile>;
}

function shardRows(firstRow: number, ranges: Ranges): Uint32Array {
  let length = 0;
  for (let r = 0; r < ranges.length; r += 2) length += ranges[r + 1] - ranges[r];
  const rows = new Uint32Array(length);
  let at = 0;
  for (let r = 0; r < ranges.length; r += 2) for (let i = ranges[r]; i < ranges[r + 1]; i++) rows[at++] = firstRow + i;
  return rows;
}

/** Arrow -> Arrow: the same schema (plus extra columns at the end), values copied as they are. */
class ArrowToArrow implements ArrowRowTarget {
  private readonly out: ArrowFileOut;
  private readonly schema: Schema;

  constructor(sink: FileSink, private readonly source: Schema, private readonly extras: RowExtras, name: string) {
    this.schema = extras.empty ? source : new Schema([...source.fields, ...extras.fields()], source.metadata);
    this.out = new ArrowFileOut(sink, this.schema, name);
  }

  async add(batch: RecordBatch, firstRow: number, ranges: Ranges): Promise<void> {
    if (ranges.length === 0) return;
    const whole = ranges.length === 2 && ranges[0] === 0 && ranges[1] === batch.numRows;
    if (whole && this.extras.empty) return this.out.write(batch);
    let children: Data[];
    if (ranges.length === 2) {
      children = batch.data.children.map((child) => child.slice(ranges[0], ranges[1] - ranges[0]));
    } else {
      children = batch.data.children.map((child, c) => takeRanges(child, ranges, this.source.fields[c]));
    }
    const rows = shardRows(firstRow, ranges);
    children.push(...this.extras.columns(rows));
    const data = makeData({ type: new Struct(this.schema.fields), length: rows.length, nullCount: 0, children });
    await this.out.write(new RecordBatch(this.schema, data));
  }

  finish(): Promise<WrittenFile> {
    return this.out.finish();
  }
}

/** Arrow -> JSONL: one JSON object per row, from the row's JSON-safe values (as the editor shows them). */
class ArrowToJsonl implements ArrowRowTarget {
  constructor(private readonly sink: FileSink, private readonly schema: Schema, private readonly extras: RowExtras) {}

  async add(batch: RecordBatch, firstRow: number, ranges: Ranges): Promise<void> {
    if (ranges.length === 0) return;
    const vectors = this.schema.fields.map((_, c) => batch.getChildAt(c)!);
    const names = this.schema.fields.map((f) => f.name);
    let text = '';
    for (let r = 0; r < ranges.length; r += 2) {
      for (let i = ranges[r]; i < ranges[r + 1]; i++) {
        const row: { [key: string]: JsonValue } = {};
        for (let c = 0; c < names.length; c++) row[names[c]] = cellValue(vectors[c], i);
        this.extras.addTo(row, firstRow + i);
        text += `${JSON.stringify(row)}\n`;
      }
    }
    await this.sink.write(Buffer.from(text));
  }

  finish(): Promise<WrittenFile> {
    return this.sink.finish();
  }
}

// ---------------------------------------------------------------------------------------------

async function exportJsonl(job: CuratedJob, emit: Emit): Promise<CuratedJobResult> {
  const { path } = job.source;
  const gzip = job.source.format === 'jsonl.gz';
  const { decision } = job.facts;
  const rowCount = decision.length;
  const { size, mtime } = await sourceFacts(path);
  const checkRow = (row: number) => {
    if (row >= rowCount) throw changedOnDisk(path, `it has more than the ${rowCount} rows it had`);
  };
  const checkCount = (rows: number) => {
    if (rows !== rowCount) throw changedOnDisk(path, `it has ${rows} rows, not ${rowCount}`);
  };

  const needsKinds = (target: OutputTarget | undefined) => target?.format === 'arrow';
  const kinds = { kept: new JsonColumnKinds(), dropped: new JsonColumnKinds() };
  if (needsKinds(job.output) || needsKinds(job.dropped)) {
    let bytesDone = 0;
    let rows = 0;
    for await (const batch of scanRawRows(path, gzip, { onFileChunk: (chunk) => { bytesDone += chunk.length; } })) {
      for (const raw of batch) {
        checkRow(raw.row);
        (decision[raw.row] === DECISION.keep ? kinds.kept : kinds.dropped).add(raw.value);
      }
      rows += batch.length;
      emit({ phase: 'scanning', bytesDone, bytesTotal: size, rowsDone: rows, rowsTotal: rowCount });
    }
    checkCount(rows);
  }

  const target = (out: OutputTarget, sink: FileSink, extras: RowExtras, which: 'kept' | 'dropped'): JsonlRowTarget =>
    out.format === 'jsonl' ? new JsonlToJsonl(sink, extras, path) : new JsonlToArrow(sink, kinds[which], extras, path, out.name);
  const outputs = openOutputs(job, target);

  return withSinks(outputs.sinks, async () => {
    let bytesDone = 0;
    let rows = 0;
    let kept = 0;
    let malformedLines = 0;
    const scan = scanRawRows(path, gzip, {
      onFileChunk: (chunk) => { bytesDone += chunk.length; },
      onMalformed: () => { malformedLines++; },
    });
    for await (const batch of scan) {
      for (const raw of batch) {
        checkRow(raw.row);
        if (decision[raw.row] === DECISION.keep) {
          outputs.kept.add(raw);
          kept++;
        } else {
          outputs.dropped?.add(raw);
        }
      }
      rows += batch.length;
      await outputs.kept.flush();
      await outputs.dropped?.flush();
      emit({ phase: 'writing', bytesDone, bytesTotal: size, rowsDone: rows, rowsTotal: rowCount });
    }
    checkCount(rows);
    if (bytesDone !== size) throw changedOnDisk(path, `${bytesDone} bytes were read, it had ${size}`);
    const output = await outputs.kept.finish();
    const droppedOutput = await outputs.dropped?.finish();
    return {
      inputRows: rows, kept, dropped: rows - kept, malformedLines,
      source: { bytes: size, mtime }, output, droppedOutput,
    };
  });
}

export interface HashJob {
  kind: 'hash';
  path: string;
}

const HASH_READ_BYTES = 4 << 20;

/**
 * SHA-256 of a whole file, read sequentially: the shard's fingerprint for the recipe. Run as its
 * own job next to the export pass, so hashing and copying (or parsing) use two cores. Two buffers,
 * reused (fresh memory would cost a page fault per 4 KB): one is read into while the other is hashed.
 */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    let bytes = 0;
    let [current, next] = [Buffer.allocUnsafeSlow(HASH_READ_BYTES), Buffer.allocUnsafeSlow(HASH_READ_BYTES)];
    let pending = file.read(current, 0, HASH_READ_BYTES, 0);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      bytes += bytesRead;
      pending = file.read(next, 0, HASH_READ_BYTES, bytes);
      hash.update(bytesRead === HASH_READ_BYTES ? current : current.subarray(0, bytesRead));
      [current, next] = [next, current];
    }
    return { sha256: hash.digest('hex'), bytes };
  } finally {
    await file.close();
  }
}

/** Kept and dropped row ranges of a batch, relative to it. */
function splitBatch(decision: Uint8Array, firstRow: number, rows: number): { kept: Ranges; dropped: Ranges } {
  const kept: Ranges = [];
  const dropped: Ranges = [];
  let start = 0;
  for (let i = 1; i <= rows; i++) {
    const keep = decision[firstRow + start] === DECISION.keep;
    if (i === rows || (decision[firstRow + i] === DECISION.keep) !== keep) {
      (keep ? kept : dropped).push(start, i);
      start = i;
    }
  }
  return { kept, dropped };
}

async function exportArrow(job: CuratedJob, emit: Emit): Promise<CuratedJobResult> {
  const { path } = job.source;
  const { decision } = job.facts;
  const rowCount = decision.length;
  const { mtime } = await sourceFacts(path);
  const file = await ArrowFile.open(path);
  try {
    const index: ArrowIndex = job.source.format === 'arrow-file' ? await indexArrowFile(file) : await indexArrowStream(file);
    if (index.rowCount !== rowCount) throw changedOnDisk(path, `it has ${index.rowCount} rows, not ${rowCount}`);
    const names = index.schema.fields.map((f) => f.name);
    const target = (out: OutputTarget, sink: FileSink, extras: RowExtras): ArrowRowTarget =>
      out.format === 'arrow' ? new ArrowToArrow(sink, index.schema, extras, out.name) : new ArrowToJsonl(sink, index.schema, extras);
    const outputs = openOutputs(job, target, (extras) => extras.checkNoClash(path, (name) => names.includes(name), 'the schema'));
    return await withSinks(outputs.sinks, async () => {
      let kept = 0;
      let pending = index.batches.length > 0 ? readBatch(file, index, index.batches[0]) : undefined;
      for (let b = 0; b < index.batches.length; b++) {
        const batch = await pending!;
        pending = b + 1 < index.batches.length ? readBatch(file, index, index.batches[b + 1]) : undefined;
        pending?.catch(() => undefined);
        const entry = index.batches[b];
        const ranges = splitBatch(decision, entry.firstRow, entry.rows);
        for (let r = 0; r < ranges.kept.length; r += 2) kept += ranges.kept[r + 1] - ranges.kept[r];
        await outputs.kept.add(batch, entry.firstRow, ranges.kept);
        await outputs.dropped?.add(batch, entry.firstRow, ranges.dropped);
        emit({ phase: 'writing', bytesDone: entry.offset + entry.byteLength, bytesTotal: file.size, rowsDone: entry.firstRow + entry.rows, rowsTotal: rowCount });
      }
      const output = await outputs.kept.finish();
      const droppedOutput = await outputs.dropped?.finish();
      return {
        inputRows: rowCount, kept, dropped: rowCount - kept, malformedLines: 0,
        source: { bytes: file.size, mtime }, output, droppedOutput,
      };
    });
  } finally {
    await file.close();
  }
}

export function runCuratedJob(job: CuratedJob, emit: Emit): Promise<CuratedJobResult> {
  if (job.rowIndex && job.output.format === 'jsonl') return exportJsonlByIndex(job, job.rowIndex, emit);
  return job.source.format === 'jsonl' || job.source.format === 'jsonl.gz' ? exportJsonl(job, emit) : exportArrow(job, emit);
}
