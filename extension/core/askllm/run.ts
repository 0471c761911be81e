import type { ChatRequest } from 'ollama';
import { describeError, isCancelled } from '../errors';
import { OllamaError, RUN_STOPPING } from '../ollama/errors';
import { HostPool, type RetryPolicy } from '../ollama/pool';
import { preflight, type HostInfo } from '../ollama/preflight';
import { RateMeter, type RunProgress } from '../run/progress';
import { DEFAULT_CONTEXT_TOKENS, DEFAULT_PROMPT_TEMPLATE, promptSha256, renderPrompt, textTokenBudget, validateTemplate } from './prompt';
import { scoreFromLogprobs } from './score';

export interface ScoreItem {
  row: number;
  text: string;
  /** The store's fingerprint of the text, carried through so a score is tied to the text it judged. */
  textHash: string;
}

interface ResultBase {
  row: number;
  textHash: string;
  model: string;
  modelDigest: string;
  promptSha256: string;
  /** The text was cut to fit the context (or maxChars) before scoring. */
  truncated: boolean;
  /** Wall time of the request, retries included. */
  ms: number;
}

export interface AskLlmScore extends ResultBase {
  failed: false;
  pYes: number;
  pNo: number;
  normalized: number | null;
  offFormat: boolean;
  host: string;
}

export interface AskLlmFailure extends ResultBase {
  failed: true;
  /** What went wrong, in words for the user (after the retries). */
  reason: string;
  /** The host of the last attempt, when one answered or was tried. */
  host?: string;
}

export type AskLlmResult = AskLlmScore | AskLlmFailure;

export interface ScoreProgress extends RunProgress {
  scored: number;
  failed: number;
}

/** Everything about the judge that is fixed for a run and recorded with its scores. */
export interface JudgeSetup {
  hosts: string[];
  model: string;
  modelDigest: string;
  /** The model reports the `thinking` capability: it gets `think: false` so its first token is the answer. */
  thinking: boolean;
  promptTemplate: string;
  promptSha256: string;
  /** Tokens a prompt may take: min(model context_length over hosts, contextTokens option). */
  contextTokens: number;
}

export interface JudgeOptions {
  hosts: string[];
  model: string;
  /** Default: the paper's template. Must contain `{text}`. */
  promptTemplate?: string;
  /** The server's context per request (OLLAMA_CONTEXT_LENGTH / num_ctx); default 4096, Ollama's default. */
  contextTokens?: number;
  signal?: AbortSignal;
  /** Preflight results to reuse (e.g. the command ran preflight to fail early). */
  hostInfo?: HostInfo[];
}

export interface ScoreOptions extends JudgeOptions {
  /** Requests in flight over all hosts; default 4. */
  concurrency?: number;
  /** Cap on the characters of each text sent (cost control); cut texts are marked truncated. */
  maxChars?: number;
  /** Rows expected, for the progress rate/ETA; optional. */
  total?: number;
  retry?: Partial<RetryPolicy>;
  /** Each result as soon as it arrives; a returned promise is awaited (back-pressure for the store). */
  onResult(result: AskLlmResult): void | Promise<void>;
  onProgress?(progress: ScoreProgress): void;
}

export interface ScoreSummary {
  scored: number;
  failed: number;
  cancelled: boolean;
  ms: number;
  setup: JudgeSetup;
}

/** Preflights the hosts (unless given their info) and fixes the judge for a run. */
export async function prepareJudge(options: JudgeOptions): Promise<JudgeSetup> {
  const template = options.promptTemplate ?? DEFAULT_PROMPT_TEMPLATE;
  validateTemplate(template);
  const infos = options.hostInfo ?? (await preflight(options.hosts, options.model, 'judge', { signal: options.signal }));
  const contextTokens = Math.min(options.contextTokens ?? DEFAULT_CONTEXT_TOKENS, ...infos.map((i) => i.contextLength ?? Infinity));
  textTokenBudget(template, contextTokens); // fails now, not on every row, when the template leaves no room
  return {
    hosts: infos.map((i) => i.host),
    model: options.model,
    modelDigest: infos[0].digest,
    thinking: infos[0].capabilities.includes('thinking'),
    promptTemplate: template,
    promptSha256: promptSha256(template),
    contextTokens,
  };
}

