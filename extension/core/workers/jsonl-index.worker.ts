/**
 * Builds the row index of a JSONL shard in one streaming pass: validates every line (the shared
 * JsonlLineScanner), records each row's byte offset, length and line number, collects the columns,
 * and streams the index back in chunks (typed arrays, transferred). For gzip it also writes the
 * decompressed data to the cache file before indexing it, so offsets always point at written bytes.
 * With `textFacts` it also hashes and measures each row's text while the line is parsed anyway: the
 * annotations need both, and a second pass would read and parse the whole file again.
 *
 * Cancellation is cooperative (a flag in shared memory, checked per data chunk) so the worker can
 * close the files it has open before it ends; terminating it would leak the descriptors.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { CancelledError } from '../errors';
import { serveWorker } from '../run/serve-worker';
import { detectTextField, textOf } from '../shard/fields';
import { ColumnTypes, JsonlLineScanner, readData, type JsonObject, type LineSink } from '../shard/jsonl-lines';
import { MAX_MALFORMED_EXAMPLES, type Column, type IndexProgress, type MalformedLine } from '../shard/types';
import { putTextHash } from '../store/text-hash';

export interface JsonlIndexRequest {
  /** The file read: the shard itself, or its complete decompression cache. */
  file: string;
  gzip: boolean;
  /** Size of `file` (compressed size for gzip). */
  bytesTotal: number;
  /** Gzip: the temporary cache file to write the decompressed data into. */
  cacheTemp?: string;
  /** Int32Array over it: [0] set to 1 asks the worker to stop. */
  stop: SharedArrayBuffer;
  /** Gather text hashes and lengths (see JsonlIndexChunk). */
  textFacts: boolean;
  /** The text field asked for or preferred (see OpenOptions); it is chosen on the first chunk's columns, as the shard does. */
  textField?: string;
  preferTextField?: string;
}

export interface JsonlIndexChunk {
  /** Rows in this chunk; they follow the rows of the previous chunks. */
  count: number;
  /** Byte offset of each row in the (decompressed) data. */
  starts: Float64Array;
  /** Byte length of each row, without its line ending. */
  lengths: Uint32Array;
  /** 1-based line number of each row. */
  lines: Uint32Array;
  /** All columns seen so far. */
  columns: Column[];
  malformedCount: number;
  /** Malformed lines found since the previous chunk (until MAX_MALFORMED_EXAMPLES in all). */
  malformedExamples: MalformedLine[];
  progress: IndexProgress;
  /** With textFacts: each row's text hash and text length (UTF-16 code units). */
  textHashes?: BigUint64Array;
  textLengths?: Uint32Array;
}

export interface JsonlIndexResult {
  rows: number;
  /** Bytes of data indexed (decompressed size for gzip). */
  dataBytes: number;
  /** With textFacts: the field the hashes and lengths are of (undefined: no string column in the first rows). */
  textFacts?: { field: string | undefined };
}

/** Rows per chunk posted to the main thread. */
const CHUNK_ROWS = 65536;
/** Progress is posted at least this often while there is news. */
const PROGRESS_MS = 200;

/**
 * Hashes and measures each row's text. The field is chosen when the first rows are posted, from
 * the same columns the shard chooses it from; rows parsed before that wait with their values.
 */
class TextFactsBuilder {
  chosen = false;
  field: string | undefined;
  private hashWords = new Uint32Array(2 * CHUNK_ROWS);
  private textLengths = new Uint32Array(CHUNK_ROWS);
  private waiting: JsonObject[] = [];

  constructor(private readonly file: string, private readonly choice: Pick<JsonlIndexRequest, 'textField' | 'preferTextField'>) {}

  add(index: number, value: JsonObject): void {
    if (this.chosen) this.put(index, value);
    else this.waiting.push(value);
  }

  /** Called with the columns seen so far, before the first chunk that has rows is posted. */
  choose(columns: Column[]): void {
    // A requested field not among the first columns is still the field (the shard checks it at the end).
    this.field = this.choice.textField ?? detectTextField(this.file, columns, this.choice);
    this.chosen = true;
    this.waiting.forEach((value, index) => this.put(index, value));
    this.waiting = [];
  }

