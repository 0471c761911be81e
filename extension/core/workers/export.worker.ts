/**
 * Export runs here: it copies the kept rows by the row index (or, without it, parses every JSONL
 * line), hashes every byte of the shard (a second job, in a second worker) and encodes Arrow
 * batches, in steps of up to tens of milliseconds that would otherwise stall the extension host.
 */
import { serveWorker } from '../run/serve-worker';
import { runAnnotationsJob, type AnnotationsJob } from '../export/annotations';
import { runCuratedJob, sha256File, type CuratedJob, type CuratedJobResult, type HashJob, type JobProgress } from '../export/job';
import type { WrittenFile } from '../export/sink';

export type ExportJob = CuratedJob | AnnotationsJob | HashJob;
export type ExportJobEvent = JobProgress | { phase: 'annotations'; rowsDone: number };
export type ExportJobResult = CuratedJobResult | WrittenFile | { sha256: string; bytes: number };

serveWorker<ExportJob, ExportJobEvent, ExportJobResult>((job, emit) => {
  switch (job.kind) {
    case 'curated': return runCuratedJob(job, emit);
    case 'annotations': return runAnnotationsJob(job, (rowsDone) => emit({ phase: 'annotations', rowsDone }));
    case 'hash': return sha256File(job.path);
  }
});
