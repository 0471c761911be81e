/**
 * The recipe written beside every curated export (`<output>.recipe.json`): what went in (the shard,
 * its size and SHA-256), how rows were chosen (sampler spec and seed, the Ask-LLM model and full
 * prompt, the embedder and sketch parameters, override counts) and what came out (row counts, the
 * files and their SHA-256): enough to reproduce the file and to check a reproduction.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { version } from '../../../package.json';
import type { ShardFormat } from '../shard/types';
import type { ExportFormat } from './job';
import type { WrittenFile } from './sink';

export const RECIPE_FORMAT = 'shard-curator-recipe';
export const RECIPE_VERSION = 1;

/** What the caller knows about how the decisions were made. */
export interface RecipeInputs {
  textField?: string;
  /** Absent when no sampler ran (every row then has a manual override). */
  sampler?: {
    /** The canonical spec text (formatSamplerSpec). */
    spec: string;
    seed: number;
    /** Rows entering and kept per step, as runSampler reports them. */
    steps?: Array<{ step: string; entering: number; kept: number }>;
  };
  askllm?: {
    model: string;
    /** The model's digest as Ollama reports it (identifies the exact weights). */
    modelDigest?: string;
    promptTemplate: string;
  };
  density?: {
    embedder: string;
    embedderDigest?: string;
    /** The RACE sketch parameters (e.g. hashes, buckets, bandwidth, seed). */
    sketch: Record<string, string | number | boolean>;
  };
}

export interface RecipeFile extends WrittenFile {
  path: string;
  format: ExportFormat;
  gzip: boolean;
  rows: number;
}

export interface Recipe {
  format: typeof RECIPE_FORMAT;
  version: typeof RECIPE_VERSION;
  tool: { name: 'shard-curator'; version: string };
  createdAt: string;
  source: { path: string; format: ShardFormat; bytes: number; sha256: string; mtime: string; textField: string | null };
  rows: { input: number; kept: number; dropped: number; malformedSkipped: number };
  sampler: { spec: string; seed: number; steps: Array<{ step: string; entering: number; kept: number }> | null } | null;
  overrides: { keep: number; drop: number; changingVerdict: number };
  askllm: { model: string; modelDigest: string | null; promptTemplate: string; promptSha256: string } | null;
  density: { embedder: string; embedderDigest: string | null; sketch: Record<string, string | number | boolean> } | null;
  output: RecipeFile & { withAnnotations: boolean };
  dropped: RecipeFile | null;
}

export interface RecipeFacts {
  source: { path: string; format: ShardFormat; bytes: number; sha256: string; mtime: string };
  rows: Recipe['rows'];
  overrides: Recipe['overrides'];
  output: Recipe['output'];
  dropped: RecipeFile | null;
}

export function buildRecipe(inputs: RecipeInputs, facts: RecipeFacts, now = new Date()): Recipe {
  return {
    format: RECIPE_FORMAT,
    version: RECIPE_VERSION,
    tool: { name: 'shard-curator', version },
    createdAt: now.toISOString(),
    source: { ...facts.source, path: resolve(facts.source.path), textField: inputs.textField ?? null },
    rows: facts.rows,
    sampler: inputs.sampler ? { spec: inputs.sampler.spec, seed: inputs.sampler.seed, steps: inputs.sampler.steps ?? null } : null,
    overrides: facts.overrides,
    askllm: inputs.askllm
      ? {
          model: inputs.askllm.model,
          modelDigest: inputs.askllm.modelDigest ?? null,
          promptTemplate: inputs.askllm.promptTemplate,
          promptSha256: createHash('sha256').update(inputs.askllm.promptTemplate).digest('hex'),
        }
      : null,
    density: inputs.density
      ? { embedder: inputs.density.embedder, embedderDigest: inputs.density.embedderDigest ?? null, sketch: inputs.density.sketch }
      : null,
    output: { ...facts.output, path: resolve(facts.output.path) },
    dropped: facts.dropped && { ...facts.dropped, path: resolve(facts.dropped.path) },
  };
}
