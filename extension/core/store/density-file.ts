/**
 * Density results live in one Arrow IPC file per run next to the journal: four columns
 * (row Uint32, textHash Uint64, density Float64, ipsWeight Float64), 28 bytes a row, 28 MB for a
 * 1M-row shard, read back in milliseconds without parsing and readable by pyarrow/polars/duckdb.
 * The same data as JSON Lines would be ~100 MB per run and take seconds to load.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { Table, tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import type { RowTextHashes } from './text-hash';

export interface DensityValues {
  rows: Uint32Array;
  /** The text hash of rows[i] when its density was computed. */
  textHashes: BigUint64Array;
  density: Float64Array;
  ipsWeight: Float64Array;
}

/** Writes the side file atomically: a temp file in the same folder, fsynced, then renamed. */
export function writeDensityFile(path: string, values: DensityValues): void {
  const n = values.rows.length;
  if (values.textHashes.length !== n || values.density.length !== n || values.ipsWeight.length !== n) {
    throw new Error(`density values disagree in length: rows ${n}, textHashes ${values.textHashes.length}, density ${values.density.length}, ipsWeight ${values.ipsWeight.length}`);
  }
  const bytes = tableToIPC(tableFromArrays({ row: values.rows, textHash: values.textHashes, density: values.density, ipsWeight: values.ipsWeight }), 'file');
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx');
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

function column<T>(table: Table, name: string, type: string): T {
  const vector = table.getChild(name);
  if (!vector) throw new Error(`no "${name}" column`);
  if (String(vector.type) !== type) throw new Error(`column "${name}" is ${String(vector.type)}, expected ${type}`);
  return vector.toArray() as T;
}

/** Reads a side file; throws an Error saying what is wrong with it. */
export function readDensityFile(path: string): DensityValues {
  const table = tableFromIPC(readFileSync(path));
  return {
    rows: column<Uint32Array>(table, 'row', 'Uint32'),
    textHashes: column<BigUint64Array>(table, 'textHash', 'Uint64'),
    density: column<Float64Array>(table, 'density', 'Float64'),
    ipsWeight: column<Float64Array>(table, 'ipsWeight', 'Float64'),
  };
}

/** A loaded density run, answering per-row and whole-shard queries with stale rows hidden. */
export class DensityIndex {
  /** Position of each row in the arrays, -1 for rows the run did not cover. */
  private readonly position: Int32Array;
  private readonly words: Uint32Array;

  constructor(readonly values: DensityValues) {
    let maxRow = -1;
    for (const row of values.rows) if (row > maxRow) maxRow = row;
    this.position = new Int32Array(maxRow + 1).fill(-1);
    values.rows.forEach((row, i) => (this.position[row] = i));
    this.words = new Uint32Array(values.textHashes.buffer, values.textHashes.byteOffset, values.textHashes.length * 2);
  }

  at(row: number, current: RowTextHashes): { density: number; ipsWeight: number } | undefined {
    const i = row < this.position.length ? this.position[row] : -1;
    if (i < 0 || !current.matches(row, this.words, i)) return undefined;
    return { density: this.values.density[i], ipsWeight: this.values.ipsWeight[i] };
  }

  /** Density and IPS weight per current row, NaN where the run has no value for the row's current text. */
  all(current: RowTextHashes): { density: Float64Array; ipsWeight: Float64Array } {
    const density = new Float64Array(current.rowCount).fill(NaN);
    const ipsWeight = new Float64Array(current.rowCount).fill(NaN);
    const { rows } = this.values;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!current.matches(row, this.words, i)) continue;
      density[row] = this.values.density[i];
      ipsWeight[row] = this.values.ipsWeight[i];
    }
    return { density, ipsWeight };
  }
}
