/**
 * Export runs here: it parses every JSONL line, hashes every byte of the shard and encodes Arrow
 * batches, in steps of up to tens of milliseconds that would otherwise stall the extension host.
 */
import { serveWorker } from '../run/serve-worker';
import { runAnnotationsJob, type AnnotationsJob } from '../export/annotations';
import { runCuratedJob, type CuratedJob, type CuratedJobResult, type JobProgress } from '../export/job';
import type { WrittenFile } from '../export/sink';

export type ExportJob = CuratedJob | AnnotationsJob;
export type ExportJobEvent = JobProgress | { phase: 'annotations'; rowsDone: number };
export type ExportJobResult = CuratedJobResult | WrittenFile;

serveWorker<ExportJob, ExportJobEvent, ExportJobResult>((job, emit) =>
  job.kind === 'curated' ? runCuratedJob(job, emit) : runAnnotationsJob(job, (rowsDone) => emit({ phase: 'annotations', rowsDone })));
