/**
 * The annotation store of one shard: Ask-LLM scores, density runs and manual overrides, shared by
 * the editor and the CLI. Writes go to the journal first and are then read back from it, so the
 * in-memory view is always exactly what the file says, in file order, including records that another
 * process (the CLI while the editor is open) appended in between.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors';
import { AskllmScores, fingerprintKey, OverrideSlots, type AskllmFingerprint } from './annotation-index';
import { DensityIndex, readDensityFile, writeDensityFile, type DensityValues } from './density-file';
import { Journal, storeLocation, type JournalProblem, type StoreLocation } from './journal';
import {
  JOURNAL_FORMAT, JOURNAL_VERSION, validateRecord,
  type AskllmRunRecord, type DensityRecord, type HeaderRecord, type JournalRecord, type JsonData, type OverrideDecision, type OverrideRecord,
} from './records';
import { promptSha256, RowTextHashes } from './text-hash';

export type { AskllmFingerprint } from './annotation-index';
export type { StoreLocation, JournalProblem } from './journal';

export interface OpenStoreOptions {
  /** Keep the store in this folder instead of next to the shard (read-only data folders). */
  storeDir?: string;
  /** The shard's size on disk, recorded in the header of a new store. */
  shardBytes?: number;
}

export interface AskllmResult {
  row: number;
  textHash: string;
  pYes: number;
  pNo: number;
  offFormat: boolean;
  truncated: boolean;
}

export interface AskllmFailure {
  row: number;
  textHash: string;
  reason: string;
}

export interface DensityRunInput extends DensityValues {
  embedder: string;
  params: { [key: string]: JsonData };
}

export interface FingerprintSummary extends AskllmFingerprint {
  /** Rows with a result (for their current text, when current hashes were given). */
  scored: number;
  failed: number;
  /** The most recent run with this fingerprint. */
  latestRun: AskllmRunRecord | undefined;
}

export interface RowAnnotations {
  row: number;
  textHash: string;
  askllm: Array<AskllmFingerprint & { pYes: number; pNo: number; normalized: number | null; offFormat: boolean; truncated: boolean }>;
  askllmFailures: Array<AskllmFingerprint & { reason: string }>;
  density: { density: number; ipsWeight: number; run: string; embedder: string } | null;
  override: 'keep' | 'drop' | null;
}

/** One line of `shard-curator annotations --json`. */
export interface AnnotationRow {
  row: number;
  askllm: number | null;
  density: number | null;
  override: 'keep' | 'drop' | null;
}

export interface StoreChange {
  kinds: Array<'askllm-run' | 'askllm' | 'density' | 'override'>;
  /** Rows whose Ask-LLM results or overrides changed; undefined for "many rows" (or a density run). */
  rows: number[] | undefined;
}

/** Past this many rows, a change event says "many rows" instead of listing them. */
const CHANGE_ROWS_LIMIT = 10_000;
/** Rows per override line, keeping each line well under 100 KB. */
const OVERRIDE_ROWS_PER_RECORD = 2000;
/** How much of the journal is parsed between yields to the event loop while loading. */
const LOAD_SLICE_BYTES = 4 << 20;
const MAX_PROBLEMS = 1000;

function isoNow(): string {
  return new Date().toISOString();
}

function newRunId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function normalizedScore(pYes: number, pNo: number): number | null {
  return pYes + pNo > 0 ? pYes / (pYes + pNo) : null;
}

export class AnnotationStore {
  private readonly journal: Journal;
  private readonly askllm = new Map<string, AskllmScores>();
  private overrideSlots = new OverrideSlots();
  private readonly runs: AskllmRunRecord[] = [];
  private readonly densityRecords: DensityRecord[] = [];
  /** Journal line of each density record, for problem reports about its side file. */
  private readonly densityLines = new Map<DensityRecord, number>();
  private densityIndex: { record: DensityRecord; index: DensityIndex } | undefined;
  private densityDirty = false;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private pending: StoreChange = { kinds: [], rows: [] };
  private readonly problemList: JournalProblem[] = [];
  private problemCount = 0;
  private reading: Promise<void> | undefined;
  private watcher: FSWatcher | undefined;

  private constructor(
    readonly shardPath: string,
    readonly location: StoreLocation,
    shardBytes: number,
  ) {
    const header: HeaderRecord = {
      kind: 'header', format: JOURNAL_FORMAT, version: JOURNAL_VERSION, created: isoNow(),
      shard: { name: basename(shardPath), path: shardPath, bytes: shardBytes },
    };
    this.journal = new Journal(location, () => JSON.stringify(header));
  }

