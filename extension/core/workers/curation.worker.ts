import { serveWorker } from '../run/serve-worker';
import { serveCurationRequest, type CurationRequest } from '../curation/compute';

// One job per thread: the transfer list of its result is known once the job has run.
let transfer: ArrayBuffer[] = [];
serveWorker<CurationRequest, never, unknown>(
  (request) => {
    const served = serveCurationRequest(request);
    transfer = served.transfer;
    return served.result;
  },
  () => transfer,
);
