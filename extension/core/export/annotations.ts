/**
 * The annotations-only export: one row per shard row, as an Arrow IPC file that pandas
 * (`pyarrow.ipc.open_file(path).read_pandas()`) and Hugging Face datasets read directly.
 * Columns: row (Int64), text_hash (Utf8, 16 hex digits: the first 64 bits of SHA-256 of the row's
 * text), askllm_p_yes, askllm_p_no, density, ips_weight (Float64), decision, decision_source (Utf8).
 * Missing values are nulls.
 */
import { Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Utf8 } from 'apache-arrow';
import { ArrowFileOut } from './arrow-out';
import { decisionName, float64Column, sourceName, utf8Column } from './row-extras';
import { FileSink, type WrittenFile } from './sink';

/** Per-row annotation values, one entry per shard row; NaN = missing. */
export interface AnnotationColumns {
  askllmPYes?: Float64Array;
  askllmPNo?: Float64Array;
  density?: Float64Array;
  ipsWeight?: Float64Array;
  /** The store's 64-bit text hash per row (written as 16 lowercase hex digits). */
  textHash?: BigUint64Array;
  /** DECISION.* and SOURCE.* per row (undecided rows get nulls). */
  decision?: Uint8Array;
  decisionSource?: Uint8Array;
}

export interface AnnotationsJob {
  kind: 'annotations';
  temp: string;
  name: string;
  rowCount: number;
  columns: AnnotationColumns;
}

export const ANNOTATIONS_SCHEMA = new Schema([
  new Field('row', new Int64(), false),
  new Field('text_hash', new Utf8(), true),
  ...['askllm_p_yes', 'askllm_p_no', 'density', 'ips_weight'].map((name) => new Field(name, new Float64(), true)),
  new Field('decision', new Utf8(), true),
  new Field('decision_source', new Utf8(), true),
]);

const BATCH_ROWS = 65536;

export async function runAnnotationsJob(job: AnnotationsJob, emit: (rowsDone: number) => void): Promise<WrittenFile> {
  const { columns, rowCount } = job;
  const sink = new FileSink(job.temp, false);
  try {
    const out = new ArrowFileOut(sink, ANNOTATIONS_SCHEMA, job.name);
    for (let start = 0; start < rowCount; start += BATCH_ROWS) {
      const length = Math.min(BATCH_ROWS, rowCount - start);
      const rows = new Uint32Array(length);
      const rowValues = new BigInt64Array(length);
      for (let i = 0; i < length; i++) {
        rows[i] = start + i;
        rowValues[i] = BigInt(start + i);
      }
      const { textHash, decision, decisionSource } = columns;
      const children = [
        makeData({ type: new Int64(), length, nullCount: 0, data: rowValues }),
        utf8Column(rows, (row) => (textHash ? textHash[row].toString(16).padStart(16, '0') : null)),
        float64Column(columns.askllmPYes, rows),
        float64Column(columns.askllmPNo, rows),
        float64Column(columns.density, rows),
        float64Column(columns.ipsWeight, rows),
        utf8Column(rows, (row) => (decision ? decisionName(decision[row]) : null)),
        utf8Column(rows, (row) => (decisionSource ? sourceName(decisionSource[row]) : null)),
      ];
      const data = makeData({ type: new Struct(ANNOTATIONS_SCHEMA.fields), length, nullCount: 0, children });
      await out.write(new RecordBatch(ANNOTATIONS_SCHEMA, data));
      emit(start + length);
    }
    return await out.finish();
  } catch (err) {
    await sink.destroy();
    throw err;
  }
}