/**
 * The judge request: one user message, one answer token at temperature 0, the top 20 log-probs.
 * The options never vary within a run (changing them would reload the model on the server).
 */
export function judgeRequest(setup: Pick<JudgeSetup, 'model' | 'thinking'>, prompt: string): ChatRequest & { stream: false } {
  return {
    model: setup.model,
    messages: [{ role: 'user', content: prompt }],
    stream: false,
    options: { num_predict: 1, temperature: 0 },
    logprobs: true,
    top_logprobs: 20,
    ...(setup.thinking ? { think: false } : {}),
  };
}

/**
 * Scores rows with the Ask-LLM judge: a bounded number of requests in flight, spread over the hosts,
 * each result handed to `onResult` as it arrives. A row that still fails after retries becomes a
 * failure record and the run goes on; a failure no row can escape (server gone, model missing, no
 * log-probs) stops the run with its UserError. Cancelling aborts the requests in flight at once and
 * resolves with `cancelled: true`; no result is handed over after that.
 */
export async function scoreRows(items: AsyncIterable<ScoreItem> | Iterable<ScoreItem>, options: ScoreOptions): Promise<ScoreSummary> {
  const started = performance.now();
  const setup = await prepareJudge(options);
  const pool = new HostPool(setup.hosts, options.retry);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const meter = new RateMeter(options.total ?? Infinity);
  let scored = 0;
  let failed = 0;
  let lastProgress = 0;
  let stoppedBy: unknown;

  const report = (final: boolean) => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!final && now - lastProgress < 100) return;
    lastProgress = now;
    const progress = meter.update(scored + failed);
    if (options.total === undefined) delete progress.etaSeconds;
    options.onProgress({ ...progress, total: options.total ?? progress.done, scored, failed });
  };

  const scoreOne = async (item: ScoreItem): Promise<AskLlmResult | undefined> => {
    const rendered = renderPrompt(setup.promptTemplate, item.text, { contextTokens: setup.contextTokens, maxChars: options.maxChars });
    const base = { row: item.row, textHash: item.textHash, model: setup.model, modelDigest: setup.modelDigest, promptSha256: setup.promptSha256, truncated: rendered.truncated };
    const t0 = performance.now();
    try {
      const { value, host } = await pool.request(async (client, host) => {
        const response = await client.chat(judgeRequest(setup, rendered.prompt));
        const first = response.logprobs?.[0];
        if (!first) {
          throw new OllamaError('no-logprobs', `Ollama at ${host} answered without log-probabilities, which Ask-LLM needs: the server must be version 0.12.11 or newer and the model a local one (cloud models return none).`, host);
        }
        return first;
      }, { signal, model: setup.model });
      return { ...base, failed: false, ...scoreFromLogprobs(value), host, ms: performance.now() - t0 };
    } catch (err) {
      if (signal.aborted || isCancelled(err)) return undefined;
      if (err instanceof OllamaError && RUN_STOPPING.has(err.kind)) throw err;
      return { ...base, failed: true, reason: describeError(err), host: err instanceof OllamaError ? err.host : undefined, ms: performance.now() - t0 };
    }
  };

  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  // Workers share one iterator; calls to next() are chained so plain async iterables are safe too.
  let pulling: Promise<unknown> = Promise.resolve();
  const pull = (): Promise<IteratorResult<ScoreItem>> => {
    const next = pulling.then(() => iterator.next());
    pulling = next.catch(() => undefined);
    return next;
  };

  const worker = async () => {
    while (!signal.aborted) {
      const next = await pull();
      if (next.done || signal.aborted) return;
      const result = await scoreOne(next.value);
      if (result === undefined || signal.aborted) return;
      await options.onResult(result);
      if (result.failed) failed++;
      else scored++;
      report(false);
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, () =>
      worker().catch((err: unknown) => {
        if (stoppedBy === undefined && !isCancelled(err)) stoppedBy = err;
        stop.abort(); // the others stop too: the run is over
      })));
  } finally {
    await iterator.return?.();
  }
  if (stoppedBy !== undefined) throw stoppedBy;
  report(true);
  return { scored, failed, cancelled: options.signal?.aborted ?? false, ms: performance.now() - started, setup };
}
