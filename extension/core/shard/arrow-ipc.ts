/**
 * The Arrow IPC layer under the Arrow shard reader: reads the framing (message prefixes, the file
 * footer) straight from disk so that open touches only metadata, builds the batch table (which rows
 * live in which record batch, at which byte offset), and decodes one record batch at a time.
 * apache-arrow decodes the flatbuffers and the batch bodies; this file decides what to read.
 */
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  compressionRegistry, CompressionType, Message, MessageHeader, RecordBatchReader,
  type RecordBatch, type RecordBatchStreamReader, type Schema, type Vector,
} from 'apache-arrow';
// The footer decoder is not re-exported from the package root; apache-arrow is pinned exactly.
import { Footer } from 'apache-arrow/ipc/metadata/file';
import { ShardError, throwIfAborted } from '../errors';

const MAGIC = 'ARROW1';
/** "ARROW1" + 2 bytes of padding before the first message of a file. */
const FILE_HEAD_BYTES = 8;
/** int32 footer length + "ARROW1" at the very end of a file. */
const FILE_TAIL_BYTES = 10;
const CONTINUATION = -1;
/** First read of a message whose metadata length is unknown: most record batch headers fit. */
const HEADER_PROBE_BYTES = 4096;
/** Metadata reads are synchronous; the event loop gets a turn after this many of them. */
const HEADERS_PER_TURN = 256;

const REEXPORT = 'the file may be incomplete or damaged — re-export it';

/**
 * A shard file read by absolute offset; every read returns exactly what was asked or fails.
 * Bodies are read asynchronously. Metadata (a few hundred bytes per batch, hundreds of batches) is
 * read synchronously: an async read costs a thread-pool round trip, which made open several times
 * slower than the reads themselves.
 */
export class ArrowFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<ArrowFile> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw new ShardError(path, `cannot be opened: ${(err as Error).message}`, { cause: err });
    }
    try {
      return new ArrowFile(path, handle, (await handle.stat()).size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Bytes [offset, offset+length); `what` names them in the error if the file is shorter. */
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) throw this.truncated(what, offset, length);
    // A fresh ArrayBuffer per read keeps the body 8-byte aligned for apache-arrow's typed-array views.
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(bytes, done, length - done, offset + done);
      if (bytesRead === 0) throw this.truncated(what, offset, length);
      done += bytesRead;
    }
    return bytes;
  }

  /** Like read(), synchronously: for small metadata reads only. */
  readNow(offset: number, length: number, what: string): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.size) throw this.truncated(what, offset, length);
    const bytes = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const bytesRead = readSync(this.handle.fd, bytes, done, length - done, offset + done);
      if (bytesRead === 0) throw this.truncated(what, offset, length);
      done += bytesRead;
    }
    return bytes;
  }

  truncated(what: string, offset: number, length: number): ShardError {
    return new ShardError(this.path,
      `Arrow IPC data is truncated or corrupt: ${what} needs ${length} bytes at offset ${offset}, but the file has ${this.size} bytes; ${REEXPORT}`);
  }

  corrupt(problem: string, cause?: unknown): ShardError {
    return new ShardError(this.path, `Arrow IPC data is corrupt: ${problem}; ${REEXPORT}`, cause === undefined ? undefined : { cause });
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** One record batch in the batch table. */
export interface BatchEntry {
  /** Byte offset of the batch's message (its prefix) in the file. */
  offset: number;
  /** Prefix + metadata + body. */
  byteLength: number;
  rows: number;
  /** Row number of the batch's first row. */
  firstRow: number;
  /** The dictionaries in force for this batch (streams may replace or extend them between batches). */
  dictionaries: Map<number, Vector>;
}

export interface ArrowIndex {
  schema: Schema;
  batches: BatchEntry[];
  rowCount: number;
}

/** A footer entry: where a dictionary or record batch message is and how long it is. */
type Block = NonNullable<ReturnType<Footer['getRecordBatch']>>;

interface MessageAt {
  message: Message<MessageHeader>;
  offset: number;
  bodyOffset: number;
  bodyLength: number;
}

const HEADER_NAMES: Partial<Record<MessageHeader, string>> = {
  [MessageHeader.Schema]: 'schema',
  [MessageHeader.DictionaryBatch]: 'dictionary batch',
  [MessageHeader.RecordBatch]: 'record batch',
};

/**
 * The message at `offset` (metadata only; the body is not read), or null at the end-of-stream
 * marker or the end of the file. Handles both the current framing (0xFFFFFFFF, int32 length) and
 * the pre-0.15 one (int32 length only). `probe` is how many bytes to read first.
 */
function readMessageAt(file: ArrowFile, offset: number, probe = HEADER_PROBE_BYTES): MessageAt | null {
  if (offset === file.size) return null;
  let head = file.readNow(offset, Math.min(probe, file.size - offset), `the message at offset ${offset}`);
  if (head.byteLength < 4) throw file.truncated(`the message prefix at offset ${offset}`, offset, 4);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let prefix = 4;
  let metadataLength = view.getInt32(0, true);
  if (metadataLength === CONTINUATION) {
    if (head.byteLength < 8) throw file.truncated(`the message prefix at offset ${offset}`, offset, 8);
    prefix = 8;
    metadataLength = view.getInt32(4, true);
  }
  if (metadataLength === 0) return null;
  if (metadataLength < 0) throw file.corrupt(`the message at offset ${offset} has a negative metadata length (${metadataLength})`);
  if (prefix + metadataLength > head.byteLength) {
    head = file.readNow(offset, prefix + metadataLength, `the message metadata at offset ${offset}`);
  }
  let message: Message<MessageHeader>;
  try {
    message = Message.decode(head.subarray(prefix, prefix + metadataLength));
  } catch (err) {
    throw file.corrupt(`the message at offset ${offset} cannot be decoded`, err);
  }
  const bodyOffset = offset + prefix + metadataLength;
  const bodyLength = message.bodyLength;
  if (!HEADER_NAMES[message.headerType]) {
    throw file.corrupt(`the message at offset ${offset} is not a schema, dictionary or record batch (header type ${message.headerType})`);
  }
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) {
    throw file.corrupt(`the ${HEADER_NAMES[message.headerType]} at offset ${offset} has an invalid body length (${bodyLength})`);
  }
  if (bodyOffset + bodyLength > file.size) {
    throw file.truncated(`the body of the ${HEADER_NAMES[message.headerType]} at offset ${offset}`, bodyOffset, bodyLength);
  }
  return { message, offset, bodyOffset, bodyLength };
}

