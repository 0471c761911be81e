import { basename } from 'node:path';
import { describeError, isCancelled, UserError } from '../core/errors';
import { openShard } from '../core/shard/open';
import type { IndexProgress, Shard } from '../core/shard/types';
import { ShardAnnotations } from '../core/curation';
import type { ShardInfo, ToWebviewMessage } from '../protocol';
import type { Logger } from './logger';

/** Events the session pushes to whoever shows it. */
export type SessionEvent = Extract<ToWebviewMessage, { type: 'shardInfo' | 'indexProgress' | 'shardError' | 'annotationsChanged' | 'summary' }>;

/** Past this many changed rows one annotationsChanged says "all rows": the webview refetches its pages anyway. */
const CHANGED_ROWS_LIMIT = 5000;

export interface SessionOptions {
  /**
   * Preferred text field (the `shardCurator.textField` setting). Used when the shard has that column;
   * otherwise the detected field is kept and `onWarning` says so, since one setting covers many shards.
   */
  textField?: string;
  /** Where gzipped shards are decompressed (the `shardCurator.cacheDirectory` setting). */
  cacheDir?: string;
  /** Minimum time between two indexProgress events. */
  progressIntervalMs?: number;
  /** A one-line notice for the user that does not stop the shard from opening. */
  onWarning?: (message: string) => void;
  /** Where the annotation store goes instead of next to the shard (the `shardCurator.storeDirectory` setting). */
  storeDir?: string;
  /**
   * Minimum time between two annotationsChanged + summary events while scores stream in; the
   * summary covers the whole shard, so it is not recomputed per row.
   */
  changeIntervalMs?: number;
}

/**
 * One open shard, independent of VS Code: opens it (the reader indexes in a worker thread), streams
 * index progress, announces shardInfo when rows become available and again when the index is
 * complete, and turns failures into one readable shardError. A webview that (re)loads asks for
 * `snapshot()` to catch up.
 */
export class ShardSession {
  private current: Shard | undefined;
  private failure: string | undefined;
  private lastProgress: IndexProgress | undefined;
  private lastProgressAt = -Infinity;
  private announcedRows = false;
  private indexed = false;
  /** Set once the user picked a text field in the editor: the setting no longer applies. */
  private textFieldPicked = false;
  private disposed = false;
  private readonly abort = new AbortController();
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private curation: ShardAnnotations | undefined;
  private curationFailure: string | undefined;
  private curationOpening: Promise<void> | undefined;
  private stopWatching: (() => void) | undefined;
  /** Rows changed since the last annotationsChanged event; undefined means all rows. */
  private pendingRows: Set<number> | undefined = new Set();
  private changeTimer: NodeJS.Timeout | undefined;
  /** A flush is waiting for its summary; changes meanwhile go to the next flush, started when it ends. */
  private flushing = false;
  private changedSinceFlush = false;
  private lastChangeAt = -Infinity;
  /** Time the last flush took (summary over the whole shard, listeners recomputing views): the next one waits 10x that. */
  private lastFlushMs = 0;
  /** Resolves once the shard is open and indexed, or it failed (never rejects). */
  readonly settled: Promise<void>;

  constructor(
    readonly path: string,
    private readonly options: SessionOptions,
    private readonly log: Logger,
  ) {
    this.settled = this.open();
  }

  get shard(): Shard | undefined {
    return this.current;
  }

  /** The shard, or a UserError saying why there is none (yet). */
  requireShard(): Shard {
    if (this.current) return this.current;
    throw new UserError(this.failure ?? 'The shard is still opening.');
  }

  /** The shard's annotations, or a UserError saying why there are none (yet). */
  requireAnnotations(): ShardAnnotations {
    if (this.curation) return this.curation;
    if (this.failure !== undefined) throw new UserError(this.failure);
    throw new UserError(this.curationFailure ?? 'The shard is still being indexed; its annotations load right after.');
  }

  /** Waits for the shard to be indexed and its annotations loaded; rejects with the reason they cannot be. */
  async annotations(): Promise<ShardAnnotations> {
    await this.settled;
    await this.curationOpening;
    return this.requireAnnotations();
  }

