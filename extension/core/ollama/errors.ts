import { CancelledError, UserError, isCancelled } from '../errors';

/**
 * What went wrong talking to Ollama, in the terms that decide what to do next:
 * retry (busy, server, dropped, timeout, refused while running), stop the run (the model or server
 * cannot do the job at all), or give up on one row (bad-request, http after retries).
 */
export type OllamaFailureKind =
  | 'refused' // nothing listens at the host
  | 'unresolved' // the host name does not resolve
  | 'dropped' // the connection was reset / closed mid-request
  | 'timeout' // no response headers in time
  | 'busy' // 503 / 429: queue full
  | 'server' // 500 and other 5xx
  | 'model-missing' // 404 model 'x' not found
  | 'not-chat' // 400 "x" does not support chat/generate: an embedding model
  | 'unauthorized' // 401 / 403
  | 'no-logprobs' // the answer had no log-probabilities (old server, cloud model)
  | 'bad-response' // a 200 whose body is not what the API documents
  | 'bad-request' // other 400s
  | 'http'; // any other status

const RETRYABLE: ReadonlySet<OllamaFailureKind> = new Set(['refused', 'dropped', 'timeout', 'busy', 'server']);

/** Failures that no retry and no other row will fix: a scoring run stops on them. */
export const RUN_STOPPING: ReadonlySet<OllamaFailureKind> = new Set(['refused', 'unresolved', 'model-missing', 'not-chat', 'unauthorized', 'no-logprobs']);

export class OllamaError extends UserError {
  override name = 'OllamaError';
  constructor(
    readonly kind: OllamaFailureKind,
    message: string,
    readonly host: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ClassifiedFailure {
  kind: OllamaFailureKind;
  status?: number;
  /** Ollama's own words (the `error` field) or the network error's. */
  detail: string;
}

/** The error code (ECONNREFUSED, UND_ERR_SOCKET, ...) anywhere in an error's cause chain. */
export function networkCode(err: unknown): string | undefined {
  for (let e: any = err, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

function causeMessage(err: unknown): string {
  let e: any = err;
  while (e?.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(err);
}

/** ollama-js throws `ResponseError` (not exported) for non-2xx answers: recognised by name and status_code. */
export function classifyError(err: unknown): ClassifiedFailure {
  if (err instanceof OllamaError) return { kind: err.kind, status: err.status, detail: err.message };
  const e = err as { name?: string; status_code?: unknown; error?: unknown; message?: string };
  if (e?.name === 'ResponseError' && typeof e.status_code === 'number') {
    const status = e.status_code;
    const detail = typeof e.error === 'string' ? e.error : String(e.message);
    if (status === 404 && /model .* not found/i.test(detail)) return { kind: 'model-missing', status, detail };
    if (status === 400 && /does not support (chat|generate)/.test(detail)) return { kind: 'not-chat', status, detail };
    if (status === 503 || status === 429) return { kind: 'busy', status, detail };
    if (status === 401 || status === 403) return { kind: 'unauthorized', status, detail };
    if (status === 400) return { kind: 'bad-request', status, detail };
    if (status >= 500) return { kind: 'server', status, detail };
    return { kind: 'http', status, detail };
  }
  const code = networkCode(err);
  const detail = causeMessage(err);
  if (code === 'ECONNREFUSED') return { kind: 'refused', detail };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'unresolved', detail };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') return { kind: 'timeout', detail };
  if (code !== undefined || (err instanceof TypeError && /fetch failed|terminated/.test(err.message))) return { kind: 'dropped', detail };
  // A truncated body that still parsed as far as JSON.parse could go, or a non-JSON 200.
  if (err instanceof SyntaxError) return { kind: 'bad-response', detail: err.message };
  return { kind: 'http', detail };
}

export function isRetryable(kind: OllamaFailureKind, retryRefused: boolean): boolean {
  return RETRYABLE.has(kind) && (kind !== 'refused' || retryRefused);
}

/** The message the user reads: what happened, where, and what to do about it. */
export function describeFailure(failure: ClassifiedFailure, host: string, model: string | undefined, attempts: number): string {
  const tries = attempts > 1 ? ` (after ${attempts} attempts)` : '';
  const { detail, status } = failure;
  switch (failure.kind) {
    case 'refused':
      return `Cannot reach Ollama at ${host}: connection refused${tries}. Start it with \`ollama serve\`, or check the host address and port.`;
    case 'unresolved':
      return `Cannot reach Ollama at ${host}: the host name does not resolve (${detail}). Check the host address.`;
    case 'dropped':
      return `Ollama at ${host} closed the connection mid-request${tries} (${detail}); it may have crashed or restarted: check its log.`;
    case 'timeout':
      return `Ollama at ${host} did not answer in time${tries} (${detail}); a model may be loading or the request is too large: try again or send smaller batches.`;
    case 'busy':
      return `Ollama at ${host} is busy: ${detail}${tries}. Lower the concurrency, or raise OLLAMA_MAX_QUEUE / OLLAMA_NUM_PARALLEL on the server.`;
    case 'server':
      return `Ollama at ${host} failed: ${detail} (HTTP ${status})${tries}. Check the Ollama server log.`;
    case 'model-missing':
      return `Model "${model}" is not installed on Ollama at ${host}. Install it with \`ollama pull ${model}\`.`;
    case 'not-chat':
      return `Model "${model}" on ${host} cannot generate text (Ollama: ${detail}): it is an embedding model. Pick a chat model as the Ask-LLM judge, e.g. qwen2.5:1.5b.`;
    case 'unauthorized':
      return `Ollama at ${host} refused access (HTTP ${status}: ${detail}). Check the host address and any proxy credentials.`;
    case 'bad-request':
      return `Ollama at ${host} rejected the request: ${detail} (HTTP 400).`;
    case 'no-logprobs':
    case 'bad-response':
      return detail;
    default:
      return `Ollama at ${host} answered${status ? ` HTTP ${status}` : ''}: ${detail}${tries}.`;
  }
}

/** Turns anything thrown by an Ollama call into an OllamaError (or CancelledError when aborted). */
export function toOllamaError(err: unknown, host: string, model: string | undefined, attempts: number): OllamaError | CancelledError {
  if (isCancelled(err)) return err instanceof CancelledError ? err : new CancelledError();
  if (err instanceof OllamaError) return err;
  const failure = classifyError(err);
  return new OllamaError(failure.kind, describeFailure(failure, host, model, attempts), host, failure.status, { cause: err });
}
