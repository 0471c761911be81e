import { parentPort, workerData } from 'node:worker_threads';

/**
 * The worker side of runWorker: runs `handler` on the request passed as workerData, streams
 * events back with `emit`, and posts the result or the error. Import only from *.worker.ts files.
 */
export function serveWorker<TRequest, TEvent, TResult>(
  handler: (request: TRequest, emit: (event: TEvent, transfer?: Transferable[]) => void) => Promise<TResult> | TResult,
  resultTransfer?: (result: TResult) => Transferable[],
): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorker must run inside a worker thread');
  const emit = (event: TEvent, transfer?: Transferable[]) => port.postMessage({ kind: 'event', event }, transfer as never);
  Promise.resolve()
    .then(() => handler(workerData as TRequest, emit))
    .then(
      (result) => port.postMessage({ kind: 'result', result }, (resultTransfer?.(result) ?? []) as never),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        port.postMessage({ kind: 'error', name: e.name, message: e.message, stack: e.stack });
      },
    );
}
