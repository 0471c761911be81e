/**
 * The worker side of a density run (see run.ts for the API). The primary worker streams texts from
 * the shard, embeds and hashes them in batches, shares batches with a helper worker when there is
 * one, then counts (pass 1) and queries (pass 2) the sketch over the bucket codes it kept: R bytes
 * per row (51 MB for 200k rows at R = 256), so pass 2 re-reads neither the shard nor embeddings.
 *
 * Why a helper instead of two workers on disjoint row ranges: a scan can only start at the top of a
 * JSONL shard (scanTexts has no row index), so a second range reader would parse the first half for
 * nothing. Parsing stays on the primary; the helper takes batches of texts as soon as it is free.
 */
import type { MessagePort } from 'node:worker_threads';
import { ShardError, UserError } from '../errors';
import { scanTexts } from '../shard/open';
import type { ShardSource } from '../shard/types';
import { BuiltinEmbedder } from '../embed/builtin';
import { EmbeddingCache } from '../embed/cache';
import { createEmbedder, embedTexts, type EmbedderSpec } from '../embed/embedders';
import type { Embedder } from '../embed/types';
import { exactDensity } from './exact';
import { ipsWeights } from './ips';
import { TopK, type NearestRow } from './nearest';
import { newBucketArray, RaceHasher, RaceSketch, type BucketArray, type RaceParams } from './race';

export type DensityMethod = 'sketch' | 'exact';

/** What a density result was computed with: a plain object, recorded with the result. */
export interface DensityParams extends RaceParams {
  method: DensityMethod;
}

export interface DensityProgress {
  /** Rows embedded and hashed so far. */
  done: number;
  /** Rows in the range, when the caller gave its end. */
  total?: number;
}

/** Seconds spent in each stage, summed over both threads (reading + parsing is the rest). */
export interface DensityTiming {
  embedSeconds: number;
  hashSeconds: number;
  countSeconds: number;
}

export interface DensityJob {
  source: ShardSource;
  embedder: EmbedderSpec;
  params: DensityParams;
  rowStart: number;
  rowEnd?: number;
  cacheDir?: string;
  keepEmbeddings: boolean;
  /** Rows above which the O(n^2) exact method is refused. */
  exactLimit: number;
}

export interface DensityJobResult {
  density: Float64Array;
  ipsWeight: Float64Array;
  embedderId: string;
  rowStart: number;
  rowEnd: number;
  /** Texts actually embedded (the rest came from the embedding cache). */
  embedded: number;
  embeddings?: Float32Array;
  timing: DensityTiming;
}

/** A batch sent to the helper, and what it sends back. */
export interface HelperBatch {
  id: number;
  texts: string[];
}
export interface HelperReply {
  id: number;
  codes?: BucketArray;
  vectors?: Float32Array;
  embedded: number;
  embedSeconds: number;
  hashSeconds: number;
}

export function exactTooLarge(rows: number, limit: number): UserError {
  return new UserError(`exact density compares every pair of rows and ${rows} rows would take too long (limit ${limit}); use the sketch method.`);
}

const BATCH_ROWS = 256;
/** Batches the helper may hold at once: enough that it never idles while the primary parses between reads. */
const HELPER_QUEUE = 4;

/** Embeds (and, for the sketch, hashes) one batch: the work both threads share. */
export class BatchProcessor {
  readonly embedder: Embedder;
  private readonly hasher: RaceHasher | undefined;

  constructor(
    embedder: EmbedderSpec,
    private readonly params: DensityParams,
    private readonly cache: EmbeddingCache | undefined,
    private readonly keepVectors: boolean,
  ) {
    this.embedder = createEmbedder(embedder);
    if (this.embedder.dim !== params.dim) throw new Error(`density: embedder ${this.embedder.id} has ${this.embedder.dim} dims, params say ${params.dim}`);
    this.hasher = params.method === 'sketch' ? new RaceHasher(params) : undefined;
  }