  /** Opens (and loads) the store of a shard. Nothing is created on disk until the first write. */
  static async open(shardPath: string, options: OpenStoreOptions = {}): Promise<AnnotationStore> {
    const absolute = resolve(shardPath);
    const store = new AnnotationStore(absolute, storeLocation(absolute, options.storeDir), options.shardBytes ?? 0);
    await store.reload();
    return store;
  }

  /** Lines that could not be used (malformed JSON, bad fields), in line order; the first 1000. */
  get problems(): readonly JournalProblem[] {
    return this.problemList;
  }

  get problemTotal(): number {
    return this.problemCount;
  }

  /** Bytes of a torn last record at the end of the journal (ignored until completed or followed by a newer record). */
  get tornTailBytes(): number {
    return this.journal.tornTailBytes;
  }

  /**
   * Reads what was appended since the last read (by this or another process), in slices so the
   * event loop keeps running while a large journal loads. Cheap when nothing changed.
   */
  reload(): Promise<void> {
    this.reading ??= this.readAll();
    return this.reading;
  }

  /** Calls `listener` after records were added; returns the unsubscribe function. */
  onDidChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Reloads whenever the journal changes on disk (e.g. the CLI scoring while the editor is open).
   * Before the store folder exists, watches its parent until it appears (created by this process or
   * by another writer), then switches to the folder itself.
   */
  watchJournal(): void {
    if (this.watcher) return;
    const dir = this.location.dir;
    const reload = () => void this.reload().catch(() => undefined);
    const watchFolder = (path: string, onChange: (name: string | null) => void) => {
      try {
        this.watcher = watch(path, { persistent: false }, (_event, name) => onChange(name));
        this.watcher.on('error', () => this.watcher?.close());
      } catch {
        // The folder is gone or cannot be watched: changes are still picked up by reload().
      }
    };
    if (existsSync(dir)) {
      watchFolder(dir, reload);
      return;
    }
    watchFolder(dirname(dir), (name) => {
      if (name !== basename(dir) || !existsSync(dir)) return;
      this.watcher?.close();
      this.watcher = undefined;
      watchFolder(dir, reload);
      reload();
    });
  }

  // ---- writing ----

  /** Records a scoring run before its first result; pass the returned record to appendAskllm. */
  beginAskllmRun(input: { model: string; modelDigest: string | null; prompt: string; options?: { [key: string]: JsonData } }): AskllmRunRecord {
    const record: AskllmRunRecord = {
      kind: 'askllm-run', run: newRunId(), time: isoNow(), model: input.model, modelDigest: input.modelDigest,
      promptSha256: promptSha256(input.prompt), prompt: input.prompt, options: input.options ?? {},
    };
    this.write([record]);
    return record;
  }

  /** Appends one result; it is in the file (safe from kill -9) when this returns. */
  appendAskllm(run: AskllmRunRecord, result: AskllmResult): void {
    this.write([{
      kind: 'askllm', run: run.run, row: result.row, textHash: result.textHash, model: run.model, promptSha256: run.promptSha256,
      pYes: result.pYes, pNo: result.pNo, normalized: normalizedScore(result.pYes, result.pNo), offFormat: result.offFormat, truncated: result.truncated,
    }]);
  }

  appendAskllmFailure(run: AskllmRunRecord, failure: AskllmFailure): void {
    this.write([{
      kind: 'askllm-failed', run: run.run, row: failure.row, textHash: failure.textHash, model: run.model,
      promptSha256: run.promptSha256, reason: failure.reason,
    }]);
  }

  /** Writes a density run: its side file first (atomically), then the journal record naming it. */
  writeDensity(input: DensityRunInput): DensityRecord {
    const run = newRunId();
    const file = `density-${run}.arrow`;
    this.journal.create();
    writeDensityFile(join(this.location.dir, file), input);
    const record: DensityRecord = {
      kind: 'density', run, time: isoNow(), embedder: input.embedder, params: input.params, rows: input.rows.length, file,
    };
    this.write([record]);
    return record;
  }

  /** Sets (or with null clears) the manual decision of rows whose current texts have these hashes. */
  setOverrides(rows: ArrayLike<number>, textHashes: RowTextHashes | ArrayLike<string>, decision: OverrideDecision): void {
    const hashOf = (i: number, row: number) => (textHashes instanceof RowTextHashes ? textHashes.hex(row) : textHashes[i]);
    const records: OverrideRecord[] = [];
    const time = isoNow();
    for (let start = 0; start < rows.length; start += OVERRIDE_ROWS_PER_RECORD) {
      const end = Math.min(rows.length, start + OVERRIDE_ROWS_PER_RECORD);
      const chunk: number[] = [];
      const hashes: string[] = [];
      for (let i = start; i < end; i++) {
        chunk.push(rows[i]);
        hashes.push(hashOf(i, rows[i]));
      }
      records.push({ kind: 'override', time, decision, rows: chunk, textHashes: hashes });
    }
    if (records.length > 0) this.write(records);
  }

