import { isCancelled, throwIfAborted } from '../errors';
import { OllamaError } from './errors';
import type { HostPool, RetryPolicy } from './pool';
import { estimateTokens } from './tokens';

export interface EmbedOptions {
  model: string;
  /** The model's context (from preflight): texts estimated longer are flagged as truncated. */
  contextLength: number;
  /** Texts per /api/embed request (the server embeds them one after another; keep it small). */
  batchSize?: number;
  /** Requests in flight; default one per host (Ollama runs embedding models with parallelism 1). */
  concurrency?: number;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  /** Called after each batch with the number of texts done so far (empty ones included). */
  onProgress?(done: number): void;
}

export interface EmbedResult {
  /** In input order; null for empty texts, which Ollama gives no vector. */
  vectors: Array<Float32Array | null>;
  /**
   * The server cut the text to its context (sent with `truncate: true`). Estimated conservatively
   * from the text's length, so a text that only just fitted may be flagged too.
   */
  truncated: boolean[];
  /** Vector length (0 when every text was empty). */
  dims: number;
  /** Tokens the server reports it embedded (sum of prompt_eval_count). */
  promptTokens: number;
}

/** Embeds texts through the pool with batched /api/embed requests, cancellable and retried like every call. */
export async function embedTexts(pool: HostPool, texts: readonly string[], options: EmbedOptions): Promise<EmbedResult> {
  const batchSize = Math.max(1, options.batchSize ?? 16);
  const vectors: Array<Float32Array | null> = new Array(texts.length).fill(null);
  const truncated = texts.map((t) => t.length > 0 && estimateTokens(t) > options.contextLength);
  const nonEmpty = texts.map((_, i) => i).filter((i) => texts[i].length > 0);
  const batches: number[][] = [];
  for (let i = 0; i < nonEmpty.length; i += batchSize) batches.push(nonEmpty.slice(i, i + batchSize));

  let dims = 0;
  let promptTokens = 0;
  let done = texts.length - nonEmpty.length;
  let next = 0;
  // The first failure stops the other workers; the user's cancel stops them all.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const worker = async () => {
    while (next < batches.length) {
      throwIfAborted(signal);
      const batch = batches[next++];
      const { value, host } = await pool.request(
        (client) => client.embed({ model: options.model, input: batch.map((i) => texts[i]), truncate: true }),
        { signal, model: options.model, retry: options.retry },
      );
      if (!Array.isArray(value.embeddings) || value.embeddings.length !== batch.length) {
        throw new OllamaError('bad-response', `Ollama at ${host} returned ${value.embeddings?.length ?? 0} vectors for ${batch.length} texts; cannot tell which vector belongs to which row.`, host);
      }
      batch.forEach((row, k) => {
        vectors[row] = Float32Array.from(value.embeddings[k]);
        dims = value.embeddings[k].length;
      });
      promptTokens += value.prompt_eval_count ?? 0;
      done += batch.length;
      options.onProgress?.(done);
    }
  };
  const concurrency = Math.max(1, options.concurrency ?? pool.hosts.length);
  const settled = await Promise.allSettled(Array.from({ length: Math.min(concurrency, Math.max(1, batches.length)) }, () =>
    worker().catch((err: unknown) => {
      stop.abort();
      throw err;
    })));
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
  if (failures.length > 0) throw failures.find((err) => !isCancelled(err)) ?? failures[0];
  return { vectors, truncated, dims, promptTokens };
}
