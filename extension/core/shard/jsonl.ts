/**
 * JSONL and gzipped-JSONL shards. Opening starts the indexer worker and resolves as soon as the
 * first rows are indexed; rows are then read by byte range (pread) while the index keeps growing.
 * Note: JSON numbers beyond 2^53 lose precision (JSON.parse), both in the rows shown and the texts.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { ShardError, throwIfAborted } from '../errors';
import { runWorker, WorkerError } from '../run/workers';
import type { JsonlIndexChunk, JsonlIndexRequest, JsonlIndexResult } from '../workers/jsonl-index.worker';
import { detectTextField, textOf } from './fields';
import { commitCache, createCacheTemp, discardCacheTemp, findGzipCache } from './gzip';
import { JsonlLineScanner, readData, type JsonObject } from './jsonl-lines';
import type {
  Column, MalformedReport, OpenOptions, Row, ScanOptions, Shard, ShardSource, TextFacts, TextItem,
} from './types';
import { MAX_MALFORMED_EXAMPLES } from './types';

/** One read serves adjacent rows up to this many bytes (a page of huge rows takes several reads). */
const MAX_READ_BYTES = 16 << 20;

/**
 * A JSONL shard's completed row index, handed to another thread (export copies the kept rows by
 * it). The typed arrays live in shared memory: passing the index to a worker copies nothing.
 */
export interface JsonlRowIndex {
  /** The shard (for gzip: the .gz file, whose content the recipe fingerprints). */
  path: string;
  /** The file the offsets point into: the shard, or for gzip its decompressed cache file. */
  dataPath: string;
  /** Size and mtime of `dataPath` as indexed: a reader checks it still is that file. */
  dataBytes: number;
  dataMtimeMs: number;
  rowCount: number;
  /** Byte offset of each row in `dataPath` (after the BOM, if any). */
  starts: Float64Array;
  /** Byte length of each row, without its line ending. */
  lengths: Uint32Array;
  /** Lines that are not rows (malformed). */
  malformedLines: number;
  /** Every key seen in any row. */
  columnNames: string[];
}

/** Where a scan resumes mid-file: the byte offset, line and row number of a known row. */
export interface ScanSeek {
  offset: number;
  line: number;
  row: number;
}

/**
 * Texts of rows [start, end) in row order, validating every line exactly like the indexer, so row
 * numbers agree with readRows. Without `seek` it reads from the start of the data.
 */
export async function* scanJsonlTexts(source: ShardSource, options: ScanOptions = {}, seek?: ScanSeek): AsyncGenerator<TextItem> {
  const start = options.start ?? 0;
  const end = options.end ?? Infinity;
  if (end <= start) return;
  throwIfAborted(options.signal);
  const field = source.textField;
  let row = seek?.row ?? 0;
  let batch: TextItem[] = [];
  const scanner = new JsonlLineScanner({
    row(value: JsonObject) {
      if (row >= start && row < end) batch.push({ row, text: field === undefined ? '' : textOf(value[field]) });
      row++;
    },
    malformed() {},
  }, seek && { offset: seek.offset, line: seek.line });
  // Gzip without a complete cache file is decompressed on the fly (the same bytes, the same rows).
  const gzip = source.format === 'jsonl.gz' && source.dataPath === undefined;
  const data = readData(source.dataPath ?? source.path, gzip, seek?.offset ?? 0);
  for await (const chunk of data.chunks) {
    throwIfAborted(options.signal);
    scanner.push(chunk);
    yield* batch;
    batch = [];
    if (row >= end) return;
  }
  scanner.end();
  yield* batch;
}

/** A worker's ShardError arrives as a WorkerError; give the caller the real class back. */
function reviveShardError(path: string, err: unknown): unknown {
  if (err instanceof WorkerError && err.originalName === 'ShardError') {
    const prefix = `${path}: `;
    return new ShardError(path, err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message, { cause: err });
  }
  return err;
}

export class JsonlShard implements Shard {
  rowCount = 0;
  columns: Column[] = [];
  textField: string | undefined;
  malformed: MalformedReport = { count: 0, examples: [] };
  readonly indexed: Promise<void>;
  /** Resolves when the first rows are indexed (or the whole shard is, if it has none). */
  readonly opened: Promise<void>;

  private starts = new Float64Array(1024);
  private lengths = new Uint32Array(1024);
  private lines = new Uint32Array(1024);
  /** Each row's text hash and length, gathered by the index pass (options.textFacts). */
  private textHashes: BigUint64Array | undefined;
  private textLengths: Uint32Array | undefined;
  /** Once indexed: the text field the gathered facts are of. */
  private factsField: { field: string | undefined } | undefined;
  private complete = false;
  /** Size and mtime of the data file once indexed (for rowIndex). */
  private indexedData: { bytes: number; mtimeMs: number } | undefined;
  private cacheComplete: boolean;
  private textFieldChosen = false;
  private resolveOpened!: () => void;
  private readonly stop = new SharedArrayBuffer(4);
  private readonly onAbort = () => this.stopIndexing();