  async process(texts: string[]): Promise<Omit<HelperReply, 'id'>> {
    const t0 = performance.now();
    const { vectors, embedded } = await embedTexts(this.embedder, texts, this.cache);
    const t1 = performance.now();
    let codes: BucketArray | undefined;
    if (this.hasher) {
      codes = newBucketArray(this.params, texts.length);
      for (let i = 0; i < texts.length; i++) this.hasher.hashInto(vectors, i * this.params.dim, codes, i * this.params.rows);
    }
    const t2 = performance.now();
    return { codes, vectors: this.keepVectors ? vectors : undefined, embedded, embedSeconds: (t1 - t0) / 1000, hashSeconds: (t2 - t1) / 1000 };
  }
}

/** A typed array that doubles when full (the row count of a range is not known up front). */
class Growable<T extends Uint8Array | Uint16Array | Uint32Array | Float32Array> {
  constructor(public data: T) {}
  set(values: T, at: number): void {
    if (at + values.length > this.data.length) {
      let size = Math.max(this.data.length * 2, 1024);
      while (size < at + values.length) size *= 2;
      const bigger = new (this.data.constructor as new (n: number) => T)(size);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data.set(values, at);
  }
}

export async function runDensityJob(
  job: DensityJob,
  emit: (progress: DensityProgress) => void,
  helper: MessagePort | undefined,
): Promise<DensityJobResult> {
  const { params, rowStart } = job;
  const builtin = job.embedder.kind === 'builtin';
  const embedderId = createEmbedder(job.embedder).id;
  // Only for embedders slower than reading a cached vector back (see embed/cache.ts).
  const cache = job.cacheDir !== undefined && !builtin ? EmbeddingCache.open(job.cacheDir, embedderId, params.dim) : undefined;
  try {
    const keepVectors = job.keepEmbeddings || params.method === 'exact';
    const processor = new BatchProcessor(job.embedder, params, cache, keepVectors);
    const sizeHint = job.rowEnd !== undefined ? Math.min(job.rowEnd - rowStart, 1 << 20) : 4096;
    const codes = params.method === 'sketch' ? new Growable<BucketArray>(newBucketArray(params, sizeHint)) : undefined;
    const vectors = keepVectors ? new Growable<Float32Array>(new Float32Array(sizeHint * params.dim)) : undefined;
    const timing: DensityTiming = { embedSeconds: 0, hashSeconds: 0, countSeconds: 0 };
    let embedded = 0;
    let done = 0;
    const total = job.rowEnd !== undefined ? job.rowEnd - rowStart : undefined;

    const store = (index: number, reply: Omit<HelperReply, 'id'>, rows: number) => {
      if (reply.codes) codes!.set(reply.codes, index * params.rows);
      if (reply.vectors) vectors!.set(reply.vectors, index * params.dim);
      embedded += reply.embedded;
      timing.embedSeconds += reply.embedSeconds;
      timing.hashSeconds += reply.hashSeconds;
      done += rows;
      emit({ done, total });
    };

    // Batches out at the helper: id -> first row index and row count.
    const pending = new Map<number, { index: number; rows: number }>();
    let waiters: Array<() => void> = [];
    let helperFailure: Error | undefined;
    if (helper) {
      helper.on('message', (reply: HelperReply & { error?: string }) => {
        if (reply.error !== undefined) helperFailure = new Error(`density helper: ${reply.error}`);
        else {
          const batch = pending.get(reply.id)!;
          pending.delete(reply.id);
          store(batch.index, reply, batch.rows);
        }
        const wake = waiters;
        waiters = [];
        for (const w of wake) w();
      });
    }
    const waitForHelper = () => new Promise<void>((resolve) => waiters.push(resolve));

    let nextBatchId = 0;
    let count = 0;
    let texts: string[] = [];
    const flush = async () => {
      if (texts.length === 0) return;
      const index = count - texts.length;
      if (helperFailure) throw helperFailure;
      if (helper && pending.size < HELPER_QUEUE) {
        const id = nextBatchId++;
        pending.set(id, { index, rows: texts.length });
        helper.postMessage({ id, texts } satisfies HelperBatch);
      } else {
        const reply = await processor.process(texts);
        store(index, reply, texts.length);
      }
      texts = [];
    };

    for await (const item of scanTexts(job.source, { start: rowStart, end: job.rowEnd })) {
      if (item.row !== rowStart + count) {
        throw new ShardError(job.source.path, `expected row ${rowStart + count} but the scan returned row ${item.row}; the file changed on disk since it was opened. Reopen it.`);
      }
      texts.push(item.text);
      count++;
      if (texts.length === BATCH_ROWS) await flush();
    }
    await flush();
    while (pending.size > 0) {
      if (helperFailure) throw helperFailure;
      await waitForHelper();
    }
    if (helperFailure) throw helperFailure;

    let density: Float64Array;
    const t0 = performance.now();
    if (params.method === 'sketch') {
      const allCodes = codes!.data.subarray(0, count * params.rows) as BucketArray;
      const sketch = new RaceSketch(params);
      sketch.insertAll(allCodes);
      density = new Float64Array(count);
      sketch.queryAll(allCodes, density);
    } else {
      if (count > job.exactLimit) throw exactTooLarge(count, job.exactLimit);
      density = exactDensity(vectors!.data, count, params);
    }
    timing.countSeconds = (performance.now() - t0) / 1000;
    return {
      density,
      ipsWeight: count > 0 ? ipsWeights(density) : new Float64Array(0),
      embedderId,
      rowStart,
      rowEnd: rowStart + count,
      embedded,
      embeddings: job.keepEmbeddings ? vectors!.data.slice(0, count * params.dim) : undefined,
      timing,
    };
  } finally {
    cache?.close();
  }
}

/** The helper worker: embeds and hashes batches from the primary until the port closes. */
export function serveDensityHelper(port: MessagePort, embedder: EmbedderSpec, params: DensityParams, keepVectors: boolean): Promise<void> {
  const processor = new BatchProcessor(embedder, params, undefined, keepVectors);
  if (!(processor.embedder instanceof BuiltinEmbedder)) throw new Error('density helper: only the built-in embedder runs on two threads');
  return new Promise<void>((resolve) => {
    port.on('message', (batch: HelperBatch) => {
      processor.process(batch.texts).then(
        (reply) => {
          const transfer = [reply.codes?.buffer, reply.vectors?.buffer].filter((b) => b !== undefined);
          port.postMessage({ id: batch.id, ...reply } satisfies HelperReply, transfer as never);
        },
        (err: unknown) => port.postMessage({ id: batch.id, error: err instanceof Error ? err.message : String(err) }),
      );
    });
    port.on('close', () => resolve());
  });
}

export interface NearestJob {
  source: ShardSource;
  embedder: EmbedderSpec;
  /** The query row's text (embedded with the same embedder). */
  queryText: string;
  k: number;
  rowStart: number;
  rowEnd?: number;
  exclude: number[];
}

/** Nearest rows by streaming the shard and re-embedding every row: no stored embeddings needed. */
export async function runNearestJob(job: NearestJob, emit: (progress: DensityProgress) => void): Promise<NearestRow[]> {
  const embedder = createEmbedder(job.embedder);
  const [query] = await embedder.embed([job.queryText]);
  const dim = embedder.dim;
  const exclude = new Set(job.exclude);
  const best = new TopK(job.k);
  const total = job.rowEnd !== undefined ? job.rowEnd - job.rowStart : undefined;
  let batch: Array<{ row: number; text: string }> = [];
  let done = 0;
  const flush = async () => {
    const { vectors } = await embedTexts(embedder, batch.map((b) => b.text), undefined);
    batch.forEach(({ row }, i) => {
      if (exclude.has(row)) return;
      let dot = 0;
      for (let j = 0, o = i * dim; j < dim; j++) dot += vectors[o + j] * query[j];
      best.offer(row, dot);
    });
    done += batch.length;
    batch = [];
    emit({ done, total });
  };
  for await (const item of scanTexts(job.source, { start: job.rowStart, end: job.rowEnd })) {
    batch.push(item);
    if (batch.length === BATCH_ROWS) await flush();
  }
  if (batch.length > 0) await flush();
  return best.sorted();
}
