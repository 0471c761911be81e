/**
 * An embedder turns row texts into L2-normalised vectors of a fixed dimension. The built-in hashed
 * embedder runs in-process; others (Ollama) implement the same interface.
 */
export interface Embedder {
  /**
   * Stable identity of the vector space: name, version and every parameter that changes the
   * output (e.g. `builtin-v1-d256-wb-sw`). Caches and recipes key on it; two embedders with the
   * same id must produce the same vectors.
   */
  readonly id: string;
  readonly dim: number;
  /** One vector per text, in order. Rejects with CancelledError when `signal` fires. */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}
