import { serveWorker } from '../run/serve-worker';
import { scanTexts } from '../shard/open';
import type { TextFacts } from '../shard/types';
import type { HashProgress } from '../store/text-hash';
import { gatherRowFacts, type RowFactsRequest } from '../curation/row-facts';

serveWorker<RowFactsRequest, HashProgress, TextFacts>(
  ({ source, rowCount }, emit) => gatherRowFacts(scanTexts(source, { start: 0, end: rowCount }), rowCount, source.path, emit),
  ({ hashes, lengths }) => [hashes.buffer as ArrayBuffer, lengths.buffer as ArrayBuffer],
);
