import type { Ollama } from 'ollama';
import { CancelledError } from '../errors';
import { ollamaClient } from './client';
import { OllamaError, classifyError, isRetryable, toOllamaError } from './errors';

export interface RetryPolicy {
  /** Tries per request, the first included. */
  attempts: number;
  /** First back-off; it doubles per retry up to maxDelayMs, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Retry "connection refused": yes while a run is going (the server may be restarting, another host
   * may take the request), no for a preflight, where it means "not started" and should say so at once.
   */
  retryRefused: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 250, maxDelayMs: 8000, retryRefused: true };

/** Exponential back-off with "equal jitter": half fixed, half random, so many clients spread out. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return cap / 2 + random() * (cap / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface HostState {
  inFlight: number;
  /** performance.now() until which the host is skipped when another one is up. */
  downUntil: number;
  consecutiveFailures: number;
}

export interface PoolRequestOptions {
  signal?: AbortSignal;
  /** Named in error messages (`ollama pull <model>`). */
  model?: string;
  retry?: Partial<RetryPolicy>;
}

/**
 * Several Ollama servers used as one: each request goes to the host with the fewest requests in
 * flight (round robin among equals), a host that refused or dropped a connection is skipped for a
 * while, and failed requests are retried with back-off on another pick.
 */
export class HostPool {
  readonly hosts: readonly string[];
  private readonly state = new Map<string, HostState>();
  private nextStart = 0;

  constructor(
    hosts: readonly string[],
    private readonly defaults: Partial<RetryPolicy> = {},
    /** How long a failing host is skipped; doubles with consecutive failures (capped at 16x). */
    private readonly downMs = 2000,
  ) {
    if (hosts.length === 0) throw new Error('HostPool needs at least one host');
    this.hosts = [...hosts];
    for (const host of this.hosts) this.state.set(host, { inFlight: 0, downUntil: 0, consecutiveFailures: 0 });
  }

  inFlight(host: string): number {
    return this.state.get(host)?.inFlight ?? 0;
  }

  /** The host for the next request: least in flight among the hosts that are up (all of them if none is). */
  pick(): string {
    const now = performance.now();
    const up = this.hosts.filter((h) => this.state.get(h)!.downUntil <= now);
    const candidates = up.length > 0 ? up : [...this.hosts].sort((a, b) => this.state.get(a)!.downUntil - this.state.get(b)!.downUntil).slice(0, 1);
    const start = this.nextStart++ % candidates.length;
    let best = candidates[start];
    for (let i = 1; i < candidates.length; i++) {
      const host = candidates[(start + i) % candidates.length];
      if (this.state.get(host)!.inFlight < this.state.get(best)!.inFlight) best = host;
    }
    return best;
  }

  private markDown(host: string): void {
    const s = this.state.get(host)!;
    s.consecutiveFailures++;
    s.downUntil = performance.now() + this.downMs * Math.min(16, 2 ** (s.consecutiveFailures - 1));
  }

  /**
   * Runs `call` against a picked host with an abortable client, retrying what a retry can fix.
   * Throws OllamaError with the user-facing message, or CancelledError once `signal` fires.
   */
  async request<T>(call: (client: Ollama, host: string) => Promise<T>, options: PoolRequestOptions = {}): Promise<{ value: T; host: string; attempts: number }> {
    const policy: RetryPolicy = { ...DEFAULT_RETRY, ...this.defaults, ...options.retry };
    const { signal } = options;
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new CancelledError();
      const host = this.pick();
      const s = this.state.get(host)!;
      s.inFlight++;
      try {
        const value = await call(ollamaClient(host, signal), host);
        s.consecutiveFailures = 0;
        s.downUntil = 0;
        return { value, host, attempts: attempt };
      } catch (err) {
        if (signal?.aborted) throw new CancelledError();
        const failure = err instanceof OllamaError ? { kind: err.kind } : classifyError(err);
        if (failure.kind === 'refused' || failure.kind === 'dropped' || failure.kind === 'timeout') this.markDown(host);
        if (attempt >= policy.attempts || !isRetryable(failure.kind, policy.retryRefused)) {
          throw toOllamaError(err, host, options.model, attempt);
        }
      } finally {
        s.inFlight--;
      }
      await sleep(backoffDelay(attempt, policy), signal);
    }
  }
}
