import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, linkSync, readdirSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { exportCurated, ExportVerificationError, type ExportCuratedOptions } from '../../../extension/core/export';
import { openShard } from '../../../extension/core/shard/open';
import { CancelledError, ShardError, UserError } from '../../../extension/core/errors';
import { writeJsonlShard } from '../../fixtures/corpus';
import { decisionsOf, files, randomMask, tempDir } from './helpers';

let dir: string;
let cleanup: () => void;
let shardPath: string;
let rowCount: number;
let mask: Uint8Array;

before(async () => {
  ({ dir, cleanup } = tempDir('safety'));
  shardPath = join(dir, 'shard.jsonl');
  // Several read chunks (1 MB each), so that a cancel or a failure can land mid-export.
  ({ rows: rowCount } = await writeJsonlShard(shardPath, { targetBytes: 5_000_000 }, 12));
  mask = randomMask(rowCount, 0.3, 1);
});
after(() => cleanup());

function options(overrides: Partial<ExportCuratedOptions>): ExportCuratedOptions {
  return { shard: { path: shardPath, format: 'jsonl' }, decisions: decisionsOf(mask), output: join(dir, 'out.jsonl'), recipe: {}, ...overrides };
}

function isUserError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  };
}

describe('export never harms a file', () => {
  test('refuses to write over the shard: by its path, through a symlink, through a hard link, even with force', async () => {
    const before = readFileSync(shardPath);
    const hardLink = join(dir, 'hard-link.jsonl');
    const symlink = join(dir, 'symlink.jsonl');
    linkSync(shardPath, hardLink);
    symlinkSync(shardPath, symlink);
    try {
      for (const output of [shardPath, hardLink, symlink, join(dir, '.', 'shard.jsonl')]) {
        await assert.rejects(exportCurated(options({ output, force: true })), isUserError(/is the shard being exported/));
      }
      await assert.rejects(exportCurated(options({ droppedPath: hardLink, force: true })), isUserError(/is the shard being exported/));
      assert.ok(readFileSync(shardPath).equals(before));
    } finally {
      for (const link of [hardLink, symlink]) unlinkSync(link);
    }
    assert.deepEqual(files(dir), ['shard.jsonl']);
  });

  test('refuses to replace an existing output or recipe unless forced; with force it replaces both', async () => {
    const output = join(dir, 'existing.jsonl');
    writeFileSync(output, 'precious\n');
    await assert.rejects(exportCurated(options({ output })), isUserError(/existing\.jsonl: already exists.*--force/));
    assert.equal(readFileSync(output, 'utf8'), 'precious\n');

    const other = join(dir, 'other.jsonl');
    writeFileSync(`${other}.recipe.json`, '{}');
    await assert.rejects(exportCurated(options({ output: other })), isUserError(/other\.jsonl\.recipe\.json: already exists/));
    assert.deepEqual(files(dir), ['existing.jsonl', 'other.jsonl.recipe.json', 'shard.jsonl']);

    const { recipe } = await exportCurated(options({ output, force: true }));
    assert.notEqual(readFileSync(output, 'utf8'), 'precious\n');
    assert.equal(recipe.rows.kept, decisionsOf(mask).kept);
    assert.equal(JSON.parse(readFileSync(`${output}.recipe.json`, 'utf8')).output.sha256, recipe.output.sha256);
    for (const name of ['existing.jsonl', 'existing.jsonl.recipe.json', 'other.jsonl.recipe.json']) unlinkSync(join(dir, name));
  });

  test('output and dropped-rows file must differ, and their folder must exist', async () => {
    await assert.rejects(exportCurated(options({ droppedPath: join(dir, 'out.jsonl') })), isUserError(/named twice/));
    await assert.rejects(exportCurated(options({ output: join(dir, 'missing', 'out.jsonl') })), isUserError(/does not exist/));
    assert.deepEqual(files(dir), ['shard.jsonl']);
  });

  test('cancel midway leaves no output, no recipe and no temporary file', async () => {
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(
      exportCurated(options({
        droppedPath: join(dir, 'dropped.jsonl'),
        signal: controller.signal,
        onProgress: (progress) => {
          seen = progress.rowsDone;
          if (progress.rowsDone > 0 && progress.rowsDone < progress.rowsTotal) controller.abort();
        },
      })),
      (err: unknown) => err instanceof CancelledError);
    assert.ok(seen > 0 && seen < rowCount, `cancelled after ${seen} of ${rowCount} rows`);
    assert.deepEqual(files(dir), ['shard.jsonl']);
  });

  test('a shard that fails midway (truncated gzip) leaves nothing behind', async () => {
    const gz = gzipSync(readFileSync(shardPath));
    const broken = join(dir, 'broken.jsonl.gz');
    writeFileSync(broken, gz.subarray(0, Math.floor(gz.length * 0.7)));
    let rowsDone = 0;
    await assert.rejects(
      exportCurated({
        shard: { path: broken, format: 'jsonl.gz' }, decisions: decisionsOf(mask), output: join(dir, 'broken.curated.jsonl.gz'),
        droppedPath: join(dir, 'broken.dropped.jsonl.gz'), recipe: {}, onProgress: (p) => { rowsDone = p.rowsDone; },
      }),
      (err: unknown) => {
        assert.ok(err instanceof ShardError, String(err));
        assert.match(err.message, /broken\.jsonl\.gz: is truncated/);
        return true;
      });
    assert.ok(rowsDone > 0, 'rows were written before the failure');
    assert.deepEqual(files(dir), ['broken.jsonl.gz', 'shard.jsonl']);
    unlinkSync(broken);
  });

  test('a shard that changes during the export is reported, and nothing is left', async () => {
    const copy = join(dir, 'growing.jsonl');
    writeFileSync(copy, readFileSync(shardPath));
    let appended = false;
    await assert.rejects(
      exportCurated({
        shard: { path: copy, format: 'jsonl' }, decisions: decisionsOf(mask), output: join(dir, 'growing.curated.jsonl'), recipe: {},
        onProgress: () => {
          if (appended) return;
          appended = true;
          appendFileSync(copy, `${JSON.stringify({ id: 'late', text: 'A row written while the export ran.' })}\n`);
        },
      }),
      (err: unknown) => err instanceof ShardError && /changed on disk since it was opened/.test(err.message));
    assert.deepEqual(files(dir), ['growing.jsonl', 'shard.jsonl']);
    unlinkSync(copy);
  });

  test('verification catches a written file that does not hold the kept rows, and removes it', async () => {
    const output = join(dir, 'verified.jsonl');
    await assert.rejects(
      exportCurated(options({
        output,
        onProgress: (progress) => {
          if (progress.phase !== 'verifying') return;
          // Damage the finished temporary file before it is read back.
          const temp = readdirSync(dir).find((name) => name.startsWith('.verified.jsonl.') && name.endsWith('.partial'));
          assert.ok(temp, 'the temporary file is in the target folder');
          appendFileSync(join(dir, temp), '{"id": "torn", "text": "half a line\n');
        },
      })),
      (err: unknown) => {
        assert.ok(err instanceof ExportVerificationError, String(err));
        assert.match(err.message, /verified\.jsonl: the written file failed verification: 1 of its lines are malformed \(first: line \d+/);
        return true;
      });
    assert.deepEqual(files(dir), ['shard.jsonl']);
  });

  test('an export that succeeds reads back as a shard with exactly the kept rows', async () => {
    const output = join(dir, 'good.jsonl');
    const { recipe } = await exportCurated(options({ output }));
    const shard = await openShard(output);
    try {
      await shard.indexed;
      assert.equal(shard.rowCount, recipe.rows.kept);
      assert.equal(shard.malformed.count, 0);
    } finally {
      await shard.close();
    }
  });
});
