/**
 * The rows of a JSONL or gzipped-JSONL shard with their exact bytes, in row order: what export
 * copies byte for byte. Which lines are rows is decided by JsonlLineScanner, as everywhere else;
 * this file only remembers where each row's bytes are in the chunks it pushed.
 */
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { throwIfAborted } from '../errors';
import { gunzipStream } from './gzip';
import { JsonlLineScanner, READ_CHUNK_BYTES, type JsonObject } from './jsonl-lines';

export interface RawRow {
  row: number;
  /** 1-based line number in the (decompressed) data. */
  line: number;
  /**
   * The line exactly as in the data, with its line ending (`\n`, `\r\n`) when it has one (the last
   * line may have none); a UTF-8 BOM at the start of the data is not part of the first line.
   * May share memory with the chunk it was read in; chunks are never reused.
   */
  bytes: Buffer;
  /** The parsed row (the scanner parses every line anyway). */
  value: JsonObject;
}

export interface RawRowScanOptions {
  signal?: AbortSignal;
  /** Every chunk of the file as read from disk, in order (compressed bytes for gzip): for a content hash. */
  onFileChunk?: (chunk: Buffer) => void;
  onMalformed?: (line: number, error: string) => void;
}

const NEWLINE = 10;
const CARRIAGE_RETURN = 13;

/**
 * The rows of `path` in batches (the rows that ended in one read chunk), in row order. `gzip`:
 * decompress on the fly (concatenated members too, like `gzip -d`).
 */
export async function* scanRawRows(path: string, gzip: boolean, options: RawRowScanOptions = {}): AsyncGenerator<RawRow[]> {
  throwIfAborted(options.signal);
  const file = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  let data: AsyncIterable<Buffer> = file;
  if (gzip) {
    // The hash needs the compressed bytes, the scanner the decompressed ones.
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        options.onFileChunk?.(chunk);
        done(null, chunk);
      },
    });
    file.on('error', (err) => tap.destroy(err));
    file.pipe(tap);
    data = gunzipStream(path, tap, READ_CHUNK_BYTES);
  }

  /** Chunks that may still hold bytes of rows not yet reported, the first starting at data offset `windowStart`. */
  let window: Buffer[] = [];
  let windowStart = 0;
  let dataEnd = 0;
  let batch: RawRow[] = [];
  let row = 0;

  const byteAt = (position: number): number => {
    let start = windowStart;
    for (const chunk of window) {
      if (position < start + chunk.length) return chunk[position - start];
      start += chunk.length;
    }
    return -1;
  };
  const bytesOf = (from: number, to: number): Buffer => {
    const pieces: Buffer[] = [];
    let start = windowStart;
    for (const chunk of window) {
      const end = start + chunk.length;
      if (end > from && start < to) pieces.push(chunk.subarray(Math.max(from, start) - start, Math.min(to, end) - start));
      start = end;
    }
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces);
  };

  const scanner = new JsonlLineScanner({
    row(value, offset, length, line) {
      // The scanner reports a line without its ending: take back the `\r` it dropped and the `\n`.
      let end = offset + length;
      if (byteAt(end) === CARRIAGE_RETURN) end++;
      if (byteAt(end) === NEWLINE) end++;
      batch.push({ row: row++, line, bytes: bytesOf(offset, end), value });
    },
    malformed(line, error) {
      options.onMalformed?.(line, error);
    },
  });

  try {
    for await (const chunk of data) {
      throwIfAborted(options.signal);
      if (!gzip) options.onFileChunk?.(chunk);
      window.push(chunk);
      dataEnd += chunk.length;
      scanner.push(chunk);
      // Every line ending before the last newline is reported: only the unfinished line stays.
      if (chunk.lastIndexOf(NEWLINE) >= 0) {
        window = [chunk];
        windowStart = dataEnd - chunk.length;
      }
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
    }
    scanner.end();
    if (batch.length > 0) yield batch;
  } finally {
    file.destroy();
  }
}