  constructor(
    readonly path: string,
    readonly format: 'jsonl' | 'jsonl.gz',
    readonly bytes: number,
    private readonly fd: FileHandle,
    /** The file rows are read from: the shard, or (gzip) its cache file, temporary until indexed. */
    private dataPath: string,
    private readonly options: OpenOptions,
    cache: { temp: string; final: string } | undefined,
    bytesTotal: number,
  ) {
    this.cacheComplete = format === 'jsonl.gz' && cache === undefined;
    let rejectOpened!: (err: unknown) => void;
    this.opened = new Promise<void>((resolve, reject) => {
      this.resolveOpened = resolve;
      rejectOpened = reject;
    });
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
    const textFacts = options.textFacts !== false;
    if (textFacts) {
      this.textHashes = new BigUint64Array(this.starts.length);
      this.textLengths = new Uint32Array(this.starts.length);
    }
    const request: JsonlIndexRequest = {
      file: cache ? path : dataPath, gzip: cache !== undefined, bytesTotal, cacheTemp: cache?.temp, stop: this.stop, textFacts, textField: options.textField, preferTextField: options.preferTextField,
    };
    this.indexed = runWorker<JsonlIndexRequest, JsonlIndexChunk, JsonlIndexResult>('jsonl-index', request, {
      onEvent: (chunk) => this.onChunk(chunk),
    }).then(
      async (result) => {
        if (cache) {
          await commitCache(cache.temp, cache.final);
          this.dataPath = cache.final;
          this.cacheComplete = true;
        }
        this.indexedData = { bytes: result.dataBytes, mtimeMs: (await stat(this.dataPath)).mtimeMs };
        this.factsField = result.textFacts;
        this.complete = true;
        this.chooseTextField(true);
      },
      async (err: unknown) => {
        if (cache) await discardCacheTemp(cache.temp);
        throw reviveShardError(path, err);
      },
    ).finally(() => options.signal?.removeEventListener('abort', this.onAbort));
    this.indexed.then(() => this.resolveOpened(), rejectOpened);
    // Callers that only await `opened` must not see an unhandled rejection of `indexed`.
    this.indexed.catch(() => undefined);
    this.opened.catch(() => undefined);
  }

  private onChunk(chunk: JsonlIndexChunk): void {
    const needed = this.rowCount + chunk.count;
    if (needed > this.starts.length) {
      let capacity = this.starts.length;
      while (capacity < needed) capacity *= 2;
      this.starts = grow(this.starts, new Float64Array(capacity), this.rowCount);
      this.lengths = grow(this.lengths, new Uint32Array(capacity), this.rowCount);
      this.lines = grow(this.lines, new Uint32Array(capacity), this.rowCount);
      if (this.textHashes) this.textHashes = grow(this.textHashes, new BigUint64Array(capacity), this.rowCount);
      if (this.textLengths) this.textLengths = grow(this.textLengths, new Uint32Array(capacity), this.rowCount);
    }
    this.starts.set(chunk.starts.subarray(0, chunk.count), this.rowCount);
    this.lengths.set(chunk.lengths.subarray(0, chunk.count), this.rowCount);
    this.lines.set(chunk.lines.subarray(0, chunk.count), this.rowCount);
    if (chunk.textHashes) this.textHashes?.set(chunk.textHashes.subarray(0, chunk.count), this.rowCount);
    if (chunk.textLengths) this.textLengths?.set(chunk.textLengths.subarray(0, chunk.count), this.rowCount);
    this.rowCount = needed;
    this.columns = chunk.columns;
    const room = MAX_MALFORMED_EXAMPLES - this.malformed.examples.length;
    this.malformed = {
      count: chunk.malformedCount,
      examples: room > 0 && chunk.malformedExamples.length > 0
        ? [...this.malformed.examples, ...chunk.malformedExamples.slice(0, room)]
        : this.malformed.examples,
    };
    this.options.onProgress?.(chunk.progress);
    if (this.rowCount > 0) this.chooseTextField(false);
  }

  /** Detected on the first rows' columns; a requested field not seen yet is checked once indexed. */
  private chooseTextField(final: boolean): void {
    // Once chosen it stays, except that a shard whose first rows had no string column gets another look.
    if (this.textFieldChosen && (this.textField !== undefined || !final)) return;
    const requested = this.options.textField;
    if (requested !== undefined && !this.columns.some((c) => c.name === requested)) {
      if (!final) return;
      if (this.rowCount > 0) detectTextField(this.path, this.columns, this.options); // throws: not a column
      this.textField = requested;
    } else {
      this.textField = detectTextField(this.path, this.columns, this.options);
    }
    this.textFieldChosen = true;
    this.resolveOpened();
  }

  private stopIndexing(): void {
    Atomics.store(new Int32Array(this.stop), 0, 1);
  }

  /** 1-based line number of a row in the (decompressed) file. */
  lineOf(row: number): number {
    if (!(row >= 0 && row < this.rowCount)) throw new RangeError(`row ${row} is not in 0..${this.rowCount - 1}`);
    return this.lines[row];
  }

