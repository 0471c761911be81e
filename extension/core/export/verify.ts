/**
 * After writing, export opens the written file like any shard (openShard: format detection, the
 * JSONL indexer or the Arrow footer and batch headers) and checks it holds exactly the rows it
 * should, and for JSONL that no line is malformed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors';
import { openShard } from '../shard/open';
import type { ShardFormat } from '../shard/types';

export class ExportVerificationError extends UserError {
  override name = 'ExportVerificationError';
}

/**
 * Checks the file at `path` (named `name` in messages) is a shard of `format` with `rows` rows and
 * no malformed line. A gzipped file is decompressed into a throwaway cache folder.
 */
export async function verifyExport(path: string, name: string, expected: { format: ShardFormat; rows: number }, signal?: AbortSignal): Promise<void> {
  const cacheDir = expected.format === 'jsonl.gz' ? await mkdtemp(join(tmpdir(), 'shard-curator-verify-')) : undefined;
  try {
    let shard;
    try {
      shard = await openShard(path, { cacheDir, signal });
      await shard.indexed;
    } catch (err) {
      await shard?.close();
      if (signal?.aborted) throw err;
      throw new ExportVerificationError(`${name}: the written file does not read back as a shard (${(err as Error).message})`, { cause: err });
    }
    try {
      const problems: string[] = [];
      if (shard.format !== expected.format) problems.push(`it reads as ${shard.format}, not ${expected.format}`);
      if (shard.rowCount !== expected.rows) problems.push(`it has ${shard.rowCount} rows, not ${expected.rows}`);
      if (shard.malformed.count > 0) {
        const first = shard.malformed.examples[0];
        problems.push(`${shard.malformed.count} of its lines are malformed${first ? ` (first: line ${first.line}, ${first.error})` : ''}`);
      }
      if (problems.length > 0) throw new ExportVerificationError(`${name}: the written file failed verification: ${problems.join('; ')}`);
    } finally {
      await shard.close();
    }
  } finally {
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  }
}
