/**
 * Density of a shard's rows: embed every row, estimate its kernel density with a RACE sketch (or
 * the exact all-pairs sum on small shards), and derive IPS weights. Runs in worker threads: with
 * the built-in embedder a primary worker reads and parses the shard and shares the embedding and
 * hashing with a helper worker (both cores); slower embedders (a model server) use one worker and
 * the on-disk embedding cache.
 */
import { MessageChannel } from 'node:worker_threads';
import { CancelledError, UserError } from '../errors';
import { runWorker, WorkerError } from '../run/workers';
import type { ShardSource } from '../shard/types';
import { createEmbedder, type EmbedderSpec } from '../embed/embedders';
import type { NearestRow } from './nearest';
import { exactTooLarge, type DensityJobResult, type DensityMethod, type DensityParams, type DensityProgress, type DensityTiming } from './pipeline';
import { DEFAULT_RACE_PARAMS, validateRaceParams, type RaceParams } from './race';
import type { DensityWorkerRequest, DensityWorkerResult } from '../workers/density.worker';

export type { DensityMethod, DensityParams, DensityProgress, DensityTiming } from './pipeline';

export interface DensityOptions {
  /** Default: the built-in hashed embedder with its default parameters. */
  embedder?: EmbedderSpec;
  /** `sketch` (default): RACE, linear time. `exact`: all pairs, O(n^2), small shards only. */
  method?: DensityMethod;
  /** Rows [start, end) (default: all rows). */
  rows?: { start: number; end?: number };
  /** Sketch parameters (defaults: DEFAULT_RACE_PARAMS); `hashesPerRow` also sets the exact kernel. */
  sketch?: Partial<Pick<RaceParams, 'rows' | 'buckets' | 'hashesPerRow'>>;
  seed?: number;
  /** Folder of the embedding cache (the caller passes the shard's store folder); unused by the built-in embedder. */
  cacheDir?: string;
  /** Return the rows x dim embeddings matrix (for nearestRows); 1 KB per row at dim 256. */
  keepEmbeddings?: boolean;
  /** 2 (default for the built-in embedder) shares embedding and hashing with a helper thread. */
  threads?: 1 | 2;
  /** The exact method refuses more rows than this (default 20,000). */
  exactLimit?: number;
  signal?: AbortSignal;
  onProgress?: (progress: DensityProgress) => void;
}

export interface DensityResult {
  /** density[i] is row rowStart + i's kernel density (>= 1: each row counts itself). */
  density: Float64Array;
  /** Proportional to 1/density, normalised to sum 1 over the range (see ips.ts). */
  ipsWeight: Float64Array;
  params: DensityParams;
  embedderId: string;
  rowStart: number;
  rowEnd: number;
  seconds: number;
  /** Texts embedded in this run (fewer than the rows when the embedding cache had some). */
  embedded: number;
  embeddings?: Float32Array;
  timing: DensityTiming;
}

const DEFAULT_EXACT_LIMIT = 20_000;