  /** Forces everything written so far to disk (otherwise done within a second, and at close). */
  flush(): void {
    this.journal.flush();
  }

  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.journal.close();
  }

  // ---- reading ----

  askllmRuns(): readonly AskllmRunRecord[] {
    return this.runs;
  }

  /** The scoring run appended last: its fingerprint is the default for `annotations`. */
  latestAskllmRun(): AskllmRunRecord | undefined {
    return this.runs.at(-1);
  }

  listFingerprints(current?: RowTextHashes): FingerprintSummary[] {
    return [...this.askllm.values()].map((scores) => {
      const { model, promptSha256: sha } = scores.fingerprint;
      const latestRun = this.runs.findLast((run) => run.model === model && run.promptSha256 === sha);
      return { model, promptSha256: sha, ...scores.counts(current), latestRun };
    });
  }

  /** P(yes) per row for one fingerprint; NaN where unscored or stale. */
  askllmScores(fingerprint: AskllmFingerprint, current: RowTextHashes): Float64Array {
    return this.askllm.get(fingerprintKey(fingerprint))?.scores(current) ?? new Float64Array(current.rowCount).fill(NaN);
  }

  /** 1 for rows already scored with this fingerprint for their current text: a resumed run skips them. */
  scoredRows(fingerprint: AskllmFingerprint, current: RowTextHashes): Uint8Array {
    return this.askllm.get(fingerprintKey(fingerprint))?.scoredMask(current) ?? new Uint8Array(current.rowCount);
  }

  densityRuns(): readonly DensityRecord[] {
    return this.densityRecords;
  }

  /** The density run whose values are shown: the latest one whose side file could be read. */
  latestDensityRun(): DensityRecord | undefined {
    return this.densityIndex?.record;
  }

  /** Density and IPS weight per row from the latest density run; NaN where missing or stale. */
  densityScores(current: RowTextHashes): { density: Float64Array; ipsWeight: Float64Array } {
    return this.densityIndex?.index.all(current) ?? { density: new Float64Array(current.rowCount).fill(NaN), ipsWeight: new Float64Array(current.rowCount).fill(NaN) };
  }

  /** Manual decisions per row: 1 keep, -1 drop, 0 none (or stale). */
  overrides(current: RowTextHashes): Int8Array {
    return this.overrideSlots.all(current);
  }

  /** Everything known about one row's current text, for the detail pane. */
  rowAnnotations(row: number, current: RowTextHashes): RowAnnotations {
    if (!(row >= 0 && row < current.rowCount)) throw new RangeError(`row ${row} is not in the shard (0..${current.rowCount - 1})`);
    const out: RowAnnotations = { row, textHash: current.hex(row), askllm: [], askllmFailures: [], density: null, override: this.overrideSlots.at(row, current) };
    for (const scores of this.askllm.values()) {
      const slot = scores.scoreAt(row, current);
      if (slot) out.askllm.push({ ...scores.fingerprint, ...slot, normalized: normalizedScore(slot.pYes, slot.pNo) });
      const reason = scores.failureAt(row, current);
      if (reason !== undefined) out.askllmFailures.push({ ...scores.fingerprint, reason });
    }
    const density = this.densityIndex?.index.at(row, current);
    if (density && this.densityIndex) out.density = { ...density, run: this.densityIndex.record.run, embedder: this.densityIndex.record.embedder };
    return out;
  }

  /**
   * The objects of `annotations --json`, in row order, only rows with any annotation. `fingerprint`
   * defaults to that of the latest scoring run; stale values are null.
   */
  *annotationRows(current: RowTextHashes, fingerprint: AskllmFingerprint | undefined = this.latestAskllmRun()): Generator<AnnotationRow> {
    const askllm = fingerprint ? this.askllmScores(fingerprint, current) : undefined;
    const density = this.densityScores(current).density;
    const overrides = this.overrides(current);
    for (let row = 0; row < current.rowCount; row++) {
      const score = askllm && !Number.isNaN(askllm[row]) ? askllm[row] : null;
      const value = Number.isNaN(density[row]) ? null : density[row];
      const override = overrides[row] === 1 ? 'keep' : overrides[row] === -1 ? 'drop' : null;
      if (score !== null || value !== null || override !== null) yield { row, askllm: score, density: value, override };
    }
  }

  // ---- internals ----

  private write(records: JournalRecord[]): void {
    for (const record of records) {
      const checked = validateRecord(record);
      if (typeof checked === 'string') throw new Error(`refusing to write an annotation record that would not load: ${checked}`);
    }
    if (!this.journal.append(records.map((record) => JSON.stringify(record)))) {
      this.readSync();
      return;
    }
    let line = this.journal.linesRead - records.length;
    for (const record of records) this.apply(record, ++line);
    this.finishRead();
  }

  private async readAll(): Promise<void> {
    // Start after `reading` is assigned, and clear it synchronously when the last slice is read, so
    // that a write made at any moment is either read by this loop or by its own readSync.
    await Promise.resolve();
    try {
      for (;;) {
        const state = this.journal.readNew((text, line) => this.applyLine(text, line), LOAD_SLICE_BYTES);
        if (state === 'reset') this.clear();
        else if (state === 'done') break;
        await new Promise<void>((done) => setImmediate(done));
      }
    } finally {
      this.reading = undefined;
    }
    this.finishRead();
  }

  /** After this process's own append: picks up its record (and anything appended before it). */
  private readSync(): void {
    if (this.reading) return; // the running load reaches the new records itself
    if (this.journal.readNew((text, line) => this.applyLine(text, line)) === 'reset') {
      this.clear();
      this.journal.readNew((text, line) => this.applyLine(text, line));
    }
    this.finishRead();
  }

  private clear(): void {
    this.askllm.clear();
    this.overrideSlots = new OverrideSlots();
    this.runs.length = 0;
    this.densityRecords.length = 0;
    this.densityLines.clear();
    this.densityIndex = undefined;
    this.problemList.length = 0;
    this.problemCount = 0;
    this.pending = { kinds: [], rows: undefined };
  }

  private applyLine(text: string, line: number): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.problem(line, `not valid JSON (${(err as Error).message}); an interrupted write leaves such a line`);
      return;
    }
    const record = validateRecord(value);
    if (typeof record === 'string') this.problem(line, record);
    else if (record) this.apply(record, line);
  }

  private problem(line: number, error: string): void {
    this.problemCount++;
    if (this.problemList.length < MAX_PROBLEMS) this.problemList.push({ line, error });
  }

  private apply(record: JournalRecord, line: number): void {
    switch (record.kind) {
      case 'header':
        if (record.version > JOURNAL_VERSION) {
          throw new UserError(`${this.location.journal} was written by a newer Shard Curator (store format ${record.version}; this version reads ${JOURNAL_VERSION}). Update Shard Curator to use it.`);
        }
        return;
      case 'askllm-run':
        this.runs.push(record);
        this.changed('askllm-run');
        return;
      case 'askllm':
      case 'askllm-failed': {
        const key = fingerprintKey(record);
        let scores = this.askllm.get(key);
        if (!scores) this.askllm.set(key, (scores = new AskllmScores({ model: record.model, promptSha256: record.promptSha256 })));
        if (record.kind === 'askllm') scores.applyResult(record);
        else scores.applyFailure(record);
        this.changed('askllm', [record.row]);
        return;
      }
      case 'density':
        this.densityRecords.push(record);
        this.densityLines.set(record, line);
        this.densityDirty = true;
        this.changed('density');
        return;
      case 'override':
        this.overrideSlots.apply(record);
        this.changed('override', record.rows);
        return;
    }
  }

  private changed(kind: StoreChange['kinds'][number], rows?: number[]): void {
    if (!this.pending.kinds.includes(kind)) this.pending.kinds.push(kind);
    if (!rows) return;
    if (this.pending.rows && this.pending.rows.length + rows.length <= CHANGE_ROWS_LIMIT) this.pending.rows.push(...rows);
    else this.pending.rows = undefined;
  }

  private finishRead(): void {
    if (this.densityDirty) this.loadLatestDensity();
    const change = this.pending;
    this.pending = { kinds: [], rows: [] };
    if (change.kinds.length === 0) return;
    for (const listener of this.listeners) listener(change);
  }

  /** Loads the newest density run whose side file reads; an unreadable one is reported and skipped. */
  private loadLatestDensity(): void {
    this.densityDirty = false;
    for (let i = this.densityRecords.length - 1; i >= 0; i--) {
      const record = this.densityRecords[i];
      if (this.densityIndex?.record === record) return;
      try {
        this.densityIndex = { record, index: new DensityIndex(readDensityFile(join(this.location.dir, record.file))) };
        return;
      } catch (err) {
        this.problem(this.densityLines.get(record) ?? 0, `density run ${record.run}: cannot read ${record.file} (${(err as Error).message}); using an earlier density run if there is one`);
      }
    }
    this.densityIndex = undefined;
  }
}
