/**
 * The records of the annotation journal (one JSON object per line; docs/annotation-store.md documents each field)
 * and their validation on load. A line that fails validation is reported and skipped, never fatal.
 */
import { TEXT_HASH_PATTERN } from './text-hash';

export const JOURNAL_FORMAT = 'shard-curator-annotations';
export const JOURNAL_VERSION = 1;

/** Plain JSON, as written to the journal. */
export type JsonData = string | number | boolean | null | JsonData[] | { [key: string]: JsonData };

export interface HeaderRecord {
  kind: 'header';
  format: typeof JOURNAL_FORMAT;
  version: number;
  created: string;
  /** The shard the store belongs to, as it was when the store was created (informational). */
  shard: { name: string; path: string; bytes: number };
}

/** A scoring run: written once before its results, so the model digest and prompt text are on record. */
export interface AskllmRunRecord {
  kind: 'askllm-run';
  run: string;
  time: string;
  model: string;
  /** The model's digest as the Ollama server reported it, or null when unknown. */
  modelDigest: string | null;
  promptSha256: string;
  /** The full prompt template, `{text}` marking where the row's text goes. */
  prompt: string;
  /** Generation options and anything else that describes how the run scored (num_ctx, hosts...). */
  options: { [key: string]: JsonData };
}

export interface AskllmRecord {
  kind: 'askllm';
  run: string;
  row: number;
  textHash: string;
  model: string;
  promptSha256: string;
  pYes: number;
  pNo: number;
  /** pYes / (pYes + pNo), or null when both are 0. */
  normalized: number | null;
  /** Neither yes nor no was among the top log-probs of the first answer token. */
  offFormat: boolean;
  /** The row's text was cut to fit the model's context. */
  truncated: boolean;
}

export interface AskllmFailedRecord {
  kind: 'askllm-failed';
  run: string;
  row: number;
  textHash: string;
  model: string;
  promptSha256: string;
  reason: string;
}

/** A density run; its per-row values live in the Arrow IPC side file `file` (see docs/annotation-store.md). */
export interface DensityRecord {
  kind: 'density';
  run: string;
  time: string;
  /** Which embedder produced the embeddings, e.g. `builtin-hashed-256` or `ollama:nomic-embed-text@<digest>`. */
  embedder: string;
  /** Sketch and sampler parameters (R, B, K, bandwidth, seed, ...). */
  params: { [key: string]: JsonData };
  rows: number;
  file: string;
}

export type OverrideDecision = 'keep' | 'drop' | null;

/** Manual decisions for a batch of rows (null clears); rows[i] had text hash textHashes[i]. */
export interface OverrideRecord {
  kind: 'override';
  time: string;
  decision: OverrideDecision;
  rows: number[];
  textHashes: string[];
}

export type JournalRecord = HeaderRecord | AskllmRunRecord | AskllmRecord | AskllmFailedRecord | DensityRecord | OverrideRecord;

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === 'string';
const isRow: Check = (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 32;
const isHash: Check = (v) => typeof v === 'string' && TEXT_HASH_PATTERN.test(v);
const isSha256: Check = (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isProbability: Check = (v) => typeof v === 'number' && v >= 0 && v <= 1;
const isBoolean: Check = (v) => typeof v === 'boolean';
const isObject: Check = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const orNull = (check: Check): Check => (v) => v === null || check(v);

const schemaFields: Record<Exclude<JournalRecord['kind'], 'override'>, Record<string, Check>> = {
  header: { format: (v) => v === JOURNAL_FORMAT, version: isCount, created: isString, shard: isObject },
  'askllm-run': { run: isString, time: isString, model: isString, modelDigest: orNull(isString), promptSha256: isSha256, prompt: isString, options: isObject },
  askllm: {
    run: isString, row: isRow, textHash: isHash, model: isString, promptSha256: isSha256,
    pYes: isProbability, pNo: isProbability, normalized: orNull(isProbability), offFormat: isBoolean, truncated: isBoolean,
  },
  'askllm-failed': { run: isString, row: isRow, textHash: isHash, model: isString, promptSha256: isSha256, reason: isString },
  density: { run: isString, time: isString, embedder: isString, params: isObject, rows: isCount, file: (v) => typeof v === 'string' && /^[\w.-]+$/.test(v) },
};

/** As [field, check] pairs, so loading a million lines does not rebuild them per line. */
const schemas = new Map(Object.entries(schemaFields).map(([kind, fields]) => [kind, Object.entries(fields)]));

/**
 * Checks a parsed line. Returns the record, `undefined` for a kind this version does not know
 * (written by a newer version: skipped quietly), or an error message naming the bad field.
 */
export function validateRecord(value: unknown): JournalRecord | undefined | string {
  if (!isObject(value)) return 'not a JSON object';
  const record = value as { kind?: unknown };
  if (typeof record.kind !== 'string') return 'no "kind" field';
  if (record.kind === 'override') return validateOverride(value as Record<string, unknown>);
  const schema = schemas.get(record.kind);
  if (!schema) return undefined;
  for (const [field, check] of schema) {
    if (!check((value as Record<string, unknown>)[field])) return `${record.kind} record: bad or missing "${field}"`;
  }
  return value as JournalRecord;
}

function validateOverride(value: Record<string, unknown>): OverrideRecord | string {
  const { decision, rows, textHashes } = value;
  if (decision !== 'keep' && decision !== 'drop' && decision !== null) return 'override record: "decision" must be "keep", "drop" or null';
  if (!Array.isArray(rows) || !rows.every(isRow)) return 'override record: "rows" must be an array of row numbers';
  if (!Array.isArray(textHashes) || textHashes.length !== rows.length || !textHashes.every(isHash)) {
    return 'override record: "textHashes" must hold one 16-hex-digit hash per row';
  }
  if (!isString(value.time)) return 'override record: bad or missing "time"';
  return value as unknown as OverrideRecord;
}
