/**
 * What the curation model needs to know about every row's current text: the text hash (which
 * annotations are current) and the length in UTF-16 code units (the `chars` sort and the
 * kept-characters figure). A JSONL shard gathers them while it is indexed; otherwise (Arrow, or
 * another text field chosen since) one streaming pass in a worker thread computes them.
 */
import { UserError } from '../errors';
import { runWorker, WorkerError } from '../run/workers';
import type { Shard, ShardSource, TextFacts, TextItem } from '../shard/types';
import { hashTexts, RowTextHashes, type HashProgress } from '../store/text-hash';

export interface RowFacts {
  hashes: RowTextHashes;
  lengths: Uint32Array;
}

export interface RowFactsRequest {
  source: ShardSource;
  rowCount: number;
}

/** Records each text's length as the items stream by on their way to the hasher. */
async function* recordLengths(items: AsyncIterable<TextItem>, lengths: Uint32Array): AsyncIterable<TextItem> {
  for await (const item of items) {
    if (item.row < lengths.length) lengths[item.row] = item.text.length;
    yield item;
  }
}

/** The worker side: hashes and lengths of rows [0, rowCount). */
export async function gatherRowFacts(
  items: AsyncIterable<TextItem>,
  rowCount: number,
  file: string,
  onProgress: (progress: HashProgress) => void,
): Promise<TextFacts> {
  const lengths = new Uint32Array(rowCount);
  const hashes = await hashTexts(recordLengths(items, lengths), 0, rowCount, { onProgress, file });
  return { hashes, lengths };
}

/** The facts of every row of an indexed shard. */
export async function computeRowFacts(
  shard: Shard,
  options: { signal?: AbortSignal; onProgress?: (progress: HashProgress) => void } = {},
): Promise<RowFacts> {
  const gathered = shard.textFacts?.();
  if (gathered) {
    options.onProgress?.({ done: shard.rowCount, total: shard.rowCount });
    return { hashes: new RowTextHashes(gathered.hashes), lengths: gathered.lengths };
  }
  const result = await runWorker<RowFactsRequest, HashProgress, TextFacts>(
    'row-facts',
    { source: shard.source(), rowCount: shard.rowCount },
    { signal: options.signal, onEvent: options.onProgress },
  ).catch((err: unknown) => {
    // A shard that changed on disk (ShardError in the worker) reaches the user as its message.
    if (err instanceof WorkerError && (err.originalName === 'ShardError' || err.originalName === 'UserError')) throw new UserError(err.message, { cause: err });
    throw err;
  });
  return { hashes: new RowTextHashes(result.hashes), lengths: result.lengths };
}
