/**
 * The columns export adds to a row: the annotations (`withAnnotations`) and, in the dropped-rows
 * file, why the row was dropped. The same values in three shapes: a JSON fragment inserted into a
 * JSONL line's bytes, key/value pairs for rows converted from Arrow, and Arrow columns.
 */
import { Field, Float64, makeData, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { UserError } from '../errors';
import { DECISION, SOURCE } from '../curate/decisions';
import type { JsonValue } from '../shard/types';

export const ANNOTATION_COLUMNS = ['askllm_p_yes', 'density', 'decision', 'decision_source'] as const;
export const DROP_REASON_COLUMN = '_drop_reason';

/** What the export job knows about every row of the shard (structured-clone safe). */
export interface RowFacts {
  /** DECISION.* per row. */
  decision: Uint8Array;
  /** SOURCE.* per row. */
  source: Uint8Array;
  /** Ask-LLM P(yes) per row, NaN = not scored. */
  askllm?: Float64Array;
  /** Density per row, NaN = not computed. */
  density?: Float64Array;
  /**
   * For rows the sampler dropped: 1 + the index of the step that dropped them (0 otherwise), with
   * the steps' canonical texts. Without it the reason says only "sampler".
   */
  dropSteps?: { step: Uint8Array; steps: string[] };
}

export function decisionName(decision: number): 'keep' | 'drop' | null {
  return decision === DECISION.keep ? 'keep' : decision === DECISION.drop ? 'drop' : null;
}

export function sourceName(source: number): 'sampler' | 'override' | null {
  return source === SOURCE.sampler ? 'sampler' : source === SOURCE.override ? 'override' : null;
}

/** Finite numbers as they are; NaN (missing) and infinities as null (JSON has neither). */
export function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

/** The added columns of one output file, and their values per row. */
export class RowExtras {
  readonly names: string[];

  constructor(
    private readonly facts: RowFacts,
    private readonly withAnnotations: boolean,
    private readonly withDropReason: boolean,
  ) {
    this.names = [...(withAnnotations ? ANNOTATION_COLUMNS : []), ...(withDropReason ? [DROP_REASON_COLUMN] : [])];
  }

  get empty(): boolean {
    return this.names.length === 0;
  }

  /** Refuses a row or schema that already has a column of that name: two values would be ambiguous. */
  checkNoClash(file: string, hasColumn: (name: string) => boolean, where: string): void {
    for (const name of this.names) {
      if (hasColumn(name)) {
        throw new UserError(
          `${file}: ${where} already has a "${name}" column, which export would add; ` +
            `export without ${name === DROP_REASON_COLUMN ? 'a dropped-rows file' : 'annotations'}, or rename that column first`);
      }
    }
  }

  dropReason(row: number): string {
    if (this.facts.source[row] === SOURCE.override) return 'manual override';
    const steps = this.facts.dropSteps;
    const step = steps?.step[row] ?? 0;
    return step > 0 && steps ? `sampler: ${steps.steps[step - 1]} (step ${step})` : 'sampler';
  }

  values(row: number): JsonValue[] {
    const out: JsonValue[] = [];
    if (this.withAnnotations) {
      out.push(finiteOrNull(this.facts.askllm?.[row]), finiteOrNull(this.facts.density?.[row]),
        decisionName(this.facts.decision[row]), sourceName(this.facts.source[row]));
    }
    if (this.withDropReason) out.push(this.dropReason(row));
    return out;
  }

  /** `"k1":v1,"k2":v2` for insertion into a JSON object. */
  jsonFragment(row: number): string {
    const values = this.values(row);
    return this.names.map((name, i) => `${JSON.stringify(name)}:${JSON.stringify(values[i])}`).join(',');
  }

  addTo(object: { [key: string]: JsonValue }, row: number): void {
    const values = this.values(row);
    this.names.forEach((name, i) => { object[name] = values[i]; });
  }

  fields(): Field[] {
    return this.names.map((name) => new Field(name, name === 'askllm_p_yes' || name === 'density' ? new Float64() : new Utf8(), true));
  }

  /** The added columns for the given rows (shard row numbers, in output order). */
  columns(rows: ArrayLike<number>): Data[] {
    const out: Data[] = [];
    if (this.withAnnotations) {
      out.push(float64Column(this.facts.askllm, rows), float64Column(this.facts.density, rows));
      out.push(utf8Column(rows, (row) => decisionName(this.facts.decision[row])));
      out.push(utf8Column(rows, (row) => sourceName(this.facts.source[row])));
    }
    if (this.withDropReason) out.push(utf8Column(rows, (row) => this.dropReason(row)));
    return out;
  }
}

/** A Float64 column of `values[rows[i]]`; NaN and infinities become nulls. */
export function float64Column(values: Float64Array | undefined, rows: ArrayLike<number>): Data<Float64> {
  const length = rows.length;
  const data = new Float64Array(length);
  const validity = new Uint8Array((length + 7) >> 3);
  let nullCount = 0;
  for (let i = 0; i < length; i++) {
    const value = values ? values[rows[i]] : NaN;
    if (Number.isFinite(value)) {
      data[i] = value;
      validity[i >> 3] |= 1 << (i & 7);
    } else {
      nullCount++;
    }
  }
  return makeData({ type: new Float64(), length, nullCount, nullBitmap: nullCount > 0 ? validity : null, data });
}

export function utf8Column(rows: ArrayLike<number>, valueOf: (row: number) => string | null): Data<Utf8> {
  return vectorFromArray(Array.from(rows, valueOf), new Utf8()).data[0];
}

/**
 * `line` (a JSON object's bytes, maybe followed by whitespace and a line ending) with `fragment`
 * inserted before its closing brace; every other byte stays as it was.
 */
export function insertBeforeClosingBrace(line: Buffer, fragment: string): Buffer {
  let close = line.length - 1;
  while (close >= 0 && line[close] !== 0x7d) close--;
  if (close < 0) throw new Error('not a JSON object line');
  let before = close - 1;
  while (before >= 0 && (line[before] === 0x20 || line[before] === 0x09 || line[before] === 0x0a || line[before] === 0x0d)) before--;
  const separator = line[before] === 0x7b ? '' : ',';
  return Buffer.concat([line.subarray(0, close), Buffer.from(separator + fragment), line.subarray(close)]);
}
