/**
 * Export, as the editor and the CLI call it: checks the target files, runs the export passes in a
 * worker thread (the extension host's main thread only relays progress), verifies what was written
 * (by opening it as a shard, or for lines copied by the row index by counting its lines and bytes),
 * writes the recipe, and only then renames the files into place. On any failure or cancel the
 * temporary files are removed: nothing partial is ever left.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ShardError, UserError, throwIfAborted } from '../errors';
import { requireDecided, type Decisions } from '../curate/decisions';
import { runWorker, WorkerError } from '../run/workers';
import type { JsonlRowIndex } from '../shard/jsonl';
import type { ShardFormat } from '../shard/types';
import type { ExportJob, ExportJobEvent, ExportJobResult } from '../workers/export.worker';
import type { AnnotationColumns } from './annotations';
import type { DropSteps } from './drop-steps';
import type { CopiedLines } from './jsonl-by-index';
import type { CuratedJobResult, ExportFormat, OutputTarget } from './job';
import { checkTargets, defaultExportFormat, isGzipName, recipePathFor, TempFile } from './paths';
import { buildRecipe, type Recipe, type RecipeInputs } from './recipe';
import type { WrittenFile } from './sink';
import { verifyCopiedLines, verifyExport } from './verify';

export interface ExportProgress {
  /** scanning: JSONL -> Arrow only, a first pass that infers the schema; verifying: reading the output back. */
  phase: 'scanning' | 'writing' | 'verifying';
  /**
   * Bytes of the shard read in this phase (compressed bytes for gzip). Writing by `rowIndex`: the
   * offset reached in the file the rows are read from (for gzip: its decompressed cache file).
   */
  bytesDone: number;
  bytesTotal: number;
  rowsDone: number;
  rowsTotal: number;
}

export interface ExportCuratedOptions {
  /** The shard (as opened: Shard.source() fits). */
  shard: { path: string; format: ShardFormat };
  /**
   * The shard's completed row index (`JsonlShard.rowIndex()`, once `indexed` has resolved). With
   * it, JSONL output copies the rows' bytes by the index without parsing any line again (and
   * verifies by counting lines); without it, or for Arrow output, every line is scanned and parsed.
   */
  rowIndex?: JsonlRowIndex;
  /** A decision for every row (requireDecided): kept rows go to the output, dropped rows to `droppedPath`. */
  decisions: Decisions;
  output: string;
  /** Default: the shard's format family. JSONL output is gzipped when its name ends in `.gz`. */
  format?: ExportFormat;
  /** Adds askllm_p_yes, density, decision and decision_source to every row. */
  withAnnotations?: boolean;
  /** Per-row scores for `withAnnotations` (NaN = missing). */
  annotations?: { askllm?: Float64Array; density?: Float64Array };
  /** Also write the dropped rows here, each with a `_drop_reason`. */
  droppedPath?: string;
  /** Which sampler step dropped each row (samplerDropSteps), for the reasons. */
  dropSteps?: DropSteps;
  recipe: RecipeInputs;
  /** Replace existing output files (the editor asks first; the CLI needs --force). */
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: ExportProgress) => void;
}

export interface ExportCuratedResult {
  output: string;
  droppedPath?: string;
  recipePath: string;
  recipe: Recipe;
}

/** Temporary files of one export, all discarded unless committed. */
class Temps {
  readonly files: TempFile[] = [];

  async create(target: string): Promise<TempFile> {
    const temp = await TempFile.create(target);
    this.files.push(temp);
    return temp;
  }

  async discardAll(): Promise<void> {
    await Promise.all(this.files.map((file) => file.discard().catch(() => undefined)));
  }
}

/** Errors cross the thread boundary as plain data: give the caller the user-facing classes back. */
function reviveUserError(err: unknown, shardPath: string): unknown {
  if (!(err instanceof WorkerError)) return err;
  const prefix = `${shardPath}: `;
  if (err.originalName === 'ShardError' && err.message.startsWith(prefix)) return new ShardError(shardPath, err.message.slice(prefix.length), { cause: err });
  if (err.originalName === 'ShardError' || err.originalName === 'UserError') return new UserError(err.message, { cause: err });
  return err;
}