  /** The arrays of the chunk being posted; fresh ones are started for the next. */
  take(): { textHashes: BigUint64Array; textLengths: Uint32Array } {
    const taken = { textHashes: new BigUint64Array(this.hashWords.buffer), textLengths: this.textLengths };
    this.hashWords = new Uint32Array(2 * CHUNK_ROWS);
    this.textLengths = new Uint32Array(CHUNK_ROWS);
    return taken;
  }

  private put(index: number, value: JsonObject): void {
    const text = this.field === undefined ? '' : textOf(value[this.field]);
    putTextHash(this.hashWords, index, text);
    this.textLengths[index] = text.length;
  }
}

class IndexBuilder implements LineSink {
  rows = 0;
  bytesDone = 0;
  private count = 0;
  private starts = new Float64Array(CHUNK_ROWS);
  private lengths = new Uint32Array(CHUNK_ROWS);
  private lines = new Uint32Array(CHUNK_ROWS);
  private readonly columns = new ColumnTypes();
  private malformedCount = 0;
  private malformedExamples: MalformedLine[] = [];
  private lastPost = performance.now();
  private rowsPosted = false;

  constructor(
    private readonly bytesTotal: number,
    private readonly post: (chunk: JsonlIndexChunk, transfer: Transferable[]) => void,
    readonly facts: TextFactsBuilder | undefined,
  ) {}

  row(value: JsonObject, offset: number, length: number, line: number): void {
    this.columns.add(value);
    const i = this.count++;
    this.starts[i] = offset;
    this.lengths[i] = length;
    this.lines[i] = line;
    this.facts?.add(i, value);
    this.rows++;
    if (this.count === CHUNK_ROWS) this.flush();
  }

  malformed(line: number, error: string): void {
    if (this.malformedCount++ < MAX_MALFORMED_EXAMPLES) this.malformedExamples.push({ line, error });
  }

  /** After each data chunk: the first rows go out at once (the editor shows them), then every PROGRESS_MS. */
  afterData(bytesDone: number): void {
    this.bytesDone = bytesDone;
    if ((!this.rowsPosted && this.count > 0) || performance.now() - this.lastPost >= PROGRESS_MS) this.flush();
  }

  flush(): void {
    const { count, starts, lengths, lines } = this;
    const columns = this.columns.columns();
    const chunk: JsonlIndexChunk = {
      count, starts, lengths, lines, columns,
      malformedCount: this.malformedCount,
      malformedExamples: this.malformedExamples,
      progress: { bytesDone: this.bytesDone, bytesTotal: this.bytesTotal, rows: this.rows },
    };
    const transfer: Transferable[] = [starts.buffer, lengths.buffer, lines.buffer];
    if (this.facts && count > 0) {
      if (!this.facts.chosen) this.facts.choose(columns);
      Object.assign(chunk, this.facts.take());
      transfer.push(chunk.textHashes!.buffer, chunk.textLengths!.buffer);
    }
    this.post(chunk, transfer);
    this.count = 0;
    this.starts = new Float64Array(CHUNK_ROWS);
    this.lengths = new Uint32Array(CHUNK_ROWS);
    this.lines = new Uint32Array(CHUNK_ROWS);
    this.malformedExamples = [];
    this.lastPost = performance.now();
    this.rowsPosted ||= count > 0;
  }
}

function writeAll(fd: number, chunk: Buffer): void {
  for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done, chunk.length - done);
}

serveWorker<JsonlIndexRequest, JsonlIndexChunk, JsonlIndexResult>(async (request, emit) => {
  const stop = new Int32Array(request.stop);
  const cacheFd = request.cacheTemp !== undefined ? openSync(request.cacheTemp, 'r+') : undefined;
  try {
    const facts = request.textFacts ? new TextFactsBuilder(request.file, request) : undefined;
    const index = new IndexBuilder(request.bytesTotal, emit, facts);
    const scanner = new JsonlLineScanner(index);
    const data = readData(request.file, request.gzip);
    let dataBytes = 0;
    for await (const chunk of data.chunks) {
      if (Atomics.load(stop, 0) !== 0) throw new CancelledError();
      if (cacheFd !== undefined) writeAll(cacheFd, chunk);
      dataBytes += chunk.length;
      scanner.push(chunk);
      index.afterData(data.fileBytesRead());
    }
    scanner.end();
    index.bytesDone = request.bytesTotal;
    index.flush();
    return { rows: index.rows, dataBytes, textFacts: facts && { field: facts.field } };
  } finally {
    if (cacheFd !== undefined) closeSync(cacheFd);
  }
});