  /**
   * Announces changed annotations or decisions of `rows` (all rows when absent), coalesced: one
   * annotationsChanged and one summary per interval however fast the changes come.
   */
  changed(rows?: ArrayLike<number>): void {
    if (this.disposed) return;
    if (rows === undefined || this.pendingRows === undefined || this.pendingRows.size + rows.length > CHANGED_ROWS_LIMIT) {
      this.pendingRows = undefined;
    } else {
      for (let i = 0; i < rows.length; i++) this.pendingRows.add(rows[i]);
    }
    this.changedSinceFlush = true;
    if (this.changeTimer || this.flushing) return;
    const interval = Math.max(this.options.changeIntervalMs ?? 250, Math.min(5000, 10 * this.lastFlushMs));
    const wait = Math.max(0, this.lastChangeAt + interval - performance.now());
    this.changeTimer = setTimeout(() => void this.flushChanges(), wait);
  }

  info(): ShardInfo | undefined {
    const shard = this.current;
    if (!shard) return undefined;
    return {
      fileName: basename(shard.path),
      format: shard.format,
      bytes: shard.bytes,
      rowCount: shard.rowCount,
      indexed: this.indexed,
      columns: shard.columns,
      textField: shard.textField,
      malformedCount: shard.malformed.count,
    };
  }

  /** What a freshly loaded webview needs to show the current state, but the summary (see summaryEvent). */
  snapshot(): SessionEvent[] {
    if (this.failure !== undefined) return [{ type: 'shardError', message: this.failure }];
    const events: SessionEvent[] = [];
    if (this.lastProgress && !this.indexed) events.push({ type: 'indexProgress', ...this.lastProgress });
    const info = this.info();
    if (info) events.push({ type: 'shardInfo', info });
    return events;
  }

