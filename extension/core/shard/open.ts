/**
 * The entry point for reading shards: `openShard` detects the format from the file's content and
 * opens it with the matching reader; `scanTexts` streams texts in row order from a ShardSource,
 * with no index, so any worker thread can run it.
 */
import { openArrowShard, scanArrowTexts } from './arrow';
import { detectFormat } from './detect';
import { openJsonlShard, scanJsonlTexts } from './jsonl';
import type { OpenOptions, ScanOptions, Shard, ShardSource, TextItem } from './types';

export async function openShard(path: string, options: OpenOptions = {}): Promise<Shard> {
  const format = await detectFormat(path);
  switch (format) {
    case 'jsonl':
    case 'jsonl.gz':
      return openJsonlShard(path, format, options);
    case 'arrow-file':
    case 'arrow-stream':
      return openArrowShard(path, format, options);
  }
}

export function scanTexts(source: ShardSource, options: ScanOptions = {}): AsyncIterable<TextItem> {
  switch (source.format) {
    case 'jsonl':
    case 'jsonl.gz':
      return scanJsonlTexts(source, options);
    case 'arrow-file':
    case 'arrow-stream':
      return scanArrowTexts(source, options);
  }
}
