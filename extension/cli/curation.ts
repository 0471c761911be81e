/** Opens a shard and its curation model for a CLI command, with progress on the terminal. */
import { ShardAnnotations } from '../core/curation';
import { openShard } from '../core/shard/open';
import type { Shard } from '../core/shard/types';
import type { CommandContext, OptionSpecs } from './command';

export interface OpenedCuration {
  shard: Shard;
  model: ShardAnnotations;
  close(): Promise<void>;
}

export type CurationContext = Pick<CommandContext<OptionSpecs>, 'progress' | 'global' | 'signal'>;

export async function openCuration(path: string, context: CurationContext, storeDir = context.global.storeDir): Promise<OpenedCuration> {
  const indexing = context.progress('Indexing', 'bytes');
  const shard = await openShard(path, {
    cacheDir: context.global.cacheDir,
    textField: context.global.textField,
    signal: context.signal,
    onProgress: (p) => indexing.update(p.bytesDone, p.bytesTotal),
  });
  try {
    await shard.indexed;
    indexing.finish();
    const hashing = context.progress('Reading rows', 'rows');
    const model = await ShardAnnotations.open(shard, { storeDir, signal: context.signal, onProgress: (p) => hashing.update(p.done, p.total) });
    hashing.finish();
    return {
      shard,
      model,
      async close() {
        await model.close();
        await shard.close();
      },
    };
  } catch (err) {
    indexing.finish();
    await shard.close();
    throw err;
  }
}