/** Decodes a message's flatbuffer header, turning a decoder failure into a ShardError. */
function headerOf<T extends MessageHeader>(file: ArrowFile, at: MessageAt, type: T): ReturnType<Message<T>['header']> {
  if (at.message.headerType !== type) {
    throw file.corrupt(`expected a ${HEADER_NAMES[type]} at offset ${at.offset}, found a ${HEADER_NAMES[at.message.headerType]}`);
  }
  try {
    const header = (at.message as Message<T>).header();
    if (!header) throw new Error('empty header');
    return header;
  } catch (err) {
    throw file.corrupt(`the ${HEADER_NAMES[type]} at offset ${at.offset} cannot be decoded`, err);
  }
}

/** Row count of a record batch message; also refuses compressed bodies apache-arrow has no codec for. */
function batchRows(file: ArrowFile, at: MessageAt): number {
  const header = headerOf(file, at, MessageHeader.RecordBatch);
  if (header.compression && !compressionRegistry.get(header.compression.type)?.decode) {
    throw new ShardError(file.path,
      `its record batches are compressed with ${CompressionType[header.compression.type]}, which this reader cannot decompress; re-export it uncompressed (e.g. pyarrow: compression=None)`);
  }
  if (!Number.isSafeInteger(header.length) || header.length < 0) {
    throw file.corrupt(`the record batch at offset ${at.offset} has an invalid row count (${header.length})`);
  }
  return header.length;
}

/**
 * A stream reader over the IPC messages in `bytes`, primed with a known schema and dictionaries so
 * that a single record batch (or dictionary batch) can be decoded on its own, out of stream order.
 */
