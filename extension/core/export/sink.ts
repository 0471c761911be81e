/**
 * Where export bytes go: a temporary file (created empty by the caller and opened here without
 * creating it, so a writer that outlives a cancel cannot bring a removed file back), optionally
 * through gzip, with backpressure (write() resolves once the bytes are accepted) and the SHA-256 of
 * the bytes as stored on disk. finish() flushes them to the disk before the caller renames the file.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { Transform, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

export interface WrittenFile {
  /** Bytes on disk (compressed bytes for gzip). */
  bytes: number;
  /** SHA-256 (hex) of the bytes on disk. */
  sha256: string;
}

const WRITE_BUFFER_BYTES = 1 << 20;

export class FileSink {
  private readonly entry: Writable;
  private readonly done: Promise<void>;
  private readonly hash = createHash('sha256');
  private bytesOnDisk = 0;

  constructor(
    private readonly path: string,
    private readonly gzip: boolean,
  ) {
    const file = createWriteStream(path, { flags: 'r+', highWaterMark: WRITE_BUFFER_BYTES });
    if (gzip) {
      const count = new Transform({
        transform: (chunk: Buffer, _encoding, next) => {
          this.account(chunk);
          next(null, chunk);
        },
      });
      const compress = createGzip({ chunkSize: WRITE_BUFFER_BYTES });
      this.entry = compress;
      this.done = pipeline(compress, count, file);
    } else {
      this.entry = file;
      this.done = finished(file);
    }
    // A failure surfaces through write() or finish(), never as an unhandled rejection.
    this.done.catch(() => undefined);
  }

  private account(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytesOnDisk += chunk.byteLength;
  }

  /** `onConsumed`: called once the stream no longer needs `chunk` (written, or taken in by gzip), so it may be reused. */
  async write(chunk: Uint8Array, onConsumed?: () => void): Promise<void> {
    if (chunk.byteLength === 0) return onConsumed?.();
    if (!this.gzip) this.account(chunk);
    if (!this.entry.write(chunk, onConsumed && (() => onConsumed()))) {
      // `done` settles early only on failure: then it rejects with the stream's error.
      await Promise.race([once(this.entry, 'drain'), this.done]);
    }
  }

  /** Ends the stream, waits for the bytes to reach the file and flushes it to the disk. */
  async finish(): Promise<WrittenFile> {
    this.entry.end();
    await this.done;
    const handle = await open(this.path, 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return { bytes: this.bytesOnDisk, sha256: this.hash.digest('hex') };
  }

  /** Stops writing after a failure (the caller removes the file). */
  async destroy(): Promise<void> {
    this.entry.destroy();
    await this.done.catch(() => undefined);
  }
}
