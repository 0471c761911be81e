import { runWorker } from '../run/workers';
import type { ShardSource } from '../shard/types';
import { compileMatcher, type TextQuery } from './query';

/** What the search worker is asked to do (structured-clone safe). */
export interface SearchRequest {
  source: ShardSource;
  query: TextQuery;
  /** Rows [start, end) are scanned. */
  start: number;
  end: number;
  maxMatches: number;
  /** Minimum time between two progress events. */
  progressIntervalMs: number;
}

/** A worker event: rows scanned so far and the matches found since the previous event. */
export interface SearchBatch {
  scanned: number;
  matches: number[];
}

export interface SearchSummary {
  scanned: number;
  matchCount: number;
  /** True when the search stopped at maxMatches before the end of the shard. */
  capped: boolean;
  /** Matches found after the last event (the worker's final batch). */
  matches: number[];
}

export interface SearchProgress {
  scanned: number;
  total: number;
  /** New matching rows since the previous progress report, ascending. */
  matches: number[];
  done: boolean;
  /** On the last report: the search stopped at maxMatches before the end. */
  capped?: boolean;
}

export interface SearchOptions {
  /** Rows [start, end) are scanned; end is normally the shard's row count. */
  start?: number;
  end: number;
  maxMatches: number;
  signal?: AbortSignal;
  onProgress?: (progress: SearchProgress) => void;
  progressIntervalMs?: number;
}

/**
 * Searches the text field of rows [start, end) in a worker thread. Matches stream through onProgress
 * (about 10 reports a second); the last report has `done: true`. The query is compiled here first so
 * a bad regex fails fast with a UserError; aborting the signal terminates the worker at once, which
 * also ends a regex stuck in catastrophic backtracking. Rejects with CancelledError when aborted.
 */
export async function searchShard(source: ShardSource, query: TextQuery, options: SearchOptions): Promise<SearchSummary> {
  compileMatcher(query);
  const start = options.start ?? 0;
  const total = Math.max(0, options.end - start);
  const request: SearchRequest = {
    source,
    query,
    start,
    end: options.end,
    maxMatches: options.maxMatches,
    progressIntervalMs: options.progressIntervalMs ?? 100,
  };
  const summary = await runWorker<SearchRequest, SearchBatch, SearchSummary>('search', request, {
    signal: options.signal,
    onEvent: (batch) => options.onProgress?.({ scanned: batch.scanned, total, matches: batch.matches, done: false }),
  });
  options.onProgress?.({ scanned: summary.scanned, total, matches: summary.matches, done: true, capped: summary.capped });
  return summary;
}
