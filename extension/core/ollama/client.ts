import { Ollama } from 'ollama';

/** Ollama returns log-probabilities from this server version on (the Ask-LLM score needs them). */
export const MIN_LOGPROBS_VERSION = '0.12.11';

export const DEFAULT_OLLAMA_HOST = 'http://127.0.0.1:11434';

/**
 * `http://host:port` without a trailing slash, the way the Ollama CLI reads OLLAMA_HOST:
 * `localhost` -> http://localhost:11434, `:11435` -> http://127.0.0.1:11435.
 */
export function normalizeHost(host: string): string {
  let h = host.trim();
  if (h === '') return DEFAULT_OLLAMA_HOST;
  if (h.startsWith(':')) h = `127.0.0.1${h}`;
  const explicit = /^[a-z]+:\/\//i.test(h);
  const url = new URL(explicit ? h : `http://${h}`);
  if (!url.port && !explicit) url.port = '11434';
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/** Hosts from a comma/space separated list (OLLAMA_HOST, a setting, a CLI flag), normalised and de-duplicated. */
export function parseHosts(list: string | string[] | undefined): string[] {
  const parts = (Array.isArray(list) ? list : (list ?? '').split(/[\s,]+/)).filter((h) => h.trim() !== '');
  const hosts = [...new Set(parts.map(normalizeHost))];
  return hosts.length > 0 ? hosts : [DEFAULT_OLLAMA_HOST];
}

/**
 * An ollama-js client for one request. ollama-js passes no AbortSignal to non-streamed requests, so
 * the fetch it calls merges ours in: aborting `signal` aborts the connection, headers or body.
 */
export function ollamaClient(host: string, signal?: AbortSignal): Ollama {
  const abortableFetch: typeof fetch = (input, init) => {
    const merged = signal && init?.signal ? AbortSignal.any([init.signal, signal]) : (signal ?? init?.signal ?? undefined);
    return fetch(input, { ...init, signal: merged });
  };
  return new Ollama({ host, fetch: abortableFetch });
}

/** Numeric comparison of `major.minor.patch` (pre-release suffixes ignored). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => v.replace(/^v/, '').split('-')[0].split('.').map((x) => parseInt(x, 10) || 0);
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Development builds of Ollama report 0.0.0; they are current source, not an old release. */
export function supportsLogprobs(version: string): boolean {
  return version === '0.0.0' || compareVersions(version, MIN_LOGPROBS_VERSION) >= 0;
}

/** `name:tag`, with `:latest` added when no tag is given, as Ollama resolves model names. */
export function fullModelName(name: string): string {
  const lastSegment = name.slice(name.lastIndexOf('/') + 1);
  return lastSegment.includes(':') ? name : `${name}:latest`;
}