  /** The curation summary once computed (off the main thread for large shards); undefined before the annotations load. */
  async summaryEvent(): Promise<Extract<SessionEvent, { type: 'summary' }> | undefined> {
    const curation = this.curation;
    return curation && !this.disposed ? { type: 'summary', summary: await curation.summary() } : undefined;
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Switches the text field; it must be one of the shard's columns. */
  setTextField(field: string): ShardInfo {
    const shard = this.requireShard();
    if (!shard.columns.some((c) => c.name === field)) {
      throw new UserError(`"${field}" is not a column of ${basename(shard.path)}; columns are: ${shard.columns.map((c) => c.name).join(', ')}.`);
    }
    shard.setTextField(field);
    this.textFieldPicked = true;
    const info = this.info()!;
    this.emit({ type: 'shardInfo', info });
    // Annotations belong to a row's text: with another text field every row has another text hash.
    if (this.indexed) this.curationOpening = this.rescanAnnotations();
    return info;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.abort.abort();
    this.listeners.clear();
    clearTimeout(this.changeTimer);
    await this.curationOpening;
    await this.closeAnnotations();
    const shard = this.current;
    this.current = undefined;
    try {
      await shard?.close();
    } catch (err) {
      this.log.error(`Closing ${this.path} failed`, err);
    }
  }

  private async open(): Promise<void> {
    try {
      const shard = await openShard(this.path, {
        cacheDir: this.options.cacheDir,
        // The setting picks the field at open, so the index pass hashes the texts of that field.
        preferTextField: this.options.textField,
        signal: this.abort.signal,
        onProgress: (progress) => this.onProgress(progress),
      });
      if (this.disposed) {
        await shard.close();
        return;
      }
      this.current = shard;
      this.log.info(`Opened ${this.path} (${shard.format}, ${shard.bytes} bytes)`);
      this.announceInfo();
      await shard.indexed;
      if (this.disposed) return;
      this.indexed = true;
      this.applyTextFieldSetting();
      this.log.info(`Indexed ${this.path}: ${shard.rowCount} rows, ${shard.malformed.count} malformed lines`);
      this.announceInfo();
      this.curationOpening = this.openAnnotations();
    } catch (err) {
      if (this.disposed && isCancelled(err)) return;
      this.failure = describeError(err);
      this.log.error(`Cannot open ${this.path}`, err);
      const shard = this.current;
      this.current = undefined;
      await shard?.close().catch((closeErr: unknown) => this.log.error(`Closing ${this.path} failed`, closeErr));
      this.emit({ type: 'shardError', message: this.failure });
    }
  }

  /**
   * Loads the annotation store and the rows' text hashes. A failure here leaves the shard readable:
   * the grid works, the curation requests say why they cannot.
   */
  private async openAnnotations(): Promise<void> {
    const shard = this.current;
    if (!shard || this.disposed) return;
    this.curationFailure = undefined;
    try {
      const curation = await ShardAnnotations.open(shard, { storeDir: this.options.storeDir, signal: this.abort.signal, watch: true });
      if (this.disposed || this.current !== shard) {
        await curation.close();
        return;
      }
      this.curation = curation;
      // Scores written by this editor and by the CLI on the same store arrive the same way.
      this.stopWatching = curation.onDidChange((change) => this.changed(change.rows));
      this.log.info(`Loaded the annotations of ${this.path}`);
      this.changed();
    } catch (err) {
      if (this.disposed && isCancelled(err)) return;
      this.curationFailure = `The annotations of ${basename(this.path)} cannot be loaded: ${describeError(err)}`;
      this.log.error(this.curationFailure, err);
      this.options.onWarning?.(this.curationFailure);
    }
  }

  private async rescanAnnotations(): Promise<void> {
    await this.curationOpening;
    const curation = this.curation;
    if (!curation) return this.openAnnotations();
    try {
      await curation.rescan({ signal: this.abort.signal });
    } catch (err) {
      if (this.disposed && isCancelled(err)) return;
      this.log.error(`Hashing the new text field of ${this.path} failed`, err);
      this.options.onWarning?.(`The annotations of ${basename(this.path)} could not follow the new text field: ${describeError(err)}`);
    }
  }

  private async closeAnnotations(): Promise<void> {
    const curation = this.curation;
    this.curation = undefined;
    this.stopWatching?.();
    this.stopWatching = undefined;
    try {
      await curation?.close();
    } catch (err) {
      this.log.error(`Closing the annotations of ${this.path} failed`, err);
    }
  }

  /**
   * Computes the summary first (so rows refetched on annotationsChanged show the new decisions),
   * then announces the changed rows and the summary.
   */
  private async flushChanges(): Promise<void> {
    this.changeTimer = undefined;
    if (this.disposed) return;
    const started = performance.now();
    this.lastChangeAt = started;
    const rows = this.pendingRows;
    this.pendingRows = new Set();
    this.changedSinceFlush = false;
    this.flushing = true;
    let summary: Extract<SessionEvent, { type: 'summary' }> | undefined;
    try {
      summary = await this.summaryEvent();
    } catch (err) {
      if (!isCancelled(err)) this.log.error(`Summarising the annotations of ${this.path} failed`, err);
    } finally {
      this.flushing = false;
    }
    if (this.disposed) return;
    this.emit(rows === undefined ? { type: 'annotationsChanged' } : { type: 'annotationsChanged', rows: [...rows].sort((a, b) => a - b) });
    if (summary) this.emit(summary);
    this.lastFlushMs = performance.now() - started;
    if (this.changedSinceFlush) {
      this.changedSinceFlush = false;
      this.changed([]);
    }
  }

  /**
   * The shard took the setting's column at open if its first rows had it (preferTextField); the
   * columns of a JSONL shard grow while it is indexed, so once indexed: take it now, or say it is missing.
   */
  private applyTextFieldSetting(): void {
    const wanted = this.options.textField;
    const shard = this.current;
    if (wanted === undefined || !shard || this.textFieldPicked || shard.textField === wanted) return;
    if (shard.columns.some((c) => c.name === wanted)) {
      shard.setTextField(wanted);
    } else {
      const message = `${basename(this.path)} has no column "${wanted}" (setting shardCurator.textField); showing ${shard.textField === undefined ? 'no text field' : `"${shard.textField}"`} as the text instead.`;
      this.log.info(message);
      this.options.onWarning?.(message);
    }
  }

  private onProgress(progress: IndexProgress): void {
    this.lastProgress = progress;
    // The first rows make the grid usable: say so at once instead of waiting for the whole index.
    if (!this.announcedRows && this.current && this.current.rowCount > 0) this.announceInfo();
    const now = performance.now();
    if (now - this.lastProgressAt < (this.options.progressIntervalMs ?? 100)) return;
    this.lastProgressAt = now;
    this.emit({ type: 'indexProgress', ...progress });
  }

  private announceInfo(): void {
    const info = this.info();
    if (!info) return;
    if (info.rowCount > 0) this.announcedRows = true;
    this.emit({ type: 'shardInfo', info });
  }

  private emit(event: SessionEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
