import { openShard } from '../../../extension/core/shard/open';
import type { OpenOptions, Shard, TextItem } from '../../../extension/core/shard/types';

/** Opens a shard and waits until its index is complete. */
export async function openIndexed(path: string, options: OpenOptions = {}): Promise<Shard> {
  const shard = await openShard(path, options);
  await shard.indexed;
  return shard;
}

export async function collect(items: AsyncIterable<TextItem>): Promise<TextItem[]> {
  const out: TextItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}
