import { basename } from 'node:path';
import { describeError, isCancelled, UserError } from '../core/errors';
import { openShard } from '../core/shard/open';
import type { IndexProgress, Shard } from '../core/shard/types';
import type { ShardInfo, ToWebviewMessage } from '../protocol';
import type { Logger } from './logger';

/** Events the session pushes to whoever shows it. */
export type SessionEvent = Extract<ToWebviewMessage, { type: 'shardInfo' | 'indexProgress' | 'shardError' }>;

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

  /** What a freshly loaded webview needs to show the current state. */
  snapshot(): SessionEvent[] {
    if (this.failure !== undefined) return [{ type: 'shardError', message: this.failure }];
    const events: SessionEvent[] = [];
    if (this.lastProgress && !this.indexed) events.push({ type: 'indexProgress', ...this.lastProgress });
    const info = this.info();
    if (info) events.push({ type: 'shardInfo', info });
    return events;
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
    return info;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.abort.abort();
    this.listeners.clear();
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
        signal: this.abort.signal,
        onProgress: (progress) => this.onProgress(progress),
      });
      if (this.disposed) {
        await shard.close();
        return;
      }
      this.current = shard;
      this.log.info(`Opened ${this.path} (${shard.format}, ${shard.bytes} bytes)`);
      this.applyTextFieldSetting(false);
      this.announceInfo();
      await shard.indexed;
      if (this.disposed) return;
      this.indexed = true;
      this.applyTextFieldSetting(true);
      this.log.info(`Indexed ${this.path}: ${shard.rowCount} rows, ${shard.malformed.count} malformed lines`);
      this.announceInfo();
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

  /** Columns of a JSONL shard grow while it is indexed: try when it opens, decide when it is indexed. */
  private applyTextFieldSetting(final: boolean): void {
    const wanted = this.options.textField;
    const shard = this.current;
    if (wanted === undefined || !shard || this.textFieldPicked || shard.textField === wanted) return;
    if (shard.columns.some((c) => c.name === wanted)) {
      shard.setTextField(wanted);
    } else if (final) {
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