export function densityParams(options: Pick<DensityOptions, 'embedder' | 'method' | 'sketch' | 'seed'>): DensityParams {
  const dim = createEmbedder(options.embedder ?? { kind: 'builtin' }).dim;
  const params: DensityParams = {
    method: options.method ?? 'sketch',
    ...DEFAULT_RACE_PARAMS,
    ...options.sketch,
    seed: options.seed ?? DEFAULT_RACE_PARAMS.seed,
    dim,
  };
  if (params.method !== 'sketch' && params.method !== 'exact') throw new UserError(`unknown density method "${String(params.method)}" (use sketch or exact)`);
  try {
    validateRaceParams(params);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  return params;
}

export async function computeDensity(source: ShardSource, options: DensityOptions = {}): Promise<DensityResult> {
  const started = performance.now();
  const embedder = options.embedder ?? { kind: 'builtin' };
  const params = densityParams(options);
  const rowStart = options.rows?.start ?? 0;
  const rowEnd = options.rows?.end;
  if (!Number.isInteger(rowStart) || rowStart < 0 || (rowEnd !== undefined && (!Number.isInteger(rowEnd) || rowEnd < rowStart))) {
    throw new UserError(`density: invalid row range [${rowStart}, ${rowEnd ?? 'end'})`);
  }
  const exactLimit = options.exactLimit ?? DEFAULT_EXACT_LIMIT;
  if (params.method === 'exact' && rowEnd !== undefined && rowEnd - rowStart > exactLimit) throw exactTooLarge(rowEnd - rowStart, exactLimit);
  const keepEmbeddings = options.keepEmbeddings ?? false;
  const threads = options.threads ?? (embedder.kind === 'builtin' ? 2 : 1);
  if (options.signal?.aborted) throw new CancelledError();

  // The helper lives exactly as long as the primary: stopped when it ends, fails or is cancelled.
  const helperStop = new AbortController();
  const stopHelper = () => helperStop.abort();
  options.signal?.addEventListener('abort', stopHelper, { once: true });
  let helperRun: Promise<unknown> | undefined;
  let helperPort;
  if (threads === 2 && params.method === 'sketch') {
    const channel = new MessageChannel();
    helperPort = channel.port1;
    const request: DensityWorkerRequest = { job: 'helper', port: channel.port2, embedder, params, keepVectors: keepEmbeddings };
    helperRun = runWorker<DensityWorkerRequest, DensityProgress, DensityWorkerResult>('density', request, { signal: helperStop.signal, transfer: [channel.port2] })
      .catch((err: unknown) => err);
  }
  try {
    const request: DensityWorkerRequest = {
      job: 'density',
      density: { source, embedder, params, rowStart, rowEnd, cacheDir: options.cacheDir, keepEmbeddings, exactLimit },
      helper: helperPort,
    };
    const result = (await runWorker<DensityWorkerRequest, DensityProgress, DensityWorkerResult>('density', request, {
      signal: options.signal,
      onEvent: options.onProgress,
      transfer: helperPort ? [helperPort] : [],
    }).catch(reviveUserError)) as DensityJobResult;
    return { ...result, params, seconds: (performance.now() - started) / 1000 };
  } finally {
    options.signal?.removeEventListener('abort', stopHelper);
    // The primary closed its port, so the helper is finishing on its own; abort covers failures.
    if (helperRun) {
      const timer = setTimeout(stopHelper, 2000);
      await helperRun;
      clearTimeout(timer);
    }
  }
}

export interface NearestOptions {
  embedder?: EmbedderSpec;
  k?: number;
  rows?: { start: number; end?: number };
  /** Rows left out of the answer (usually the query row). */
  exclude?: number[];
  signal?: AbortSignal;
  onProgress?: (progress: DensityProgress) => void;
}

/**
 * Nearest rows to `queryText` by re-embedding the shard as it streams by (built-in embedder:
 * seconds for 100k rows, no memory kept). With a density run's `embeddings`, use nearestRows()
 * from nearest.ts instead.
 */
export async function findNearestRows(source: ShardSource, queryText: string, options: NearestOptions = {}): Promise<NearestRow[]> {
  const request: DensityWorkerRequest = {
    job: 'nearest',
    nearest: {
      source,
      embedder: options.embedder ?? { kind: 'builtin' },
      queryText,
      k: options.k ?? 10,
      rowStart: options.rows?.start ?? 0,
      rowEnd: options.rows?.end,
      exclude: options.exclude ?? [],
    },
  };
  return (await runWorker<DensityWorkerRequest, DensityProgress, DensityWorkerResult>('density', request, {
    signal: options.signal,
    onEvent: options.onProgress,
  }).catch(reviveUserError)) as NearestRow[];
}

/** A UserError (or ShardError) thrown in the worker reaches the caller as a UserError with its message. */
function reviveUserError(err: unknown): never {
  if (err instanceof WorkerError && (err.originalName === 'UserError' || err.originalName === 'ShardError')) throw new UserError(err.message, { cause: err });
  throw err;
}
