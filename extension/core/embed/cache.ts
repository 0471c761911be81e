/**
 * On-disk embedding cache: one append-only file per embedder id, so re-running density (or running
 * it after a few rows changed) embeds only texts it has not seen. Keyed by the row's text hash
 * (store/text-hash.ts); the embedder id names the model and every parameter of the vector space.
 *
 * File: header  "SCEMBED1" | dim u32 | id length u32 | id (UTF-8)
 *       records hash (8 bytes) | checksum u32 | dim x float32      (all little-endian)
 * At open the records are verified and indexed (text hash -> file offset); vectors stay on disk and
 * are read on demand, so memory is ~50 bytes per cached text, not dim x 4.
 * Appends are one write per batch followed by fsync. A crash can leave a torn or unwritten record
 * at the end: it fails its length or checksum, is ignored, and cut off before the next append.
 *
 * Not used for the built-in embedder (see density/run.ts): it embeds a 1 KB row faster than the
 * cache could hash the text and read 1 KB back, and the cache file would be as large as the shard.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hash } from 'node:crypto';
import { UserError } from '../errors';
import { TEXT_HASH_PATTERN } from '../store/text-hash';

const MAGIC = Buffer.from('SCEMBED1', 'latin1');

export class EmbeddingCache {
  readonly path: string;
  private readonly fd: number;
  private readonly recordBytes: number;
  private readonly offsets = new Map<string, number>();
  private end: number;

  private constructor(path: string, fd: number, readonly dim: number, headerBytes: number) {
    this.path = path;
    this.fd = fd;
    this.recordBytes = 12 + dim * 4;
    this.end = headerBytes;
  }

  /** Opens (or creates) the cache of `embedderId` in `dir`; `dim` must match an existing file. */
  static open(dir: string, embedderId: string, dim: number): EmbeddingCache {
    mkdirSync(dir, { recursive: true });
    const safe = embedderId.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
    const path = join(dir, `${safe}-${hash('sha256', embedderId, 'hex').slice(0, 8)}.embeddings`);
    const fd = openSync(path, 'a+');
    try {
      const id = Buffer.from(embedderId, 'utf8');
      const header = Buffer.alloc(16 + id.length);
      MAGIC.copy(header, 0);
      header.writeUInt32LE(dim, 8);
      header.writeUInt32LE(id.length, 12);
      id.copy(header, 16);
      const size = fstatSync(fd).size;
      if (size < header.length) {
        // New, or torn while its header was being written: start over.
        ftruncateSync(fd, 0);
        writeSync(fd, header);
        fsyncSync(fd);
      } else {
        const existing = Buffer.alloc(header.length);
        readSync(fd, existing, 0, existing.length, 0);
        if (!existing.equals(header)) {
          throw new UserError(`${path}: this embedding cache belongs to another embedder or dimension (expected ${embedderId}, ${dim} dims). Delete the file to rebuild it.`);
        }
      }
      const cache = new EmbeddingCache(path, fd, dim, header.length);
      cache.load(size);
      return cache;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  get size(): number {
    return this.offsets.size;
  }

  has(textHash: string): boolean {
    return this.offsets.has(textHash);
  }

  /** Copies the cached vector of `textHash` into `out[offset ..]`; false if it is not cached. */
  read(textHash: string, out: Float32Array, offset = 0): boolean {
    const at = this.offsets.get(textHash);
    if (at === undefined) return false;
    const bytes = new Uint8Array(out.buffer, out.byteOffset + offset * 4, this.dim * 4);
    readSync(this.fd, bytes, 0, bytes.length, at + 12);
    return true;
  }

  /** Appends vectors (one write, then fsync); hashes already cached are skipped. */
  append(entries: Array<{ textHash: string; vector: Float32Array }>): void {
    const seen = new Set<string>();
    const fresh = entries.filter((e) => !this.offsets.has(e.textHash) && !seen.has(e.textHash) && seen.add(e.textHash));
    if (fresh.length === 0) return;
    const buffer = Buffer.alloc(fresh.length * this.recordBytes);
    fresh.forEach(({ textHash, vector }, i) => {
      if (!TEXT_HASH_PATTERN.test(textHash)) throw new RangeError(`embedding cache: "${textHash}" is not a text hash`);
      if (vector.length !== this.dim) throw new RangeError(`embedding cache: vector has ${vector.length} dims, the cache ${this.dim}`);
      const o = i * this.recordBytes;
      buffer.write(textHash, o, 'hex');
      Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).copy(buffer, o + 12);
      buffer.writeUInt32LE(recordChecksum(buffer, o, this.recordBytes), o + 8);
    });
    let written = 0;
    while (written < buffer.length) written += writeSync(this.fd, buffer, written, buffer.length - written);
    fsyncSync(this.fd);
    fresh.forEach(({ textHash }, i) => this.offsets.set(textHash, this.end + i * this.recordBytes));
    this.end += buffer.length;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Indexes every valid record; cuts the file after the last one so appends stay aligned. */
  private load(size: number): void {
    const perChunk = Math.max(1, Math.floor((4 << 20) / this.recordBytes));
    const chunk = Buffer.alloc(perChunk * this.recordBytes);
    let at = this.end;
    for (;;) {
      const got = readSync(this.fd, chunk, 0, chunk.length, at);
      const records = Math.floor(got / this.recordBytes);
      let valid = 0;
      for (; valid < records; valid++) {
        const o = valid * this.recordBytes;
        if (chunk.readUInt32LE(o + 8) !== recordChecksum(chunk, o, this.recordBytes)) break;
        this.offsets.set(chunk.toString('hex', o, o + 8), at + o);
      }
      at += valid * this.recordBytes;
      if (valid < records || got < chunk.length) break;
    }
    this.end = at;
    if (size > at) {
      ftruncateSync(this.fd, at);
      fsyncSync(this.fd);
    }
  }
}

/** FNV-1a over a record's hash and vector bytes (the checksum field itself excluded). */
function recordChecksum(buffer: Buffer, offset: number, recordBytes: number): number {
  let h = 0x811c9dc5;
  for (let i = offset; i < offset + 8; i++) h = Math.imul(h ^ buffer[i], 0x01000193);
  for (let i = offset + 12; i < offset + recordBytes; i++) h = Math.imul(h ^ buffer[i], 0x01000193);
  return h >>> 0;
}