function primedReader(schema: Schema, dictionaries: Map<number, Vector>, bytes: Uint8Array): RecordBatchStreamReader {
  const reader = RecordBatchReader.from(bytes) as RecordBatchStreamReader;
  reader.reset(schema);
  for (const [id, dictionary] of dictionaries) reader.dictionaries.set(id, dictionary);
  return reader;
}

/** The dictionaries after applying the dictionary batch in `bytes` (replacement or delta). */
async function applyDictionaryBatch(file: ArrowFile, schema: Schema, dictionaries: Map<number, Vector>, at: MessageAt): Promise<Map<number, Vector>> {
  const header = headerOf(file, at, MessageHeader.DictionaryBatch);
  if (!schema.dictionaries.has(header.id)) {
    throw file.corrupt(`the dictionary batch at offset ${at.offset} has id ${header.id}, which no schema field uses`);
  }
  const bytes = await file.read(at.offset, at.bodyOffset - at.offset + at.bodyLength, `the dictionary batch at offset ${at.offset}`);
  try {
    const reader = primedReader(schema, dictionaries, bytes);
    reader.next();
    return new Map(reader.dictionaries);
  } catch (err) {
    throw file.corrupt(`the dictionary batch at offset ${at.offset} cannot be decoded`, err);
  }
}

/** Record batch `entry`, read from disk and decoded. */
export async function readBatch(file: ArrowFile, index: ArrowIndex, entry: BatchEntry): Promise<RecordBatch> {
  const bytes = await file.read(entry.offset, entry.byteLength, `the record batch at offset ${entry.offset}`);
  let result: IteratorResult<RecordBatch>;
  try {
    result = primedReader(index.schema, entry.dictionaries, bytes).next();
  } catch (err) {
    throw file.corrupt(`the record batch at offset ${entry.offset} cannot be decoded`, err);
  }
  if (result.done || result.value.numRows !== entry.rows) {
    throw file.corrupt(`the record batch at offset ${entry.offset} does not hold the ${entry.rows} rows its header announces`);
  }
  return result.value;
}

function pushBatch(batches: BatchEntry[], entry: Omit<BatchEntry, 'firstRow'>): void {
  const last = batches[batches.length - 1];
  batches.push({ ...entry, firstRow: last ? last.firstRow + last.rows : 0 });
}

function finish(schema: Schema, batches: BatchEntry[]): ArrowIndex {
  const last = batches[batches.length - 1];
  return { schema, batches, rowCount: last ? last.firstRow + last.rows : 0 };
}

/**
 * IPC file format: reads the footer (schema + block list), the dictionary batches, and the metadata
 * of each record batch for its row count. Batch bodies are not read.
 */
