/**
 * An Embedder over an Ollama embedding model (`/api/embed`), for density and nearest rows. The
 * model is checked once on the caller's side (prepareOllamaEmbedder: preflight, vector size,
 * context); the resulting spec is plain data, so the density worker builds its own embedder from it
 * and makes the requests there, through a HostPool (least-loaded host, retries with back-off).
 * Cancelling terminates that worker, which ends its requests in flight.
 */
import { UserError } from '../errors';
import { embedTexts } from '../ollama/embed';
import { HostPool, type RetryPolicy } from '../ollama/pool';
import { preflight } from '../ollama/preflight';
import type { Embedder } from './types';

export interface OllamaEmbedderSpec {
  kind: 'ollama';
  model: string;
  hosts: string[];
  /** Vector size, from /api/show (or a probe request when the model does not report it). */
  dim: number;
  /** The model's context in tokens: longer texts are cut by the server (`truncate: true`). */
  contextLength: number;
  /** The model's digest: part of the embedder id, so cached vectors of other weights are never reused. */
  digest: string;
  /** Texts per /api/embed request (default 16). */
  batchSize?: number;
  retry?: Partial<RetryPolicy>;
}

/** Context assumed when /api/show does not report one (nomic-embed-text's effective context). */
const FALLBACK_CONTEXT = 2048;

export class OllamaEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;
  private readonly pool: HostPool;

  constructor(private readonly spec: OllamaEmbedderSpec) {
    this.dim = spec.dim;
    this.id = `ollama-${spec.model}-${spec.digest.replace(/^sha256:/, '').slice(0, 12)}-d${spec.dim}`;
    this.pool = new HostPool(spec.hosts, spec.retry);
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const result = await embedTexts(this.pool, texts, {
      model: this.spec.model,
      contextLength: this.spec.contextLength,
      batchSize: this.spec.batchSize,
      retry: this.spec.retry,
      signal,
    });
    if (this.dim !== 0 && result.dims !== 0 && result.dims !== this.dim) {
      throw new UserError(`Ollama model "${this.spec.model}" returned ${result.dims}-dimensional vectors, but it reported ${this.dim}; was the model replaced during the run?`);
    }
    // Ollama gives an empty text no vector: it gets the zero vector (similar to nothing).
    return result.vectors.map((vector) => vector ?? new Float32Array(this.dim));
  }
}

/** Checks the model on every host and returns the spec a density run (in its worker) embeds with. */
export async function prepareOllamaEmbedder(
  hosts: string[],
  model: string,
  options: { batchSize?: number; retry?: Partial<RetryPolicy>; signal?: AbortSignal } = {},
): Promise<OllamaEmbedderSpec> {
  const infos = await preflight(hosts, model, 'embed', { signal: options.signal, retry: options.retry });
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
    throw new UserError(`the embedding batch size must be a whole number >= 1, not ${options.batchSize}`);
  }
  const spec: OllamaEmbedderSpec = {
    kind: 'ollama',
    model,
    hosts: infos.map((info) => info.host),
    dim: infos[0].embeddingLength ?? 0,
    contextLength: Math.min(...infos.map((info) => info.contextLength ?? FALLBACK_CONTEXT)),
    digest: infos[0].digest,
    batchSize: options.batchSize,
    retry: options.retry,
  };
  if (spec.dim === 0) {
    // The model does not report its vector size: ask for one vector.
    const [vector] = await new OllamaEmbedder({ ...spec, dim: 0 }).embed(['dimension probe'], options.signal);
    spec.dim = vector.length;
  }
  return spec;
}
