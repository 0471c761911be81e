/**
 * Density worker. Three jobs: `density` (the primary: scan, embed, hash, sketch), `helper` (embeds
 * and hashes batches the primary sends over a MessagePort) and `nearest` (streaming nearest rows).
 */
import type { MessagePort } from 'node:worker_threads';
import { serveWorker } from '../run/serve-worker';
import type { EmbedderSpec } from '../embed/embedders';
import type { NearestRow } from '../density/nearest';
import {
  runDensityJob, runNearestJob, serveDensityHelper,
  type DensityJob, type DensityJobResult, type DensityParams, type DensityProgress, type NearestJob,
} from '../density/pipeline';

export type DensityWorkerRequest =
  | { job: 'density'; density: DensityJob; helper?: MessagePort }
  | { job: 'helper'; port: MessagePort; embedder: EmbedderSpec; params: DensityParams; keepVectors: boolean }
  | { job: 'nearest'; nearest: NearestJob };

export type DensityWorkerResult = DensityJobResult | NearestRow[] | null;

serveWorker<DensityWorkerRequest, DensityProgress, DensityWorkerResult>(
  async (request, emit) => {
    switch (request.job) {
      case 'density':
        try {
          return await runDensityJob(request.density, emit, request.helper);
        } finally {
          request.helper?.close();
        }
      case 'helper':
        await serveDensityHelper(request.port, request.embedder, request.params, request.keepVectors);
        return null;
      case 'nearest':
        return runNearestJob(request.nearest, emit);
    }
  },
  (result) => {
    if (result === null || Array.isArray(result)) return [];
    return [result.density.buffer, result.ipsWeight.buffer, ...(result.embeddings ? [result.embeddings.buffer] : [])];
  },
);