export async function indexArrowFile(file: ArrowFile, signal?: AbortSignal): Promise<ArrowIndex> {
  const minimum = FILE_HEAD_BYTES + FILE_TAIL_BYTES;
  if (file.size < minimum) throw file.truncated('an Arrow IPC file (magic, footer, magic)', 0, minimum);
  const tail = file.readNow(file.size - FILE_TAIL_BYTES, FILE_TAIL_BYTES, 'the footer length and closing magic');
  if (Buffer.from(tail.subarray(4)).toString('latin1') !== MAGIC) {
    throw new ShardError(file.path,
      `Arrow IPC file does not end with the "${MAGIC}" magic: it is truncated (an interrupted write?) or not an Arrow file; ${REEXPORT}`);
  }
  const footerLength = new DataView(tail.buffer).getInt32(0, true);
  const footerEnd = file.size - FILE_TAIL_BYTES;
  const footerOffset = footerEnd - footerLength;
  if (footerLength <= 0 || footerOffset < FILE_HEAD_BYTES) {
    throw new ShardError(file.path,
      `Arrow IPC footer is corrupt or the file is truncated (footer length ${footerLength} does not fit between offset ${FILE_HEAD_BYTES} and ${footerEnd}); ${REEXPORT}`);
  }
  const footerBytes = file.readNow(footerOffset, footerLength, 'the footer');
  let footer: Footer;
  let blocks: { record: Block[]; dictionary: Block[] };
  try {
    footer = Footer.decode(footerBytes);
    blocks = { record: [...footer.recordBatches()], dictionary: [...footer.dictionaryBatches()] };
    if (!footer.schema) throw new Error('no schema');
  } catch (err) {
    throw new ShardError(file.path,
      `Arrow IPC footer is corrupt (the ${footerLength} bytes of footer at offset ${footerOffset} do not decode); ${REEXPORT}`, { cause: err });
  }
  const schema = footer.schema;
  for (const block of [...blocks.dictionary, ...blocks.record]) {
    if (!(block.offset >= FILE_HEAD_BYTES && block.metaDataLength > 0 && block.bodyLength >= 0
      && block.offset + block.metaDataLength + block.bodyLength <= footerOffset)) {
      throw new ShardError(file.path,
        `Arrow IPC footer is corrupt: it points to a block at offset ${block.offset} (${block.metaDataLength} + ${block.bodyLength} bytes) outside the data before the footer (offset ${footerOffset}); ${REEXPORT}`);
    }
  }

  let dictionaries = new Map<number, Vector>();
  for (const block of blocks.dictionary) {
    throwIfAborted(signal);
    const at = blockMessage(file, block);
    dictionaries = await applyDictionaryBatch(file, schema, dictionaries, at);
  }

  const messages: MessageAt[] = [];
  for (const block of blocks.record) {
    if (messages.length % HEADERS_PER_TURN === HEADERS_PER_TURN - 1) await nextTurn();
    throwIfAborted(signal);
    messages.push(blockMessage(file, block));
  }

  const batches: BatchEntry[] = [];
  for (const at of messages) {
    pushBatch(batches, { offset: at.offset, byteLength: at.bodyOffset - at.offset + at.bodyLength, rows: batchRows(file, at), dictionaries });
  }
  return finish(schema, batches);
}

/**
 * The message a footer block points to. Its framing, not the block's metaDataLength, says where the
 * body starts (as in apache-arrow's own reader); the body length must agree with the block's.
 */
function blockMessage(file: ArrowFile, block: Block): MessageAt {
  const at = readMessageAt(file, block.offset, block.metaDataLength);
  if (!at || at.bodyLength !== block.bodyLength) {
    throw new ShardError(file.path,
      `Arrow IPC footer is corrupt: the block at offset ${block.offset} does not match the message there; ${REEXPORT}`);
  }
  return at;
}

/**
 * IPC stream format (no footer): walks the messages from the start, reading each one's metadata and
 * skipping its body by length. Only dictionary batch bodies are read. Reports progress by bytes.
 */
export async function indexArrowStream(file: ArrowFile, signal?: AbortSignal, onProgress?: (bytesDone: number, rows: number) => void): Promise<ArrowIndex> {
  const first = readMessageAt(file, 0);
  if (!first) throw new ShardError(file.path, 'Arrow IPC stream is empty: it has no schema; re-export it');
  const schema = headerOf(file, first, MessageHeader.Schema);
  let dictionaries = new Map<number, Vector>();
  const batches: BatchEntry[] = [];
  let rows = 0;
  let offset = first.bodyOffset + first.bodyLength;
  let reported = 0;
  let messages = 0;
  for (let at = readMessageAt(file, offset); at; at = readMessageAt(file, offset)) {
    if (++messages % HEADERS_PER_TURN === 0) await nextTurn();
    throwIfAborted(signal);
    if (at.message.isDictionaryBatch()) {
      dictionaries = await applyDictionaryBatch(file, schema, dictionaries, at);
    } else if (at.message.isRecordBatch()) {
      const batchRowCount = batchRows(file, at);
      pushBatch(batches, { offset, byteLength: at.bodyOffset - offset + at.bodyLength, rows: batchRowCount, dictionaries });
      rows += batchRowCount;
    } else {
      throw file.corrupt(`a second schema message at offset ${offset} (concatenated streams are not supported)`);
    }
    offset = at.bodyOffset + at.bodyLength;
    if (onProgress && offset - reported >= file.size / 100) {
      reported = offset;
      onProgress(offset, rows);
    }
  }
  return finish(schema, batches);
}

/** Index of the batch holding `row` (rows must be < rowCount). */
export function batchOfRow(index: ArrowIndex, row: number): number {
  let lo = 0;
  let hi = index.batches.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (index.batches[mid].firstRow <= row) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
