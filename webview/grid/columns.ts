/**
 * The column model: every column the grid can show, defined in one place. Later columns (Ask-LLM
 * score, density, decision) are added here and the header, rows, chooser and view state follow.
 */
import type { JsonValue, RowView, ShardInfo } from '../../extension/protocol';
import { formatCount } from '../dom';

export interface ColumnDef {
  /** Stable id, used in view state: `row`, `text`, `length`, `field:<name>`. */
  id: string;
  title: string;
  /** Shown as the header's tooltip. */
  description: string;
  defaultWidth: number;
  align: 'left' | 'right';
  /** Monospace, right-aligned numbers. */
  numeric: boolean;
  /** One-line display of this column for a row (plain text; rendered with textContent). */
  cell(row: RowView): string;
}

export const MIN_COLUMN_WIDTH = 36;
/** A cell never needs more characters than fit on a wide screen; the detail pane shows the rest. */
const MAX_CELL_CHARS = 400;

/** A single line: newlines and tabs shown as visible marks so a preview never wraps. */
export function oneLine(text: string): string {
  const head = text.length > MAX_CELL_CHARS ? text.slice(0, MAX_CELL_CHARS) : text;
  return head.replace(/\r\n|\n|\r/g, ' ⏎ ').replace(/\t/g, ' ');
}

/** Length in characters (Unicode code points, not UTF-16 units). */
export function charLength(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

/** Compact JSON-ish display: strings bare, everything else as compact JSON. */
export function compactValue(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return oneLine(value);
  return oneLine(JSON.stringify(value));
}

export function buildColumns(info: ShardInfo): ColumnDef[] {
  const columns: ColumnDef[] = [
    {
      id: 'row', title: '#', description: 'Row number (1-based)', defaultWidth: 84, align: 'right', numeric: true,
      cell: (row) => formatCount(row.row + 1),
    },
    {
      id: 'text', title: info.textField ?? 'text', description: `Text field: ${info.textField ?? '(none)'}`, defaultWidth: 520, align: 'left', numeric: false,
      cell: (row) => oneLine(row.text),
    },
    {
      id: 'length', title: 'chars', description: 'Length of the text in characters', defaultWidth: 72, align: 'right', numeric: true,
      cell: (row) => formatCount(charLength(row.text)),
    },
  ];
  for (const column of info.columns) {
    if (column.name === info.textField) continue;
    const numeric = /^(number|int|uint|float|decimal)/i.test(column.type);
    columns.push({
      id: `field:${column.name}`, title: column.name, description: `${column.name}: ${column.type}`,
      defaultWidth: numeric ? 90 : 160, align: numeric ? 'right' : 'left', numeric,
      cell: (row) => compactValue(row.fields[column.name]),
    });
  }
  return columns;
}

/** Columns whose values are strings: the candidates for the text field. */
export function stringColumns(info: ShardInfo): string[] {
  return info.columns.filter((c) => /^(string|utf8|largeutf8|utf8view)\b/i.test(c.type) || /^Dictionary<.*(Utf8|string)>$/i.test(c.type) || /(^|\|)string(\||$)/.test(c.type)).map((c) => c.name);
}
