/**
 * Whole-shard search on a ~1 GB shard of real text (the editor's search box runs exactly this, in a
 * worker): a case-insensitive word, a case-sensitive substring and a regex, each against reading
 * the file and JSON.parse-ing every line in the same run, the least any search of the text field
 * must do.
 */
import { statSync } from 'node:fs';
import type { TextQuery } from '../../extension/core/search/query';
import { searchShard } from '../../extension/core/search/search';
import { openShard } from '../../extension/core/shard/open';
import { MAX_SEARCH_MATCHES } from '../../extension/protocol';
import { benchJsonlShard, parseEveryLine, timed, type Bench, type BenchResult } from './lib';

const QUERIES: Array<[string, TextQuery]> = [
  ['a word, any case', { pattern: 'jury', regex: false, caseSensitive: false }],
  ['a substring, exact case', { pattern: 'Fulton County', regex: false, caseSensitive: true }],
  ['a regex', { pattern: '\\b(atomic|nuclear) \\w+', regex: true, caseSensitive: false }],
];

export const bench: Bench = {
  title: 'Search over a ~1 GB shard (worker thread, every row\'s text field)',
  async run(): Promise<BenchResult[]> {
    const path = await benchJsonlShard('index-1g.jsonl', 1e9);
    const mb = statSync(path).size / 1e6;
    const shard = await openShard(path, { textFacts: false });
    await shard.indexed;
    const results: BenchResult[] = [];
    try {
      const baseline = await parseEveryLine(path);
      const baselineRate = mb / (baseline.ms / 1000);
      for (const [label, query] of QUERIES) {
        const { ms, value } = await timed(() => searchShard(shard.source(), query, { end: shard.rowCount, maxMatches: MAX_SEARCH_MATCHES }));
        if (value.scanned !== shard.rowCount) throw new Error(`search scanned ${value.scanned} of ${shard.rowCount} rows`);
        const rate = mb / (ms / 1000);
        results.push({
          name: `${label} (${JSON.stringify(query.pattern)})`, value: rate, unit: 'MB/s',
          baseline: { name: 'read + JSON.parse every line', value: baselineRate, unit: 'MB/s' }, ratio: rate / baselineRate,
          note: `${(ms / 1000).toFixed(1)} s, ${value.matchCount.toLocaleString('en-US')} matching rows of ${shard.rowCount.toLocaleString('en-US')}`,
        });
      }
    } finally {
      await shard.close();
    }
    return results;
  },
};