  async readRows(start: number, count: number): Promise<Row[]> {
    const first = Math.max(0, Math.floor(start));
    const end = Math.min(this.rowCount, first + Math.max(0, Math.floor(count)));
    const rows: Row[] = [];
    for (let i = first; i < end;) {
      const from = this.starts[i];
      let j = i + 1;
      while (j < end && this.starts[j] + this.lengths[j] - from <= MAX_READ_BYTES) j++;
      const buf = await this.readRange(from, this.starts[j - 1] + this.lengths[j - 1] - from);
      for (let k = i; k < j; k++) {
        const at = this.starts[k] - from;
        const fields = this.parseRow(buf.toString('utf8', at, at + this.lengths[k]));
        rows.push({ row: k, text: this.textField === undefined ? '' : textOf(fields[this.textField]), fields });
      }
      i = j;
    }
    return rows;
  }

  private async readRange(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    for (let done = 0; done < length;) {
      const { bytesRead } = await this.fd.read(buf, done, length - done, position + done);
      if (bytesRead === 0) throw this.changedOnDisk();
      done += bytesRead;
    }
    return buf;
  }

  private parseRow(line: string): JsonObject {
    try {
      return JSON.parse(line) as JsonObject;
    } catch {
      throw this.changedOnDisk();
    }
  }

  private changedOnDisk(): ShardError {
    return new ShardError(this.path, 'changed on disk since it was opened (a row is no longer where the index says); reopen it');
  }

  texts(options: ScanOptions = {}): AsyncIterable<TextItem> {
    const start = Math.max(0, options.start ?? 0);
    if (this.complete && start < this.rowCount) {
      return scanJsonlTexts(this.source(), options, { offset: this.starts[start], line: this.lines[start], row: start });
    }
    return scanJsonlTexts(this.source(), options);
  }

  setTextField(name: string): void {
    this.textField = detectTextField(this.path, this.columns, { textField: name });
  }

  /**
   * The completed row index (once `indexed` has resolved), copied into shared memory: 12 bytes a
   * row, and a worker it is passed to reads the same memory.
   */
  rowIndex(): JsonlRowIndex {
    if (!this.complete || !this.indexedData) throw new Error(`${this.path}: the row index is not complete yet (await shard.indexed first)`);
    const rowCount = this.rowCount;
    const starts = new Float64Array(new SharedArrayBuffer(rowCount * Float64Array.BYTES_PER_ELEMENT));
    starts.set(this.starts.subarray(0, rowCount));
    const lengths = new Uint32Array(new SharedArrayBuffer(rowCount * Uint32Array.BYTES_PER_ELEMENT));
    lengths.set(this.lengths.subarray(0, rowCount));
    return {
      path: this.path, dataPath: this.dataPath, dataBytes: this.indexedData.bytes, dataMtimeMs: this.indexedData.mtimeMs,
      rowCount, starts, lengths, malformedLines: this.malformed.count, columnNames: this.columns.map((c) => c.name),
    };
  }

  textFacts(): TextFacts | undefined {
    if (!this.complete || !this.textHashes || !this.textLengths || !this.factsField || this.factsField.field !== this.textField) return undefined;
    return { hashes: this.textHashes.subarray(0, this.rowCount), lengths: this.textLengths.subarray(0, this.rowCount) };
  }

  source(): ShardSource {
    const source: ShardSource = { path: this.path, format: this.format, textField: this.textField };
    // A gzip cache is handed out only when complete; until then scans decompress the shard themselves.
    if (this.cacheComplete) source.dataPath = this.dataPath;
    return source;
  }

  async close(): Promise<void> {
    this.stopIndexing();
    await this.indexed.catch(() => undefined);
    await this.fd.close();
  }
}

function grow<T extends { set(values: T): void; subarray(begin: number, end: number): T }>(from: T, to: T, used: number): T {
  to.set(from.subarray(0, used));
  return to;
}

/** Opens a JSONL or gzipped-JSONL shard (already detected); resolves once the first rows are indexed. */
export async function openJsonlShard(path: string, format: 'jsonl' | 'jsonl.gz', options: OpenOptions = {}): Promise<JsonlShard> {
  throwIfAborted(options.signal);
  const { size } = await stat(path);
  let dataPath = path;
  let cache: { temp: string; final: string } | undefined;
  if (format === 'jsonl.gz') {
    const found = await findGzipCache(path, options.cacheDir);
    if (found.hit) dataPath = found.cachePath;
    else {
      cache = { temp: await createCacheTemp(found.cachePath), final: found.cachePath };
      dataPath = cache.temp;
    }
  }
  const fd = await open(dataPath, 'r');
  const bytesTotal = cache ? size : (await fd.stat()).size;
  const shard = new JsonlShard(path, format, size, fd, dataPath, options, cache, bytesTotal);
  try {
    await shard.opened;
  } catch (err) {
    await shard.close();
    throw err;
  }
  return shard;
}
