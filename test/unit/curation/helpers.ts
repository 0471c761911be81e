/** Real-text shards and an opened curation model for the curation tests. */
import { openShard } from '../../../extension/core/shard/open';
import type { Shard } from '../../../extension/core/shard/types';
import { ShardAnnotations, type OpenAnnotationsOptions } from '../../../extension/core/curation';
import { records, tempDir, writeJsonl, type ShardRecord } from '../cli/shards';

export { records, tempDir, writeJsonl, type ShardRecord };

export interface Opened {
  shard: Shard;
  model: ShardAnnotations;
  close(): Promise<void>;
}

export async function openModel(path: string, options: OpenAnnotationsOptions = {}): Promise<Opened> {
  const shard = await openShard(path);
  await shard.indexed;
  const model = await ShardAnnotations.open(shard, options);
  return {
    shard,
    model,
    async close() {
      await model.close();
      await shard.close();
    },
  };
}

/** Rows of `mask` (or where `test` holds), ascending. */
export function rowsWhere(count: number, test: (row: number) => boolean): number[] {
  const out: number[] = [];
  for (let row = 0; row < count; row++) if (test(row)) out.push(row);
  return out;
}