/** Runs an export job in the export worker. */
function runExportJob(job: ExportJob, shardPath: string, signal: AbortSignal | undefined, onEvent: (event: ExportJobEvent) => void): Promise<ExportJobResult> {
  return runWorker<ExportJob, ExportJobEvent, ExportJobResult>('export', job, { signal, onEvent })
    .catch((err: unknown) => { throw reviveUserError(err, shardPath); });
}

function checkRowArrays(rowCount: number, arrays: Record<string, ArrayLike<unknown> | undefined>): void {
  for (const [name, values] of Object.entries(arrays)) {
    if (values && values.length !== rowCount) throw new RangeError(`${name} has ${values.length} values for ${rowCount} rows`);
  }
}

export async function exportCurated(options: ExportCuratedOptions): Promise<ExportCuratedResult> {
  const { shard, decisions, signal } = options;
  requireDecided(decisions);
  const rowCount = decisions.decision.length;
  checkRowArrays(rowCount, {
    'decisions.source': decisions.source, askllm: options.annotations?.askllm, density: options.annotations?.density,
    dropSteps: options.dropSteps?.step,
  });
  const { rowIndex } = options;
  if (rowIndex) {
    if ((shard.format !== 'jsonl' && shard.format !== 'jsonl.gz') || resolve(rowIndex.path) !== resolve(shard.path)) {
      throw new RangeError(`the row index of ${rowIndex.path} does not belong to the ${shard.format} shard ${shard.path}`);
    }
    checkRowArrays(rowCount, { 'rowIndex.starts': rowIndex.starts, 'rowIndex.lengths': rowIndex.lengths });
  }
  const format = options.format ?? defaultExportFormat(shard.format);
  const targets = [options.output, ...(options.droppedPath ? [options.droppedPath] : [])];
  for (const target of targets) {
    if (format === 'arrow' && isGzipName(target)) {
      throw new UserError(`${target}: Arrow output is not gzipped; name it .arrow (or export JSONL to get a .jsonl.gz)`);
    }
  }
  const recipePath = recipePathFor(options.output);
  await checkTargets(shard.path, [...targets, recipePath], options.force ?? false);
  throwIfAborted(signal);

  const temps = new Temps();
  try {
    const target = async (path: string): Promise<OutputTarget> => ({ temp: (await temps.create(path)).path, name: path, format, gzip: format === 'jsonl' && isGzipName(path) });
    const output = await target(options.output);
    const dropped = options.droppedPath === undefined ? undefined : await target(options.droppedPath);
    const job: ExportJob = {
      kind: 'curated',
      source: { path: shard.path, format: shard.format },
      facts: {
        decision: decisions.decision,
        source: decisions.source,
        askllm: options.annotations?.askllm,
        density: options.annotations?.density,
        dropSteps: options.dropSteps,
      },
      withAnnotations: options.withAnnotations ?? false,
      output,
      dropped,
      rowIndex,
    };
    // The pass and the shard's hash run side by side; either failing stops the other.
    const stop = new AbortController();
    const stopOnAbort = () => stop.abort();
    signal?.addEventListener('abort', stopOnAbort, { once: true });
    let result: CuratedJobResult;
    let fingerprint: { sha256: string; bytes: number };
    try {
      const jobs = [
        runExportJob(job, shard.path, stop.signal, (event) => { if (event.phase !== 'annotations') options.onProgress?.(event); }),
        runExportJob({ kind: 'hash', path: shard.path }, shard.path, stop.signal, () => undefined),
      ];
      // Promise.all rejects with the first failure; the other job, stopped because of it, is not reported.
      jobs.forEach((promise) => promise.catch(() => stop.abort()));
      [result, fingerprint] = await Promise.all(jobs) as [CuratedJobResult, { sha256: string; bytes: number }];
    } finally {
      signal?.removeEventListener('abort', stopOnAbort);
    }
    if (fingerprint.bytes !== result.source.bytes) {
      throw new ShardError(shard.path, `changed on disk since it was opened (${fingerprint.bytes} bytes were hashed, it had ${result.source.bytes}); reopen it and export again`);
    }

    options.onProgress?.({ phase: 'verifying', bytesDone: 0, bytesTotal: result.output.bytes, rowsDone: 0, rowsTotal: result.kept });
    const shardFormat = (target: OutputTarget): ShardFormat => (target.format === 'arrow' ? 'arrow-file' : target.gzip ? 'jsonl.gz' : 'jsonl');
    const verify = (target: OutputTarget, rows: number, copied: CopiedLines | undefined) => (copied
      ? verifyCopiedLines(target.temp, target.name, { gzip: target.gzip, rows, dataBytes: copied.dataBytes }, signal)
      : verifyExport(target.temp, target.name, { format: shardFormat(target), rows }, signal));
    await verify(output, result.kept, result.copiedLines?.output);
    if (dropped) await verify(dropped, result.dropped, result.copiedLines?.dropped);
    throwIfAborted(signal);

    const file = (target: OutputTarget, written: WrittenFile, rows: number) => ({ path: target.name, format: target.format, gzip: target.gzip, rows, ...written });
    const recipe = buildRecipe(options.recipe, {
      source: { path: shard.path, format: shard.format, ...result.source, sha256: fingerprint.sha256 },
      rows: { input: result.inputRows, kept: result.kept, dropped: result.dropped, malformedSkipped: result.malformedLines },
      overrides: { keep: decisions.keepOverrides, drop: decisions.dropOverrides, changingVerdict: decisions.overridesChangingVerdict },
      output: { ...file(output, result.output, result.kept), withAnnotations: job.withAnnotations },
      dropped: dropped && result.droppedOutput ? file(dropped, result.droppedOutput, result.dropped) : null,
    });
    const recipeTemp = await temps.create(recipePath);
    await writeFile(recipeTemp.path, `${JSON.stringify(recipe, null, 2)}\n`);

    // The data files first, the recipe that describes them last.
    for (const temp of temps.files) await temp.commit();
    return { output: options.output, droppedPath: options.droppedPath, recipePath, recipe };
  } catch (err) {
    await temps.discardAll();
    throw err;
  }
}

