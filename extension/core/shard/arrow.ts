/**
 * Arrow IPC shards, both the file format (footer with the record batch list: random access from
 * open) and the stream format (Hugging Face `datasets` cache files: open walks the message headers
 * and skips the bodies). Open reads only metadata; rows are read one record batch at a time, with
 * a small LRU of decoded batches for scrolling back and forth.
 */
import type { RecordBatch } from 'apache-arrow';
import { throwIfAborted } from '../errors';
import { ArrowFile, batchOfRow, indexArrowFile, indexArrowStream, readBatch, type ArrowIndex } from './arrow-ipc';
import { cellValue } from './arrow-values';
import { detectTextField, textOf } from './fields';
import type { Column, JsonValue, OpenOptions, Row, ScanOptions, Shard, ShardSource, TextItem } from './types';

type ArrowFormat = 'arrow-file' | 'arrow-stream';

/** Decoded batches kept for readRows: at most this many, and at most BATCH_CACHE_BYTES of them. */
const BATCH_CACHE_COUNT = 8;
const BATCH_CACHE_BYTES = 256 << 20;

export async function openArrowShard(path: string, format: ArrowFormat, options: OpenOptions): Promise<Shard> {
  const file = await ArrowFile.open(path);
  try {
    const index = await indexShard(file, format, options);
    const columns = index.schema.fields.map((field) => ({ name: field.name, type: String(field.type) }));
    const textField = detectTextField(path, columns, options);
    options.onProgress?.({ bytesDone: file.size, bytesTotal: file.size, rows: index.rowCount });
    return new ArrowShard(file, format, index, columns, textField);
  } catch (err) {
    await file.close();
    throw err;
  }
}

/** Texts of rows [start, end) in row order, one record batch in memory at a time (for worker threads). */
export async function* scanArrowTexts(source: ShardSource, options: ScanOptions): AsyncIterable<TextItem> {
  const file = await ArrowFile.open(source.path);
  try {
    const index = await indexShard(file, source.format as ArrowFormat, { signal: options.signal });
    yield* scanTexts(file, index, source.textField, options);
  } finally {
    await file.close();
  }
}

function indexShard(file: ArrowFile, format: ArrowFormat, options: OpenOptions): Promise<ArrowIndex> {
  if (format === 'arrow-file') return indexArrowFile(file, options.signal);
  return indexArrowStream(file, options.signal, options.onProgress
    && ((bytesDone, rows) => options.onProgress!({ bytesDone, bytesTotal: file.size, rows })));
}

async function* scanTexts(file: ArrowFile, index: ArrowIndex, textField: string | undefined, options: ScanOptions): AsyncGenerator<TextItem> {
  const start = Math.max(0, options.start ?? 0);
  const end = Math.min(index.rowCount, options.end ?? index.rowCount);
  if (start >= end) return;
  const column = textField === undefined ? -1 : index.schema.fields.findIndex((f) => f.name === textField);
  const last = batchOfRow(index, end - 1);
  // The next batch is read while the current one is handed out: two batches in memory at most.
  let pending: Promise<RecordBatch> | undefined = readBatch(file, index, index.batches[batchOfRow(index, start)]);
  for (let b = batchOfRow(index, start); b <= last; b++) {
    throwIfAborted(options.signal);
    const batch: RecordBatch = await pending!;
    pending = b < last ? readBatch(file, index, index.batches[b + 1]) : undefined;
    // Keep a prefetch failure from going unhandled if the consumer stops early.
    pending?.catch(() => undefined);
    const { firstRow } = index.batches[b];
    const vector = column < 0 ? null : batch.getChildAt(column);
    for (let row = Math.max(start, firstRow); row < Math.min(end, firstRow + batch.numRows); row++) {
      yield { row, text: vector ? textOf(cellValue(vector, row - firstRow)) : '' };
    }
  }
}

class ArrowShard implements Shard {
  readonly malformed = { count: 0, examples: [] };
  readonly indexed = Promise.resolve();
  private readonly cache = new Map<number, Promise<RecordBatch>>();

  constructor(
    private readonly file: ArrowFile,
    readonly format: ArrowFormat,
    private readonly index: ArrowIndex,
    readonly columns: Column[],
    private field: string | undefined,
  ) {}

  get path(): string { return this.file.path; }
  get bytes(): number { return this.file.size; }
  get rowCount(): number { return this.index.rowCount; }
  get textField(): string | undefined { return this.field; }

  async readRows(start: number, count: number): Promise<Row[]> {
    const first = Math.max(0, Math.floor(start));
    const end = Math.min(this.rowCount, first + Math.max(0, Math.floor(count)));
    if (first >= end) return [];
    const fromBatch = batchOfRow(this.index, first);
    const toBatch = batchOfRow(this.index, end - 1);
    const batches = await Promise.all(
      Array.from({ length: toBatch - fromBatch + 1 }, (_, k) => this.batch(fromBatch + k)));
    const rows: Row[] = [];
    batches.forEach((batch, k) => {
      const { firstRow } = this.index.batches[fromBatch + k];
      const vectors = this.index.schema.fields.map((_, c) => batch.getChildAt(c)!);
      for (let row = Math.max(first, firstRow); row < Math.min(end, firstRow + batch.numRows); row++) {
        const fields: Record<string, JsonValue> = {};
        this.columns.forEach((column, c) => { fields[column.name] = cellValue(vectors[c], row - firstRow); });
        rows.push({ row, text: this.field === undefined ? '' : textOf(fields[this.field]), fields });
      }
    });
    return rows;
  }

  texts(options: ScanOptions = {}): AsyncIterable<TextItem> {
    return scanTexts(this.file, this.index, this.field, options);
  }

  setTextField(name: string): void {
    this.field = detectTextField(this.path, this.columns, { textField: name });
  }

  source(): ShardSource {
    return { path: this.path, format: this.format, textField: this.field };
  }

  close(): Promise<void> {
    this.cache.clear();
    return this.file.close();
  }

  /** Decoded batch `b`, from the LRU or read now (concurrent callers share one read). */
  private batch(b: number): Promise<RecordBatch> {
    let batch = this.cache.get(b);
    if (batch) {
      this.cache.delete(b);
    } else {
      batch = readBatch(this.file, this.index, this.index.batches[b]);
      batch.catch(() => this.cache.get(b) === batch && this.cache.delete(b));
    }
    this.cache.set(b, batch);
    this.evict();
    return batch;
  }

  private evict(): void {
    let bytes = 0;
    for (const b of this.cache.keys()) bytes += this.index.batches[b].byteLength;
    for (const b of this.cache.keys()) {
      if (this.cache.size <= 1 || (this.cache.size <= BATCH_CACHE_COUNT && bytes <= BATCH_CACHE_BYTES)) break;
      bytes -= this.index.batches[b].byteLength;
      this.cache.delete(b);
    }
  }
}
