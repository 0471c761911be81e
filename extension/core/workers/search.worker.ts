import { serveWorker } from '../run/serve-worker';
import { compileMatcher } from '../search/query';
import type { SearchBatch, SearchRequest, SearchSummary } from '../search/search';
import { scanTexts } from '../shard/open';

serveWorker<SearchRequest, SearchBatch, SearchSummary>(async (request, emit) => {
  const matches = compileMatcher(request.query);
  let pending: number[] = [];
  let scanned = 0;
  let matchCount = 0;
  let capped = false;
  let lastEmit = performance.now();
  for await (const item of scanTexts(request.source, { start: request.start, end: request.end })) {
    scanned++;
    if (matches(item.text)) {
      pending.push(item.row);
      if (++matchCount >= request.maxMatches) {
        // Stop only if rows remain: reaching the cap on the last row is a complete search.
        capped = request.start + scanned < request.end;
        break;
      }
    }
    // Checking the clock every row would cost more than the match on short texts.
    if ((scanned & 255) === 0) {
      const now = performance.now();
      if (now - lastEmit >= request.progressIntervalMs) {
        emit({ scanned, matches: pending });
        pending = [];
        lastEmit = now;
      }
    }
  }
  return { scanned, matchCount, capped, matches: pending };
});
