import type { Ollama } from 'ollama';
import { UserError } from '../errors';
import { MIN_LOGPROBS_VERSION, fullModelName, supportsLogprobs } from './client';
import { OllamaError } from './errors';
import { HostPool, type RetryPolicy } from './pool';

export type ModelPurpose = 'judge' | 'embed';

/** What one host says about itself and the model, checked before a run starts. */
export interface HostInfo {
  host: string;
  version: string;
  model: string;
  /** The model's digest from /api/tags: identifies the exact weights behind every score. */
  digest: string;
  capabilities: string[];
  /** `<arch>.context_length` from /api/show (undefined when the model does not report it). */
  contextLength?: number;
  /** `<arch>.embedding_length`: the vector size for embedding models. */
  embeddingLength?: number;
}

export interface PreflightOptions {
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
}

function archValue(modelInfo: Record<string, unknown> | undefined, field: string): number | undefined {
  if (!modelInfo) return undefined;
  const arch = modelInfo['general.architecture'];
  const value = typeof arch === 'string' ? modelInfo[`${arch}.${field}`] : undefined;
  if (typeof value === 'number') return value;
  const key = Object.keys(modelInfo).find((k) => k.endsWith(`.${field}`) && typeof modelInfo[k] === 'number');
  return key === undefined ? undefined : (modelInfo[key] as number);
}

async function checkHost(host: string, model: string, purpose: ModelPurpose, options: PreflightOptions): Promise<HostInfo> {
  // One single-host pool per host, so every call here names this host in its error.
  const pool = new HostPool([host], { retryRefused: false, attempts: 3, baseDelayMs: 200, ...options.retry });
  const call = async <T>(fn: (client: Ollama) => Promise<T>): Promise<T> => (await pool.request(fn, { signal: options.signal, model })).value;

  const { version } = await call((client) => client.version());
  if (purpose === 'judge' && !supportsLogprobs(version)) {
    throw new UserError(`Ollama at ${host} is version ${version}, which returns no log-probabilities; Ask-LLM needs Ollama ${MIN_LOGPROBS_VERSION} or newer. Upgrade Ollama (https://ollama.com/download) and try again.`);
  }
  // ollama-js types model_info as a Map; on the wire (and at runtime) it is a plain object.
  const show = (await call((client) => client.show({ model }))) as unknown as { capabilities?: string[]; model_info?: Record<string, unknown>; remote_host?: string };
  const capabilities = show.capabilities ?? [];
  if (purpose === 'judge') {
    if (show.remote_host) {
      throw new UserError(`Model "${model}" on ${host} is a cloud model; Ollama's cloud models return no log-probabilities. Pick a local chat model for Ask-LLM, e.g. qwen2.5:1.5b.`);
    }
    if (!capabilities.includes('completion')) {
      const what = capabilities.includes('embedding') ? 'it is an embedding model' : 'it cannot generate text';
      throw new UserError(`Model "${model}" on ${host} cannot be the Ask-LLM judge: ${what} (capabilities: ${capabilities.join(', ') || 'none'}). Pick a chat model, e.g. qwen2.5:1.5b (\`ollama pull qwen2.5:1.5b\`).`);
    }
  } else if (!capabilities.includes('embedding')) {
    throw new UserError(`Model "${model}" on ${host} is not an embedding model (capabilities: ${capabilities.join(', ') || 'none'}). Pick one such as nomic-embed-text (\`ollama pull nomic-embed-text\`).`);
  }
  const { models } = await call((client) => client.list());
  const wanted = fullModelName(model);
  const listed = models.find((m) => fullModelName(m.name) === wanted || fullModelName(m.model) === wanted);
  if (!listed) {
    throw new OllamaError('model-missing', `Model "${model}" is not installed on Ollama at ${host}. Install it with \`ollama pull ${model}\`.`, host, 404);
  }
  return {
    host, version, model, digest: listed.digest, capabilities,
    contextLength: archValue(show.model_info, 'context_length'),
    embeddingLength: archValue(show.model_info, 'embedding_length'),
  };
}

/**
 * Checks every host before a run: reachable, recent enough, the model installed and able to do
 * `purpose`, and (for several hosts) the same model weights everywhere, so scores are comparable.
 * Throws a UserError naming the host and what to do.
 */
export async function preflight(hosts: readonly string[], model: string, purpose: ModelPurpose, options: PreflightOptions = {}): Promise<HostInfo[]> {
  if (model.trim() === '') throw new UserError(`No ${purpose === 'judge' ? 'Ask-LLM judge' : 'embedding'} model chosen: name an Ollama model, e.g. ${purpose === 'judge' ? 'qwen2.5:1.5b' : 'nomic-embed-text'}.`);
  const settled = await Promise.allSettled(hosts.map((host) => checkHost(host, model, purpose, options)));
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
  if (failures.length > 0) throw failures[0];
  const infos = settled.map((s) => (s as PromiseFulfilledResult<HostInfo>).value);
  const digests = new Set(infos.map((i) => i.digest));
  if (digests.size > 1) {
    const list = infos.map((i) => `${i.host}: ${i.digest.slice(0, 12)}`).join(', ');
    throw new UserError(`The hosts have different versions of "${model}" (${list}); scores from different weights are not comparable. Run \`ollama pull ${model}\` on each host.`);
  }
  return infos;
}
