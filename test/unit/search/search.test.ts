/** Whole-shard search in the worker thread (search.worker.ts) over real-text shards. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CancelledError, UserError } from '../../../extension/core/errors';
import { compileMatcher } from '../../../extension/core/search/query';
import { searchShard, type SearchProgress } from '../../../extension/core/search/search';
import type { Shard } from '../../../extension/core/shard/types';
import { MALFORMED, records, tempDir, writeArrow, writeGzip, writeJsonl, type ShardRecord } from '../cli/shards';
import { openIndexed } from '../shard/helpers';

let dir: string;
let cleanup: () => void;
let rows: ShardRecord[];
let jsonl: Shard;

/** Runs a search and collects every progress report. */
async function collect(shard: Shard, pattern: string, options: { regex?: boolean; caseSensitive?: boolean; maxMatches?: number } = {}) {
  const reports: SearchProgress[] = [];
  const summary = await searchShard(shard.source(), { pattern, regex: options.regex ?? false, caseSensitive: options.caseSensitive ?? true }, {
    end: shard.rowCount,
    maxMatches: options.maxMatches ?? 100_000,
    progressIntervalMs: 0,
    onProgress: (p) => reports.push(p),
  });
  return { summary, reports, matches: reports.flatMap((r) => r.matches) };
}

function expected(predicate: (text: string) => boolean): number[] {
  return rows.flatMap((r, i) => (predicate(r.text) ? [i] : []));
}

before(async () => {
  ({ dir, cleanup } = tempDir('search'));
  rows = records(2000, 5);
  // Malformed lines are not rows: matches must still be numbered like the grid numbers rows.
  writeJsonl(join(dir, 'web.jsonl'), rows, new Map([[0, MALFORMED[0]], [700, MALFORMED[1]], [1500, MALFORMED[2]]]));
  jsonl = await openIndexed(join(dir, 'web.jsonl'), { cacheDir: join(dir, 'cache') });
});
after(async () => {
  await jsonl.close();
  cleanup();
});

test('a substring search finds exactly the rows whose text contains it, in row order', async () => {
  const { summary, reports, matches } = await collect(jsonl, 'the jury');
  const want = expected((t) => t.includes('the jury'));
  assert.ok(want.length > 3 && want.length < rows.length / 2, `fixture should have some matches (${want.length})`);
  assert.deepEqual(matches, want);
  assert.equal(summary.matchCount, want.length);
  assert.equal(summary.scanned, rows.length);
  assert.equal(summary.capped, false);
  const last = reports.at(-1)!;
  assert.equal(last.done, true);
  assert.equal(last.total, rows.length);
  assert.equal(reports.filter((r) => r.done).length, 1);
  for (let i = 1; i < reports.length; i++) assert.ok(reports[i].scanned >= reports[i - 1].scanned);
});

test('case-insensitive substring search also finds other capitalisations', async () => {
  const sensitive = await collect(jsonl, 'The jury');
  const insensitive = await collect(jsonl, 'THE JURY', { caseSensitive: false });
  assert.deepEqual(insensitive.matches, expected((t) => t.toLowerCase().includes('the jury')));
  assert.ok(insensitive.matches.length > sensitive.matches.length);
  // Regex metacharacters in a substring are plain text.
  const literal = await collect(jsonl, '(e.g.', { caseSensitive: false });
  assert.deepEqual(literal.matches, expected((t) => t.toLowerCase().includes('(e.g.')));
});

test('a regex search uses JavaScript RegExp syntax', async () => {
  const { matches } = await collect(jsonl, '\\b(19[0-9]{2})\\b.*\\bpresident', { regex: true, caseSensitive: false });
  const want = expected((t) => /\b(19[0-9]{2})\b.*\bpresident/i.test(t));
  assert.ok(want.length > 0);
  assert.deepEqual(matches, want);
});

test('a bad regex fails before any scan with the reason', async () => {
  await assert.rejects(collect(jsonl, 'jury (said', { regex: true }), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.match(err.message, /Invalid regular expression: \/jury \(said\/: Unterminated group/);
    return true;
  });
  assert.throws(() => compileMatcher({ pattern: '', regex: false, caseSensitive: true }), /empty/);
  // The same text is fine as a substring.
  assert.doesNotThrow(() => compileMatcher({ pattern: 'jury (said', regex: false, caseSensitive: true }));
});

test('the match cap stops the scan and says so', async () => {
  const want = expected((t) => t.includes('the'));
  assert.ok(want.length > 100);
  const { summary, matches, reports } = await collect(jsonl, 'the', { maxMatches: 50 });
  assert.equal(summary.capped, true);
  assert.equal(summary.matchCount, 50);
  assert.deepEqual(matches, want.slice(0, 50));
  assert.equal(reports.at(-1)!.capped, true);
  assert.ok(summary.scanned < rows.length);
});

test('cancel terminates a search stuck in catastrophic backtracking', async () => {
  const stuckRows = [...records(20, 9), { id: 'evil', text: `${'a'.repeat(40)}!`, source: 'test', chars: 41 }];
  const path = join(dir, 'evil.jsonl');
  writeJsonl(path, stuckRows);
  const shard = await openIndexed(path, { cacheDir: join(dir, 'cache') });
  try {
    const abort = new AbortController();
    let scannedBeforeCancel = -1;
    const run = searchShard(shard.source(), { pattern: '^(a+)+$', regex: true, caseSensitive: true }, {
      end: shard.rowCount,
      maxMatches: 10,
      progressIntervalMs: 0,
      signal: abort.signal,
      onProgress: (p) => (scannedBeforeCancel = p.scanned),
    });
    // The worker needs far longer than the test timeout for this row: only terminate ends it.
    setTimeout(() => abort.abort(), 300);
    await assert.rejects(run, CancelledError);
    assert.ok(scannedBeforeCancel < stuckRows.length);
  } finally {
    await shard.close();
  }
});

test('gzipped JSONL and Arrow shards are searched with the same row numbers', async () => {
  const arrowRows = records(900, 21);
  const want = arrowRows.flatMap((r, i) => (/\bwar\b/i.test(r.text) ? [i] : []));
  assert.ok(want.length > 0);
  writeArrow(join(dir, 'web.arrow'), arrowRows, 'file', 128);
  writeArrow(join(dir, 'web.arrows'), arrowRows, 'stream', 128);
  writeJsonl(join(dir, 'plain.jsonl'), arrowRows, new Map([[3, MALFORMED[1]]]));
  writeGzip(join(dir, 'web.jsonl.gz'), join(dir, 'plain.jsonl'));
  for (const name of ['web.arrow', 'web.arrows', 'web.jsonl.gz']) {
    const shard = await openIndexed(join(dir, name), { cacheDir: join(dir, 'cache') });
    try {
      const { matches, summary } = await collect(shard, '\\bwar\\b', { regex: true, caseSensitive: false });
      assert.deepEqual(matches, want, name);
      assert.equal(summary.scanned, arrowRows.length, name);
    } finally {
      await shard.close();
    }
  }
});
