/**
 * The `shardCurator.*` settings, read and checked in one place. No `vscode` import: the host hands
 * in a reader over its configuration, tests a plain object. A bad value is a UserError naming the
 * setting and what to write instead; it never falls back silently to something the user did not ask for.
 */
import { UserError } from '../core/errors';
import { validateTemplate } from '../core/askllm/prompt';
import { parseHosts } from '../core/ollama/client';
import type { DensityEmbedderChoice } from '../core/curation';

export interface SettingsReader {
  /** The effective value of `shardCurator.<key>` (user, remote, workspace, folder: VS Code merges by scope). */
  get(key: string): unknown;
  /**
   * The value from user (or remote) settings only, else the default. Used for the machine-scoped
   * settings: a workspace's .vscode/settings.json must not point our requests or files elsewhere,
   * whatever VS Code version applies the scope.
   */
  userValue(key: string): unknown;
}

export const DEFAULT_JUDGE_MODEL = 'qwen2.5:1.5b';
export const MAX_CONCURRENCY = 64;

export interface AskLlmSettings {
  hosts: string[];
  model: string;
  /** Undefined: the paper's template. */
  promptTemplate: string | undefined;
  concurrency: number;
  /** Undefined: fit the text to the model's context. */
  maxChars: number | undefined;
}

export interface DensitySettings {
  hosts: string[];
  /** Undefined: not chosen yet (the command asks). */
  embedder: DensityEmbedderChoice | undefined;
  sketch: { rows?: number; buckets?: number; hashesPerRow?: number };
}

function text(reader: SettingsReader, key: string): string {
  const value = reader.get(key);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new UserError(`Setting shardCurator.${key} must be a string (it is ${JSON.stringify(value)}).`);
  return value;
}

function wholeNumber(reader: SettingsReader, key: string, min: number, max: number, fallback: number | undefined): number | undefined {
  const value = reader.get(key);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UserError(`Setting shardCurator.${key} must be a whole number from ${min} to ${max} (it is ${JSON.stringify(value)}).`);
  }
  return value;
}

/** The Ollama servers, from user / remote settings only (scope `machine`). */
export function ollamaHosts(reader: SettingsReader): string[] {
  const value = reader.userValue('ollama.hosts');
  if (value === undefined || value === null) return parseHosts(undefined);
  if (!Array.isArray(value) || !value.every((h) => typeof h === 'string')) {
    throw new UserError(`Setting shardCurator.ollama.hosts must be a list of URLs such as ["http://127.0.0.1:11434"] (it is ${JSON.stringify(value)}).`);
  }
  try {
    return parseHosts(value as string[]);
  } catch (err) {
    throw new UserError(`Setting shardCurator.ollama.hosts has an entry that is not a host URL (${(err as Error).message}); write URLs such as "http://127.0.0.1:11434".`, { cause: err });
  }
}

export function judgeModel(reader: SettingsReader): string {
  return text(reader, 'askLlm.model').trim();
}

export function askLlmSettings(reader: SettingsReader): AskLlmSettings {
  const model = judgeModel(reader);
  if (model === '') throw new UserError(`Setting shardCurator.askLlm.model is empty: run "Shard Curator: Select Ollama Model" or name a chat model, e.g. ${DEFAULT_JUDGE_MODEL}.`);
  const template = text(reader, 'askLlm.promptTemplate');
  if (template.trim() !== '') {
    try {
      validateTemplate(template);
    } catch (err) {
      throw new UserError(`Setting shardCurator.askLlm.promptTemplate: ${(err as Error).message}`, { cause: err });
    }
  }
  const maxChars = wholeNumber(reader, 'askLlm.maxChars', 0, 100_000_000, 0);
  return {
    hosts: ollamaHosts(reader),
    model,
    promptTemplate: template.trim() === '' ? undefined : template,
    concurrency: wholeNumber(reader, 'askLlm.concurrency', 1, MAX_CONCURRENCY, 4)!,
    maxChars: maxChars === 0 ? undefined : maxChars,
  };
}

/** `builtin` or `ollama:<model>`; undefined for "" (ask). */
export function parseEmbedderChoice(value: string): DensityEmbedderChoice | undefined {
  const choice = value.trim();
  if (choice === '') return undefined;
  if (choice === 'builtin') return 'builtin';
  if (/^ollama:\S+$/.test(choice)) return choice as DensityEmbedderChoice;
  throw new UserError(`Setting shardCurator.density.embedder must be "builtin", "ollama:<model>" (e.g. "ollama:nomic-embed-text") or empty to be asked (it is "${choice}").`);
}

export function densitySettings(reader: SettingsReader): DensitySettings {
  const rows = wholeNumber(reader, 'density.sketchRows', 1, 100_000, undefined);
  const buckets = wholeNumber(reader, 'density.buckets', 2, 2 ** 26, undefined);
  const hashesPerRow = wholeNumber(reader, 'density.hashesPerRow', 1, 32, undefined);
  return {
    hosts: ollamaHosts(reader),
    embedder: parseEmbedderChoice(text(reader, 'density.embedder')),
    sketch: {
      ...(rows !== undefined ? { rows } : {}),
      ...(buckets !== undefined ? { buckets } : {}),
      ...(hashesPerRow !== undefined ? { hashesPerRow } : {}),
    },
  };
}

/** Folder for annotation stores (user / remote settings only: it names a path on this machine); undefined = next to the shard. */
export function storeDirectory(reader: SettingsReader): string | undefined {
  const value = reader.userValue('storeDirectory');
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new UserError(`Setting shardCurator.storeDirectory must be a folder path (it is ${JSON.stringify(value)}).`);
  return value.trim() === '' ? undefined : value.trim();
}
