/**
 * The one interface every shard format implements. Rows are the valid records of the shard,
 * counted from 0 in file order; malformed JSONL lines are not rows.
 */

export type ShardFormat = 'jsonl' | 'jsonl.gz' | 'arrow-file' | 'arrow-stream';

/** A JSON-safe value: what a row's fields are converted to before they leave the reader. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Column {
  name: string;
  /**
   * Arrow: the Arrow type as Arrow prints it (`Utf8`, `LargeUtf8`, `Int64`, `Float64`, `Bool`,
   * `Dictionary<Int32, Utf8>`, `List<Utf8>`, `Struct<{...}>`, ...).
   * JSONL: the JSON type(s) seen in that key: `string`, `number`, `boolean`, `object`, `array`, `null`,
   * joined with `|` when mixed (e.g. `string|null`).
   */
  type: string;
}

export interface MalformedLine {
  /** 1-based line number in the (decompressed) file. */
  line: number;
  /** The parser's message, e.g. `Unexpected token } in JSON at position 17`, or `not a JSON object (array)`. */
  error: string;
}

export interface MalformedReport {
  count: number;
  /** The first ones, in line order (capped at MAX_MALFORMED_EXAMPLES). */
  examples: MalformedLine[];
}

export const MAX_MALFORMED_EXAMPLES = 1000;

export interface Row {
  row: number;
  /** The text field's value: a string as is, missing/null as '', anything else as JSON. */
  text: string;
  /** Every column of the row, JSON-safe (bigint -> number when safe, else string; binary -> base64). */
  fields: Record<string, JsonValue>;
}

export interface TextItem {
  row: number;
  text: string;
}

/** A streaming pass over rows [start, end) (defaults: all rows), stopped by `signal`. */
export type ScanOptions = { start?: number; end?: number; signal?: AbortSignal };

export interface IndexProgress {
  bytesDone: number;
  bytesTotal: number;
  rows: number;
}

/** What a worker thread needs to read the same shard with the same row numbering (structured-clone safe). */
export interface ShardSource {
  path: string;
  format: ShardFormat;
  textField: string | undefined;
  /** Gzipped JSONL: the decompressed cache file actually read. */
  dataPath?: string;
}

export interface Shard {
  readonly path: string;
  readonly format: ShardFormat;
  /** Size of the file on disk (compressed size for .gz). */
  readonly bytes: number;
  /** Valid rows known so far; final once `indexed` resolves. */
  readonly rowCount: number;
  readonly columns: Column[];
  /** Undefined only when the shard has no string column and none was asked for. */
  readonly textField: string | undefined;
  readonly malformed: MalformedReport;
  /** Resolves when the row index is complete (immediately for Arrow); rejects like open does. */
  readonly indexed: Promise<void>;

  /** Rows [start, start+count) clipped to the rows known so far. */
  readRows(start: number, count: number): Promise<Row[]>;
  /** A streaming pass over texts in row order, [start, end) (defaults: all rows). Memory stays bounded. */
  texts(options?: { start?: number; end?: number; signal?: AbortSignal }): AsyncIterable<TextItem>;
  /** Switch the text field (must be a column name). */
  setTextField(name: string): void;
  source(): ShardSource;
  /**
   * The text hash and length of every row for the current text field, when they were gathered in
   * the pass that built the row index (JSONL); undefined when a separate pass must compute them.
   */
  textFacts?(): TextFacts | undefined;
  close(): Promise<void>;
}

/** Per row: the text hash (see store/text-hash.ts) and the text's length in UTF-16 code units. */
export interface TextFacts {
  hashes: BigUint64Array;
  lengths: Uint32Array;
}

export interface OpenOptions {
  /** Use this column as the text field instead of detecting it. */
  textField?: string;
  /** Use this column as the text field when the shard has it; detect it otherwise (a setting, not an error). */
  preferTextField?: string;
  signal?: AbortSignal;
  onProgress?: (progress: IndexProgress) => void;
  /** Where gzipped shards are decompressed for random access (default: a folder under os.tmpdir()). */
  cacheDir?: string;
  /**
   * Gather each row's text hash and length while indexing a JSONL shard (default true): the
   * annotations need them, and one pass costs far less than a second read and parse of the file.
   */
  textFacts?: boolean;
}
