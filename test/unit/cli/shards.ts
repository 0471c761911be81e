/**
 * Small shards of real text (Brown corpus / nlp-corpus documents) for the CLI, router and search
 * tests, in every format the readers take, plus the facts the tests check them against.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { RecordBatch, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { realDocuments, type CorpusDocument } from '../../fixtures/corpus';

export interface ShardRecord {
  id: string;
  text: string;
  source: string;
  chars: number;
}

export interface JsonlFixture {
  path: string;
  /** The valid rows in row order. */
  rows: ShardRecord[];
  /** 1-based line numbers of the malformed lines. */
  malformedLines: number[];
  bytes: number;
}

/** A fresh folder under test/.tmp/<area>/, removed by the returned cleanup. */
export function tempDir(area: string): { dir: string; cleanup: () => void } {
  const dir = resolve(__dirname, '..', '..', '.tmp', area, `${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function records(count: number, seed = 3): ShardRecord[] {
  return realDocuments(count, seed).map((d: CorpusDocument) => ({ id: d.id, text: d.text, source: d.source, chars: d.text.length }));
}

/** Broken lines of the kinds real crawls contain: cut off mid-record, a bare array, a trailing comma. */
export const MALFORMED = ['{"id": "cut-1", "text": "The jury said it did not', '[1, 2, 3]', '{"id": "x", "text": "ok",}'];

/**
 * Writes `rows` as JSONL; `malformedAfter` maps a row index to a broken line written right after it.
 */
export function writeJsonl(path: string, rows: ShardRecord[], malformedAfter: Map<number, string> = new Map()): JsonlFixture {
  const lines: string[] = [];
  const malformedLines: number[] = [];
  rows.forEach((r, i) => {
    lines.push(JSON.stringify(r));
    const bad = malformedAfter.get(i);
    if (bad !== undefined) {
      lines.push(bad);
      malformedLines.push(lines.length);
    }
  });
  const content = lines.join('\n') + '\n';
  writeFileSync(path, content);
  return { path, rows, malformedLines, bytes: Buffer.byteLength(content) };
}

/** Gzips a file (as C4 and Dolma ship JSONL); returns the compressed size. */
export function writeGzip(path: string, from: string): number {
  const compressed = gzipSync(readFileSync(from));
  writeFileSync(path, compressed);
  return compressed.byteLength;
}

/**
 * The rows as an Arrow IPC file or stream: `id` and `text` Utf8 (as Hugging Face datasets writes
 * them), `source` dictionary-encoded, `chars` Int32, in record batches of `batchRows` rows.
 */
export function writeArrow(path: string, rows: ShardRecord[], format: 'file' | 'stream', batchRows = 100): number {
  const table = new Table({
    id: vectorFromArray(rows.map((r) => r.id), new Utf8()),
    text: vectorFromArray(rows.map((r) => r.text), new Utf8()),
    source: vectorFromArray(rows.map((r) => r.source)),
    chars: vectorFromArray(Int32Array.from(rows.map((r) => r.chars))),
  });
  const batches: RecordBatch[] = [];
  for (let s = 0; s < table.numRows; s += batchRows) batches.push(...table.slice(s, s + batchRows).batches);
  const bytes = tableToIPC(new Table(batches), format);
  writeFileSync(path, bytes);
  return bytes.byteLength;
}
