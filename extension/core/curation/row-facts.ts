/**
 * What the curation model needs to know about every row's current text, gathered in one streaming
 * pass in a worker thread: the text hash (which annotations are current) and the length in UTF-16
 * code units (the `chars` sort and the kept-characters figure).
 */
import { UserError } from '../errors';
import { runWorker, WorkerError } from '../run/workers';
import type { ShardSource, TextItem } from '../shard/types';
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
): Promise<{ hashes: BigUint64Array; lengths: Uint32Array }> {
  const lengths = new Uint32Array(rowCount);
  const hashes = await hashTexts(recordLengths(items, lengths), 0, rowCount, { onProgress, file });
  return { hashes, lengths };
}

export async function computeRowFacts(
  source: ShardSource,
  rowCount: number,
  options: { signal?: AbortSignal; onProgress?: (progress: HashProgress) => void } = {},
): Promise<RowFacts> {
  const result = await runWorker<RowFactsRequest, HashProgress, { hashes: BigUint64Array; lengths: Uint32Array }>(
    'row-facts',
    { source, rowCount },
    { signal: options.signal, onEvent: options.onProgress },
  ).catch((err: unknown) => {
    // A shard that changed on disk (ShardError in the worker) reaches the user as its message.
    if (err instanceof WorkerError && (err.originalName === 'ShardError' || err.originalName === 'UserError')) throw new UserError(err.message, { cause: err });
    throw err;
  });
  return { hashes: new RowTextHashes(result.hashes), lengths: result.lengths };
}
