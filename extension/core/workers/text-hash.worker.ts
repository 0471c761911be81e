import { serveWorker } from '../run/serve-worker';
import { scanTexts } from '../shard/open';
import { hashTexts, type HashProgress, type TextHashRequest } from '../store/text-hash';

serveWorker<TextHashRequest, HashProgress, BigUint64Array>(
  ({ source, start, end }, emit) =>
    hashTexts(scanTexts(source, { start, end }), start, end, { onProgress: emit, file: source.path }),
  (values) => [values.buffer as ArrayBuffer],
);
