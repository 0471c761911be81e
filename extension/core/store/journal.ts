/**
 * The append-only JSON Lines file under the annotation store: where it lives, appending whole
 * records crash-safely, and reading it incrementally (only what was appended since the last read).
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readSync, realpathSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { hash } from 'node:crypto';
import { UserError } from '../errors';

export const JOURNAL_NAME = 'annotations.jsonl';

export interface StoreLocation {
  /** The store folder: the journal plus the density side files. */
  dir: string;
  journal: string;
}

/**
 * Default: `<shard>.curator/` next to the shard, so the annotations travel with the data.
 * With `storeDir` (read-only data folders): `<storeDir>/<shard file name>-<8 hex>.curator/`, the hex
 * digits being sha256 of the shard's absolute real path, so equal names in different folders differ.
 */
export function storeLocation(shardPath: string, storeDir?: string): StoreLocation {
  const absolute = resolve(shardPath);
  let dir: string;
  if (storeDir === undefined) {
    dir = join(dirname(absolute), `${basename(absolute)}.curator`);
  } else {
    let real = absolute;
    try {
      real = realpathSync(absolute);
    } catch {
      // The shard may not exist (yet); its resolved path still names it.
    }
    dir = join(resolve(storeDir), `${basename(absolute)}-${hash('sha256', real, 'hex').slice(0, 8)}.curator`);
  }
  return { dir, journal: join(dir, JOURNAL_NAME) };
}

/** What the loader found wrong with one line; the line is skipped. */
export interface JournalProblem {
  line: number;
  error: string;
}

const FSYNC_DELAY_MS = 1000;
const NEWLINE = 0x0a;

export function notWritable(dir: string, err: unknown): UserError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new UserError(
    `Cannot write annotations to ${dir} (${code}: ${(err as Error).message}). ` +
      'If the data folder is read-only, keep annotations elsewhere: set "shardCurator.storeDirectory" in the editor or pass --store DIR to the CLI.',
    { cause: err },
  );
}

export class Journal {
  private readFd: number | undefined;
  private writeFd: number | undefined;
  /** Bytes read so far; `carry` holds those after the last newline (an unfinished or torn line). */
  private readPos = 0;
  private carry: Buffer = Buffer.alloc(0);
  private lineNo = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private unsynced = false;

  constructor(
    readonly location: StoreLocation,
    /** The first line of a new journal. */
    private readonly headerLine: () => string,
  ) {}

  /** Lines read (or appended while caught up) so far, counting empty ones. */
  get linesRead(): number {
    return this.lineNo;
  }

  /** Bytes at the end of the file that do not (yet) end with a newline: a torn last record. */
  get tornTailBytes(): number {
    return this.carry.length;
  }

