/**
 * "Show Nearest Rows": the k rows most similar (cosine) to a query embedding, from the embeddings
 * matrix a density run kept (`keepEmbeddings`), so the editor answers without re-reading the shard.
 * The embeddings are L2-normalised, so cosine is the dot product (0 for empty rows).
 */
export interface NearestRow {
  row: number;
  similarity: number;
}

/**
 * Top `k` rows of `embeddings` (count x dim, row-major; slot i is row rowStart + i) by cosine with
 * `query`, best first, ties by row number; rows in `exclude` (e.g. the query row itself) are skipped.
 */
export function nearestRows(
  embeddings: Float32Array,
  dim: number,
  query: Float32Array,
  k: number,
  options: { rowStart?: number; exclude?: number[] } = {},
): NearestRow[] {
  if (query.length !== dim) throw new RangeError(`nearestRows: query has ${query.length} dims, embeddings have ${dim}`);
  const rowStart = options.rowStart ?? 0;
  const exclude = new Set(options.exclude ?? []);
  const count = Math.floor(embeddings.length / dim);
  const best = new TopK(k);
  for (let i = 0; i < count; i++) {
    const row = rowStart + i;
    if (exclude.has(row)) continue;
    let dot = 0;
    for (let j = 0, o = i * dim; j < dim; j++) dot += embeddings[o + j] * query[j];
    best.offer(row, dot);
  }
  return best.sorted();
}

/** Keeps the k largest (similarity, then smaller row) seen; O(log k) per offer via a min-heap. */
export class TopK {
  private readonly heap: NearestRow[] = [];
  constructor(private readonly k: number) {}

  offer(row: number, similarity: number): void {
    if (this.k <= 0) return;
    const item = { row, similarity };
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push(item);
      this.up(heap.length - 1);
    } else if (better(item, heap[0])) {
      heap[0] = item;
      this.down(0);
    }
  }

  sorted(): NearestRow[] {
    return [...this.heap].sort((a, b) => (better(a, b) ? -1 : 1));
  }

  private up(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!better(heap[parent], heap[i])) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < heap.length && better(heap[worst], heap[l])) worst = l;
      if (r < heap.length && better(heap[worst], heap[r])) worst = r;
      if (worst === i) return;
      [heap[worst], heap[i]] = [heap[i], heap[worst]];
      i = worst;
    }
  }
}

function better(a: NearestRow, b: NearestRow): boolean {
  return a.similarity > b.similarity || (a.similarity === b.similarity && a.row < b.row);
}
