/**
 * Pieces every export pass shares: the output files' sinks and added columns, stopping the sinks
 * on failure, the shard's size and mtime, and the "changed on disk" error.
 */
import { stat } from 'node:fs/promises';
import { ShardError } from '../errors';
import type { CuratedJob, OutputTarget } from './job';
import { RowExtras } from './row-extras';
import { FileSink } from './sink';

export function changedOnDisk(path: string, problem: string): ShardError {
  return new ShardError(path, `changed on disk since it was opened (${problem}); reopen it and export again`);
}

export async function sourceFacts(path: string): Promise<{ size: number; mtime: string }> {
  const info = await stat(path);
  return { size: info.size, mtime: info.mtime.toISOString() };
}

export interface Outputs<T> {
  kept: T;
  dropped?: T;
  sinks: FileSink[];
}

/** Runs `body`; on failure stops every sink so no write is left in flight. */
export async function withSinks<T>(sinks: FileSink[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    await Promise.all(sinks.map((sink) => sink.destroy()));
    throw err;
  }
}

/** Opens the sinks of the output files; `check` sees each file's extra columns first. */
export function openOutputs<T>(
  job: CuratedJob,
  make: (out: OutputTarget, sink: FileSink, extras: RowExtras, which: 'kept' | 'dropped') => T,
  check: (extras: RowExtras) => void = () => undefined,
): Outputs<T> {
  const extras = {
    kept: new RowExtras(job.facts, job.withAnnotations, false),
    dropped: new RowExtras(job.facts, job.withAnnotations, true),
  };
  check(extras.kept);
  if (job.dropped) check(extras.dropped);
  const sinks: FileSink[] = [];
  const open = (out: OutputTarget, which: 'kept' | 'dropped') => {
    const sink = new FileSink(out.temp, out.gzip);
    sinks.push(sink);
    return make(out, sink, extras[which], which);
  };
  return { kept: open(job.output, 'kept'), dropped: job.dropped && open(job.dropped, 'dropped'), sinks };
}