export interface ExportAnnotationsOptions {
  /** The shard the annotations belong to (never written over). */
  shardPath: string;
  rowCount: number;
  columns: AnnotationColumns;
  output: string;
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: { rowsDone: number; rowsTotal: number }) => void;
}

/** Writes the annotations of every row as an Arrow IPC file (see annotations.ts for the columns). */
export async function exportAnnotations(options: ExportAnnotationsOptions): Promise<{ output: string; file: WrittenFile }> {
  const { rowCount, columns, signal } = options;
  checkRowArrays(rowCount, { ...columns });
  if (isGzipName(options.output)) throw new UserError(`${options.output}: the annotations file is Arrow IPC, which is not gzipped; name it .arrow`);
  await checkTargets(options.shardPath, [options.output], options.force ?? false);
  throwIfAborted(signal);
  const temps = new Temps();
  try {
    const temp = await temps.create(options.output);
    const job: ExportJob = { kind: 'annotations', temp: temp.path, name: options.output, rowCount, columns };
    const file = await runExportJob(job, options.shardPath, signal, (event) => {
      if (event.phase === 'annotations') options.onProgress?.({ rowsDone: event.rowsDone, rowsTotal: rowCount });
    }) as WrittenFile;
    await verifyExport(temp.path, options.output, { format: 'arrow-file', rows: rowCount }, signal);
    await temp.commit();
    return { output: options.output, file };
  } catch (err) {
    await temps.discardAll();
    throw err;
  }
}
