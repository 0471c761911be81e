/**
 * Which format a shard is, from its first bytes (never from its name: `.jsonl` files are often
 * gzip, and shards get renamed).
 */
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import { createGunzip } from 'node:zlib';
import { ShardError } from '../errors';
import type { ShardFormat } from './types';

const SUPPORTED = 'supported are JSONL (one JSON object per line), gzipped JSONL and Arrow IPC (file or stream)';

/** Formats people often mistake for a shard we read, with what to do instead. */
const OTHER_FORMATS: Array<{ magic: number[]; advice: string }> = [
  { magic: [0x50, 0x41, 0x52, 0x31], advice: 'is a Parquet file, which is not supported; convert it to Arrow IPC or JSONL (e.g. with pyarrow)' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], advice: 'is zstd-compressed, which is not supported; decompress it (zstd -d) or re-compress it with gzip' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], advice: 'is xz-compressed, which is not supported; decompress it (xz -d) or re-compress it with gzip' },
  { magic: [0x42, 0x5a, 0x68], advice: 'is bzip2-compressed, which is not supported; decompress it (bzip2 -d) or re-compress it with gzip' },
  { magic: [0x50, 0x4b, 0x03, 0x04], advice: 'is a zip archive, which is not supported; extract the shard from it' },
];

const ARROW_NAMES = new Set(['.arrow', '.arrows', '.feather', '.ipc']);

/** How many bytes are looked at first (whitespace-only starts read on). */
const HEAD_BYTES = 64 * 1024;

function isJsonWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function describeBytes(head: Buffer): string {
  const bytes = head.subarray(0, 8);
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = [...bytes].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
  return `${hex} ("${text}")`;
}

/** A pre-0.15 Arrow stream: int32 metadata length (8-aligned) then a flatbuffer whose root offset lies inside it. */
function isLegacyArrowStream(head: Buffer, fileSize: number): boolean {
  if (head.length < 8) return false;
  const length = head.readInt32LE(0);
  const rootOffset = head.readUInt32LE(4);
  return length > 0 && length % 8 === 0 && 4 + length <= fileSize && rootOffset >= 4 && rootOffset < length && rootOffset % 4 === 0;
}

function fileError(path: string, err: unknown): ShardError | unknown {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT': return new ShardError(path, 'no such file', { cause: err });
    case 'EACCES':
    case 'EPERM': return new ShardError(path, 'permission denied: this user cannot read the file; check its permissions', { cause: err });
    case 'EISDIR': return new ShardError(path, 'is a folder, not a shard file', { cause: err });
    default: return err;
  }
}

export async function detectFormat(path: string): Promise<ShardFormat> {
  let size: number;
  let handle;
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = info.size;
    handle = await open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const first = head.subarray(0, bytesRead);
    if (first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b) {
      const inner = await gunzipHead(path);
      if (inner.length === 0 || startsWithObject(inner)) return 'jsonl.gz';
      throw new ShardError(path, `is gzip-compressed, but what it holds is not JSONL: the decompressed data starts with bytes ${describeBytes(inner)}; ${SUPPORTED}`);
    }
    if (first.length >= 6 && first.toString('latin1', 0, 6) === 'ARROW1') return 'arrow-file';
    if (first.length >= 8 && first.readUInt32LE(0) === 0xffffffff && first.readInt32LE(4) >= 0) return 'arrow-stream';
    if (await startsLikeJsonl(handle, first, size)) return 'jsonl';
    if (isLegacyArrowStream(first, size)) return 'arrow-stream';
    throw new ShardError(path, unsupportedProblem(path, first));
  } finally {
    await handle.close();
  }
}

/** The first decompressed bytes of a gzip file; a broken stream is left for the indexer to report in full. */
async function gunzipHead(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  const input = createReadStream(path);
  const gunzip = input.pipe(createGunzip());
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      bytes += chunk.length;
      if (bytes >= HEAD_BYTES) break;
    }
  } catch {
    // Truncated or corrupt: detection only needs what could be decompressed.
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  return Buffer.concat(chunks);
}

function skipWhitespace(buf: Buffer, from: number): number {
  let i = from;
  while (i < buf.length && isJsonWhitespace(buf[i])) i++;
  return i;
}

function bomLength(buf: Buffer): number {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
}

/** Within `head`: `{` after an optional BOM and whitespace, or only whitespace. */
function startsWithObject(head: Buffer): boolean {
  const i = skipWhitespace(head, bomLength(head));
  return i === head.length || head[i] === 0x7b;
}

/** After an optional UTF-8 BOM and whitespace: `{`, or nothing at all (an empty shard). */
async function startsLikeJsonl(handle: FileHandle, head: Buffer, size: number): Promise<boolean> {
  let buf = head;
  let i = skipWhitespace(buf, bomLength(buf));
  // Only whitespace so far: read on until the first other byte or the end of the file.
  for (let position = buf.length; i === buf.length && position < size; position += buf.length) {
    buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buf, 0, buf.length, position);
    if (bytesRead === 0) break;
    buf = buf.subarray(0, bytesRead);
    i = skipWhitespace(buf, 0);
  }
  return i === buf.length || buf[i] === 0x7b;
}

function unsupportedProblem(path: string, head: Buffer): string {
  const known = OTHER_FORMATS.find(({ magic }) => magic.every((b, i) => head[i] === b));
  if (known) return known.advice;
  const start = `it starts with bytes ${describeBytes(head)}`;
  if (ARROW_NAMES.has(extname(path).toLowerCase())) {
    return `is named like an Arrow file but is not Arrow IPC: ${start}, not the "ARROW1" magic of an Arrow file nor the message header of an Arrow stream; ${SUPPORTED}`;
  }
  return `is not a shard this tool can read: ${start}; ${SUPPORTED}. A JSONL shard must start with "{"`;
}
