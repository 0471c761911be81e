import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError } from '../errors';

/**
 * Heavy CPU work runs in worker threads so the extension host's main thread never blocks.
 *
 * A worker is a file `extension/core/workers/<name>.worker.ts` that calls `serveWorker(handler)`.
 * In the bundles (dist/extension.js, dist/cli.js) it is `dist/workers/<name>.worker.js`; from source
 * (tests run through tsx, which worker threads inherit via execArgv) it is the .ts file itself,
 * unless SHARD_CURATOR_WORKER_DIR names a folder of bundled workers: the benchmarks run the shipped
 * worker bundles, not TypeScript compiled at each worker's start.
 */
export function workerScript(name: string): string {
  const override = process.env.SHARD_CURATOR_WORKER_DIR;
  if (override) {
    const script = join(override, `${name}.worker.js`);
    if (!existsSync(script)) throw new Error(`worker script ${script} not found (SHARD_CURATOR_WORKER_DIR); run npm run build`);
    return script;
  }
  const bundled = join(__dirname, 'workers', `${name}.worker.js`);
  if (existsSync(bundled)) return bundled;
  const source = join(__dirname, '..', 'workers', `${name}.worker.ts`);
  if (existsSync(source)) return source;
  throw new Error(`worker script "${name}" not found (looked for ${bundled} and ${source})`);
}

/**
 * A bundled worker needs no TypeScript loader, but worker threads inherit the parent's `--import
 * tsx` (benchmarks run under tsx), which costs each worker ~0.4 s of start-up. In the extension
 * host and the CLI there is nothing to drop.
 */
export function withoutTsx(execArgv: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    if (/^--(import|require|loader)$/.test(execArgv[i]) && /\btsx\b/.test(execArgv[i + 1] ?? '')) i++;
    else if (!/^--(import|require|loader)=.*\btsx\b/.test(execArgv[i])) kept.push(execArgv[i]);
  }
  return kept;
}

type WorkerReply<TEvent, TResult> =
  | { kind: 'event'; event: TEvent }
  | { kind: 'result'; result: TResult }
  | { kind: 'error'; name: string; message: string; stack?: string };

/** Errors cross the thread boundary as plain data; this keeps the user-facing class and message. */
export class WorkerError extends Error {
  constructor(
    readonly originalName: string,
    message: string,
    readonly workerStack?: string,
  ) {
    super(message);
    this.name = originalName;
  }
}

export interface RunWorkerOptions<TEvent> {
  signal?: AbortSignal;
  onEvent?: (event: TEvent) => void;
  transfer?: Transferable[];
}

/** Runs one job in a fresh worker thread; aborting the signal terminates the thread at once. */
export function runWorker<TRequest, TEvent, TResult>(
  name: string,
  request: TRequest,
  options: RunWorkerOptions<TEvent> = {},
): Promise<TResult> {
  const { signal, onEvent, transfer } = options;
  if (signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise<TResult>((resolve, reject) => {
    const script = workerScript(name);
    // From source (tests under tsx) the worker loads tsx itself: Node 20 does not apply `--import tsx` hooks in worker threads.
    const worker = script.endsWith('.ts')
      ? new Worker(`require('tsx/cjs'); require(${JSON.stringify(script)});`, { eval: true, workerData: request, transferList: transfer as never })
      : new Worker(script, { workerData: request, transferList: transfer as never, execArgv: withoutTsx(process.execArgv) });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(new CancelledError()));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (reply: WorkerReply<TEvent, TResult>) => {
      if (reply.kind === 'event') onEvent?.(reply.event);
      else if (reply.kind === 'result') finish(() => resolve(reply.result));
      else finish(() => reject(reviveError(reply)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`worker "${name}" exited with code ${code}`))));
  });
}

function reviveError(reply: { name: string; message: string; stack?: string }): Error {
  if (reply.name === 'CancelledError') return new CancelledError(reply.message);
  return new WorkerError(reply.name, reply.message, reply.stack);
}
