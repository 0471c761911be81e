/**
 * After writing, export opens the written file like any shard (openShard: format detection, the
 * JSONL indexer or the Arrow footer and batch headers) and checks it holds exactly the rows it
 * should, and for JSONL that no line is malformed. Lines copied by the row index get a cheaper
 * check of the same soundness (verifyCopiedLines).
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { throwIfAborted, UserError } from '../errors';
import { openShard } from '../shard/open';
import type { ShardFormat } from '../shard/types';

export class ExportVerificationError extends UserError {
  override name = 'ExportVerificationError';
}

/**
 * Checks the file at `path` (named `name` in messages) is a shard of `format` with `rows` rows and
 * no malformed line. A gzipped file is decompressed into a throwaway cache folder.
 */
export async function verifyExport(path: string, name: string, expected: { format: ShardFormat; rows: number }, signal?: AbortSignal): Promise<void> {
  const cacheDir = expected.format === 'jsonl.gz' ? await mkdtemp(join(tmpdir(), 'shard-curator-verify-')) : undefined;
  try {
    let shard;
    try {
      shard = await openShard(path, { cacheDir, signal, textFacts: false });
      await shard.indexed;
    } catch (err) {
      await shard?.close();
      if (signal?.aborted) throw err;
      throw new ExportVerificationError(`${name}: the written file does not read back as a shard (${(err as Error).message})`, { cause: err });
    }
    try {
      const problems: string[] = [];
      if (shard.format !== expected.format) problems.push(`it reads as ${shard.format}, not ${expected.format}`);
      if (shard.rowCount !== expected.rows) problems.push(`it has ${shard.rowCount} rows, not ${expected.rows}`);
      if (shard.malformed.count > 0) {
        const first = shard.malformed.examples[0];
        problems.push(`${shard.malformed.count} of its lines are malformed${first ? ` (first: line ${first.line}, ${first.error})` : ''}`);
      }
      if (problems.length > 0) throw new ExportVerificationError(`${name}: the written file failed verification: ${problems.join('; ')}`);
    } finally {
      await shard.close();
    }
  } finally {
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  }
}

/**
 * Checks a JSONL file written by copying indexed lines (jsonl-by-index.ts): it must hold exactly
 * `rows` newlines and exactly the `dataBytes` bytes written (decompressed, for gzip). Why that is
 * enough: each line written is a byte-for-byte copy of a line the shard's indexer parsed as a JSON
 * object (the pass checks the file is still the one indexed, and that each line ends where the
 * index says), at most with keys JSON.stringify wrote spliced in before its closing brace, and a
 * newline; none holds a newline inside. So the lines are valid rows by construction; what can
 * still go wrong is the file on its way to and from the disk (bytes lost, added, cut, torn), which
 * changes its line count or its size. Reading it back this way runs at read speed, where reopening
 * it as a shard would parse every line again (~150 MB/s). No parsing happens here, so it runs on
 * the calling thread: a newline search per 1 MB chunk (well under a millisecond), and for gzip the
 * decompression on libuv's thread pool.
 */
export async function verifyCopiedLines(path: string, name: string, expected: { rows: number; dataBytes: number; gzip: boolean }, signal?: AbortSignal): Promise<void> {
  let lines = 0;
  let bytes = 0;
  let last = -1;
  try {
    for await (const chunk of expected.gzip ? gunzipped(path) : fileChunks(path)) {
      throwIfAborted(signal);
      for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) lines++;
      bytes += chunk.length;
      last = chunk[chunk.length - 1];
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ExportVerificationError(`${name}: the written file does not read back (${(err as Error).message})`, { cause: err });
  }
  const problems: string[] = [];
  if (lines !== expected.rows) problems.push(`it has ${lines} lines, not ${expected.rows}`);
  if (bytes !== expected.dataBytes) problems.push(`it holds ${bytes} bytes${expected.gzip ? ' decompressed' : ''}, not the ${expected.dataBytes} written`);
  if (bytes > 0 && last !== 0x0a) problems.push('its last line has no newline');
  if (problems.length > 0) throw new ExportVerificationError(`${name}: the written file failed verification: ${problems.join('; ')}`);
}

const VERIFY_READ_BYTES = 1 << 20;

/** The file's bytes in chunks read into one reused buffer (each chunk is valid until the next is asked for). */
async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafeSlow(VERIFY_READ_BYTES);
    for (let position = 0; ;) {
      const { bytesRead } = await file.read(buf, 0, VERIFY_READ_BYTES, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield bytesRead === VERIFY_READ_BYTES ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

async function* gunzipped(path: string): AsyncGenerator<Buffer> {
  const file = createReadStream(path, { highWaterMark: VERIFY_READ_BYTES });
  const gunzip = createGunzip({ chunkSize: VERIFY_READ_BYTES });
  file.on('error', (err) => gunzip.destroy(err));
  try {
    yield* file.pipe(gunzip) as AsyncIterable<Buffer>;
  } finally {
    file.destroy();
    gunzip.destroy();
  }
}
