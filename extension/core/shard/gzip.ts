/**
 * Gzipped JSONL (as C4 and Dolma ship it). Gzip has no random access, so the indexing pass writes
 * the decompressed data to a cache file as it goes (decompress once); rows are then read from that
 * file. The cache is keyed by the shard's absolute path + size + mtime, written under a temporary
 * name and renamed when complete, reused while the shard is unchanged and replaced when it changes.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ShardError } from '../errors';

export const DEFAULT_CACHE_DIR = join(tmpdir(), 'shard-curator-cache');

/** Bumped when the cache file's content would differ for the same shard. */
const CACHE_VERSION = 1;

/**
 * Decompresses `input` (the bytes of `file`) into fresh Buffers. Concatenated gzip members are
 * decompressed one after the other, like `gzip -d` does. A broken stream becomes a ShardError.
 */
export async function* gunzipStream(file: string, input: Readable, chunkSize = 1 << 20): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize });
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  let bytes = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      yield chunk;
    }
  } catch (err) {
    throw gzipError(file, err, bytes);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

function gzipError(file: string, err: unknown, decompressedBytes: number): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message ?? '')) {
    return new ShardError(file, `is truncated: the gzip stream ends early (after ${decompressedBytes} decompressed bytes); re-download or re-compress it`, { cause: err });
  }
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return new ShardError(file, `is corrupt: its gzip data cannot be decompressed (${e.message}, after ${decompressedBytes} decompressed bytes); re-download or re-compress it`, { cause: err });
  }
  return err;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 20);
}

export interface GzipCache {
  /** The complete cache file for the shard as it is now. */
  cachePath: string;
  /** True when that file exists already (no need to decompress). */
  hit: boolean;
}

export async function findGzipCache(file: string, cacheDir = DEFAULT_CACHE_DIR): Promise<GzipCache> {
  const absolute = resolve(file);
  const { size, mtimeMs } = await stat(absolute);
  const cachePath = join(cacheDir, `${hash(absolute)}-${hash(`${CACHE_VERSION}:${size}:${mtimeMs}`)}.jsonl`);
  const hit = await stat(cachePath).then((s) => s.isFile(), () => false);
  return { cachePath, hit };
}

/** Creates the empty temporary file the indexer writes into (in the cache folder, so rename is atomic). */
export async function createCacheTemp(cachePath: string): Promise<string> {
  const dir = dirname(cachePath);
  try {
    await mkdir(dir, { recursive: true });
    const temp = `${cachePath}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
    closeSync(openSync(temp, 'wx'));
    return temp;
  } catch (err) {
    throw new ShardError(dir, `cannot write the decompression cache here (${(err as Error).message}); choose another cache folder`, { cause: err });
  }
}

/** Puts a complete cache file in place and removes the caches of earlier versions of the same shard. */
export async function commitCache(temp: string, cachePath: string): Promise<void> {
  await rename(temp, cachePath);
  const name = basename(cachePath);
  const shardKey = name.slice(0, name.indexOf('-') + 1);
  const dir = dirname(cachePath);
  for (const other of await readdir(dir)) {
    if (other !== name && other.startsWith(shardKey) && other.endsWith('.jsonl')) {
      // Another process may still read it; where the OS refuses, it stays until next time.
      await unlink(join(dir, other)).catch(() => undefined);
    }
  }
}

export async function discardCacheTemp(temp: string): Promise<void> {
  await unlink(temp).catch(() => undefined);
}
