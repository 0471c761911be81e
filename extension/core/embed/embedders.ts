/**
 * Embedders are described by plain data (an EmbedderSpec) so a worker thread can build its own;
 * `embedTexts` embeds a batch through the on-disk cache when one is given.
 */
import { textHash } from '../store/text-hash';
import { BuiltinEmbedder, type BuiltinEmbedderOptions } from './builtin';
import type { EmbeddingCache } from './cache';
import { OllamaEmbedder, type OllamaEmbedderSpec } from './ollama';
import type { Embedder } from './types';

export type EmbedderSpec = ({ kind: 'builtin' } & BuiltinEmbedderOptions) | OllamaEmbedderSpec;

export function createEmbedder(spec: EmbedderSpec): Embedder {
  switch (spec.kind) {
    case 'builtin':
      return new BuiltinEmbedder(spec);
    case 'ollama':
      return new OllamaEmbedder(spec);
  }
}

/**
 * Vectors of `texts` as one texts.length x dim matrix: cached ones read from `cache`, the rest
 * embedded in one call and appended to it. `embedded` counts the texts actually embedded.
 */
export async function embedTexts(
  embedder: Embedder,
  texts: string[],
  cache: EmbeddingCache | undefined,
  signal?: AbortSignal,
): Promise<{ vectors: Float32Array; embedded: number }> {
  const dim = embedder.dim;
  const vectors = new Float32Array(texts.length * dim);
  if (embedder instanceof BuiltinEmbedder && !cache) {
    for (let i = 0; i < texts.length; i++) embedder.embedInto(texts[i], vectors, i * dim);
    return { vectors, embedded: texts.length };
  }
  const hashes = cache ? texts.map(textHash) : [];
  const missing: number[] = [];
  for (let i = 0; i < texts.length; i++) if (!cache?.read(hashes[i], vectors, i * dim)) missing.push(i);
  if (missing.length === 0) return { vectors, embedded: 0 };
  const fresh = await embedder.embed(missing.map((i) => texts[i]), signal);
  if (fresh.length !== missing.length) throw new Error(`embedder ${embedder.id} returned ${fresh.length} vectors for ${missing.length} texts`);
  missing.forEach((row, j) => {
    if (fresh[j].length !== dim) throw new Error(`embedder ${embedder.id} returned a ${fresh[j].length}-dim vector; expected ${dim}`);
    vectors.set(fresh[j], row * dim);
  });
  cache?.append(missing.map((row, j) => ({ textHash: hashes[row], vector: fresh[j] })));
  return { vectors, embedded: missing.length };
}