  /**
   * Reads what was appended since the last read, calling `onLine` for each complete line (without
   * its newline). Returns 'reset' when the file shrank or was replaced: the caller starts over.
   * With `sliceBytes`, reads at most that much and returns 'more' if there is more to read.
   */
  readNew(onLine: (text: string, line: number) => void, sliceBytes = Infinity): 'done' | 'more' | 'reset' {
    const fd = this.openForReading();
    if (fd === undefined) return 'done';
    const size = fstatSync(fd).size;
    if (size < this.readPos) {
      this.resetReader();
      return 'reset';
    }
    const want = Math.min(size - this.readPos, sliceBytes === Infinity ? size : sliceBytes);
    if (want === 0) return 'done';
    const chunk = Buffer.allocUnsafe(this.carry.length + want);
    this.carry.copy(chunk);
    let filled = this.carry.length;
    while (filled < chunk.length) {
      const n = readSync(fd, chunk, filled, chunk.length - filled, this.readPos);
      if (n === 0) break;
      filled += n;
      this.readPos += n;
    }
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE, 0); end !== -1 && end < filled; end = chunk.indexOf(NEWLINE, start)) {
      this.lineNo++;
      if (end > start) onLine(chunk.toString('utf8', start, end), this.lineNo);
      start = end + 1;
    }
    this.carry = Buffer.from(chunk.subarray(start, filled));
    return this.readPos < size ? 'more' : 'done';
  }

  /**
   * Appends whole lines with one write() on an O_APPEND descriptor, so a record is either entirely
   * in the file or (after a crash inside the write) a torn last line that loaders skip. If the file
   * ends in a torn line left by a crashed writer, a newline is written first: the fragment stays on
   * a line of its own (reported, skipped) and the new record is whole. The fragment is not cut off,
   * because it might be another live process's write in progress.
   * Returns true when the lines landed right where this reader stopped (no other writer in between):
   * they count as read, and the caller applies them without reading them back.
   */
  append(lines: string[]): boolean {
    const fd = this.openForWriting();
    const size = fstatSync(fd).size;
    // Caught up with the file: it ends where we stopped reading, after a newline.
    const caughtUp = size === this.readPos && this.carry.length === 0;
    let prefix = '';
    if (size > 0 && !caughtUp) {
      const last = Buffer.alloc(1);
      readSync(this.openForReading()!, last, 0, 1, size - 1);
      if (last[0] !== NEWLINE) prefix = '\n';
    }
    const data = Buffer.from(prefix + lines.join('\n') + '\n', 'utf8');
    let written = 0;
    // A local file takes the whole buffer in one write; looping only matters on a short write (disk full).
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
    this.scheduleSync();
    if (!caughtUp || fstatSync(fd).size !== size + data.length) return false;
    // Nobody else wrote in between: our lines are exactly what follows the read position.
    this.readPos += data.length;
    this.lineNo += lines.length;
    return true;
  }

  /** Forces everything appended so far to disk. */
  flush(): void {
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    if (this.writeFd !== undefined && this.unsynced) fdatasyncSync(this.writeFd);
    this.unsynced = false;
  }

  close(): void {
    this.flush();
    if (this.writeFd !== undefined) closeSync(this.writeFd);
    if (this.readFd !== undefined) closeSync(this.readFd);
    this.writeFd = undefined;
    this.readFd = undefined;
  }

  private resetReader(): void {
    if (this.readFd !== undefined) closeSync(this.readFd);
    this.readFd = undefined;
    this.readPos = 0;
    this.carry = Buffer.alloc(0);
    this.lineNo = 0;
  }

  private openForReading(): number | undefined {
    if (this.readFd === undefined) {
      try {
        this.readFd = openSync(this.location.journal, 'r');
      } catch (err) {
        // No store yet (ENOTDIR: something else has the store folder's name; writing will say so).
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw new UserError(`Cannot read the annotation store ${this.location.journal}: ${(err as Error).message}`, { cause: err });
      }
    }
    return this.readFd;
  }

  /** Creates the store folder and the journal (with its header) if they do not exist yet. */
  create(): void {
    this.openForWriting();
  }

  private openForWriting(): number {
    if (this.writeFd !== undefined) return this.writeFd;
    const { dir, journal } = this.location;
    try {
      mkdirSync(dir, { recursive: true });
      this.createWithHeader();
      this.writeFd = openSync(journal, 'a');
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw notWritable(dir, err);
    }
    return this.writeFd;
  }

  /** A new journal appears complete with its header (temp file + link), even when two processes race. */
  private createWithHeader(): void {
    const { dir, journal } = this.location;
    const tmp = join(dir, `.${JOURNAL_NAME}.${process.pid}.${Date.now()}.tmp`);
    writeFileSync(tmp, this.headerLine() + '\n', { flag: 'wx' });
    try {
      const fd = openSync(tmp, 'r');
      fsyncSync(fd);
      closeSync(fd);
      linkSync(tmp, journal);
      const dirFd = openSync(dir, 'r');
      fsyncSync(dirFd);
      closeSync(dirFd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
  }

  /** fdatasync at most once per FSYNC_DELAY_MS while appending, and on flush/close. */
  private scheduleSync(): void {
    this.unsynced = true;
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      const fd = this.writeFd;
      if (fd === undefined || !this.unsynced) return;
      this.unsynced = false;
      fdatasync(fd, (err) => {
        // A failed background sync is retried by the next flush/close, which reports its error.
        if (err) this.unsynced = true;
      });
    }, FSYNC_DELAY_MS);
    this.syncTimer.unref();
  }
}
