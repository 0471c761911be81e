/**
 * Row selection over shards of millions of rows: a set of sorted, disjoint, inclusive ranges, so
 * shift-selecting a million rows costs one range, plus the active row and the anchor of range selection.
 */
import type { SelectionState } from '../state';

export class RowSelection {
  constructor(private readonly state: SelectionState) {}

  get active(): number {
    return this.state.active;
  }

  get ranges(): ReadonlyArray<readonly [number, number]> {
    return this.state.ranges;
  }

  /** Number of selected rows. */
  get size(): number {
    return this.state.ranges.reduce((n, [a, b]) => n + b - a + 1, 0);
  }

  has(row: number): boolean {
    const ranges = this.state.ranges;
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = ranges[mid];
      if (row < a) hi = mid - 1;
      else if (row > b) lo = mid + 1;
      else return true;
    }
    return false;
  }

  /** Plain click / arrow key: just this row. */
  selectOnly(row: number): void {
    this.state.ranges = [[row, row]];
    this.state.active = row;
    this.state.anchor = row;
  }

  /** Shift+click / shift+arrow: anchor..row replaces the selection; the anchor stays. */
  extendTo(row: number): void {
    const anchor = this.state.anchor >= 0 ? this.state.anchor : row;
    this.state.ranges = [[Math.min(anchor, row), Math.max(anchor, row)]];
    this.state.active = row;
    this.state.anchor = anchor;
  }

  /** Ctrl/Cmd+click: flip one row, keep the rest. */
  toggle(row: number): void {
    const out: Array<[number, number]> = [];
    if (this.has(row)) {
      for (const [a, b] of this.state.ranges) {
        if (row < a || row > b) out.push([a, b]);
        else {
          if (a < row) out.push([a, row - 1]);
          if (row < b) out.push([row + 1, b]);
        }
      }
    } else {
      for (const range of [...this.state.ranges, [row, row] as [number, number]].sort((x, y) => x[0] - y[0])) {
        const last = out[out.length - 1];
        if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
        else out.push([range[0], range[1]]);
      }
    }
    this.state.ranges = out;
    this.state.active = row;
    this.state.anchor = row;
  }

  /** Ctrl/Cmd+A: every row; the active row stays. */
  selectAll(rowCount: number): void {
    this.state.ranges = rowCount > 0 ? [[0, rowCount - 1]] : [];
  }

  /** Nothing selected (the view changed: old positions mean other rows). */
  clear(): void {
    this.state.ranges = [];
    this.state.active = -1;
    this.state.anchor = -1;
  }

  /** Drops rows at or past `rowCount` (the shard changed or shrank). */
  clip(rowCount: number): void {
    this.state.ranges = this.state.ranges.filter(([a]) => a < rowCount).map(([a, b]) => [a, Math.min(b, rowCount - 1)]);
    if (this.state.active >= rowCount) this.state.active = rowCount - 1;
    if (this.state.anchor >= rowCount) this.state.anchor = this.state.active;
  }
}
