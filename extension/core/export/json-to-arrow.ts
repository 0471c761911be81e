/**
 * JSONL rows as Arrow record batches. The schema is inferred from the rows that go into the file
 * (a first pass over them), one column per key in first-seen order, every column nullable:
 * - only strings -> Utf8; only booleans -> Bool;
 * - only numbers, all safe integers (|n| <= 2^53 - 1) -> Int64; any fraction or larger number -> Float64;
 * - objects, arrays, or a mix of kinds -> Utf8 holding each value's JSON text (strings too, so
 *   every cell parses back with json.loads); these columns are listed in the schema metadata
 *   under JSON_TEXT_COLUMNS_KEY;
 * - only nulls (or a key never present) -> Null.
 * A key missing from a row is null in that row.
 */
import {
  Bool, Field, Float64, Int64, makeData, Null, RecordBatch, Schema, Struct, Utf8, vectorFromArray, type Data,
} from 'apache-arrow';
import type { JsonObject } from '../shard/jsonl-lines';
import type { JsonValue } from '../shard/types';
import type { RowExtras } from './row-extras';

export const JSON_TEXT_COLUMNS_KEY = 'shard_curator.json_text_columns';

const STRING = 1;
const INTEGER = 2;
const FRACTION = 4;
const BOOLEAN = 8;
const OTHER = 16;

type ColumnKind = 'null' | 'utf8' | 'int64' | 'float64' | 'bool' | 'json';

function kindOf(mask: number): ColumnKind {
  if (mask === 0) return 'null';
  if (mask === STRING) return 'utf8';
  if (mask === BOOLEAN) return 'bool';
  if (mask === INTEGER) return 'int64';
  if ((mask & ~(INTEGER | FRACTION)) === 0) return 'float64';
  return 'json';
}

/** The kinds of value seen per key, over the rows added. */
export class JsonColumnKinds {
  private readonly masks = new Map<string, number>();

  add(row: JsonObject): void {
    for (const key in row) {
      const value = row[key];
      let bit = 0;
      switch (typeof value) {
        case 'string': bit = STRING; break;
        case 'boolean': bit = BOOLEAN; break;
        case 'number': bit = Number.isSafeInteger(value) ? INTEGER : FRACTION; break;
        case 'object': bit = value === null ? 0 : OTHER; break;
      }
      const seen = this.masks.get(key);
      if (seen === undefined || (seen | bit) !== seen) this.masks.set(key, (seen ?? 0) | bit);
    }
  }

  columns(): Array<{ name: string; kind: ColumnKind }> {
    return [...this.masks].map(([name, mask]) => ({ name, kind: kindOf(mask) }));
  }
}

const ARROW_TYPES = { null: () => new Null(), utf8: () => new Utf8(), json: () => new Utf8(), int64: () => new Int64(), float64: () => new Float64(), bool: () => new Bool() };

/** Collects rows and turns them into record batches of the inferred schema plus the extra columns. */
export class JsonBatchBuilder {
  readonly schema: Schema;
  private rows: JsonObject[] = [];
  private shardRows: number[] = [];
  private bytes = 0;

  constructor(
    private readonly columns: Array<{ name: string; kind: ColumnKind }>,
    private readonly extras: RowExtras,
    private readonly limits = { rows: 16384, bytes: 8 << 20 },
  ) {
    const json = columns.filter((c) => c.kind === 'json').map((c) => c.name);
    this.schema = new Schema(
      [...columns.map((c) => new Field(c.name, ARROW_TYPES[c.kind](), true)), ...extras.fields()],
      json.length > 0 ? new Map([[JSON_TEXT_COLUMNS_KEY, JSON.stringify(json)]]) : undefined,
    );
  }

  /** `bytes`: the row's size in the source, to bound the memory a batch holds. */
  add(row: JsonObject, shardRow: number, bytes: number): void {
    this.rows.push(row);
    this.shardRows.push(shardRow);
    this.bytes += bytes;
  }

  get full(): boolean {
    return this.rows.length >= this.limits.rows || this.bytes >= this.limits.bytes;
  }

  /** The collected rows as one record batch (undefined when none), and a fresh start. */
  take(): RecordBatch | undefined {
    const rows = this.rows;
    if (rows.length === 0) return undefined;
    const children = this.columns.map(({ name, kind }) => columnData(kind, rows.map((row) => row[name])));
    children.push(...this.extras.columns(this.shardRows));
    const batch = new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: rows.length, nullCount: 0, children }));
    this.rows = [];
    this.shardRows = [];
    this.bytes = 0;
    return batch;
  }
}

function validity(values: Array<JsonValue | undefined>): { bitmap: Uint8Array | null; nulls: number } {
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  values.forEach((value, i) => {
    if (value === null || value === undefined) nulls++;
    else bitmap[i >> 3] |= 1 << (i & 7);
  });
  return { bitmap: nulls > 0 ? bitmap : null, nulls };
}

function columnData(kind: ColumnKind, values: Array<JsonValue | undefined>): Data {
  const length = values.length;
  switch (kind) {
    case 'null':
      return makeData({ type: new Null(), length });
    case 'utf8':
      return vectorFromArray(values.map((v) => (v === undefined ? null : v as string | null)), new Utf8()).data[0];
    case 'json':
      return vectorFromArray(values.map((v) => (v === undefined || v === null ? null : JSON.stringify(v))), new Utf8()).data[0];
    case 'bool':
      return vectorFromArray(values.map((v) => (v === undefined ? null : v as boolean | null)), new Bool()).data[0];
    case 'int64': {
      const { bitmap, nulls } = validity(values);
      const data = new BigInt64Array(length);
      values.forEach((v, i) => { if (typeof v === 'number') data[i] = BigInt(v); });
      return makeData({ type: new Int64(), length, nullCount: nulls, nullBitmap: bitmap, data });
    }
    case 'float64': {
      const { bitmap, nulls } = validity(values);
      const data = new Float64Array(length);
      values.forEach((v, i) => { if (typeof v === 'number') data[i] = v; });
      return makeData({ type: new Float64(), length, nullCount: nulls, nullBitmap: bitmap, data });
    }
  }
}
