/**
 * The column model: every column the grid can show, defined in one place (the header, rows, chooser,
 * sorting and view state follow it). Score columns draw a number and a bar; the decision column a badge.
 */
import type { JsonValue, RowAnnotationsView, RowView, ShardInfo, SortKey } from '../../extension/protocol';
import { el, formatCount } from '../dom';

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
  /**
   * Columns with more than text (bars, badges) draw into their cell themselves; `row` is undefined
   * while the row is loading. Always through textContent and element.style, never HTML.
   */
  render?(cell: HTMLElement, row: RowView | undefined): void;
  /** The host-side sort this column's header toggles. */
  sortKey?: SortKey;
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
      id: 'row', title: '#', description: 'Row number (1-based); click to sort', defaultWidth: 84, align: 'right', numeric: true, sortKey: 'row',
      cell: (row) => formatCount(row.row + 1),
    },
    {
      id: 'text', title: info.textField ?? 'text', description: `Text field: ${info.textField ?? '(none)'}`, defaultWidth: 400, align: 'left', numeric: false,
      cell: (row) => oneLine(row.text),
    },
    {
      id: 'length', title: 'chars', description: 'Length of the text in characters; click to sort', defaultWidth: 72, align: 'right', numeric: true, sortKey: 'chars',
      cell: (row) => formatCount(charLength(row.text)),
    },
    {
      id: 'askllm', title: 'Ask-LLM', description: 'Ask-LLM score P(yes): is this row informative for pre-training? Click to sort', defaultWidth: 104, align: 'right', numeric: true, sortKey: 'askllm',
      cell: (row) => askllmText(row.annotations),
      render: (cell, row) => renderScore(cell, row ? askllmText(row.annotations) : '', row?.annotations?.askllm ? row.annotations.askllm.pYes : null, askllmTitle(row?.annotations), row?.annotations?.askllmFailure != null),
    },
    {
      id: 'density', title: 'density', description: 'Embedding density (RACE estimate; the bar is on a log scale): high = redundant, low = rare. Click to sort', defaultWidth: 104, align: 'right', numeric: true, sortKey: 'density',
      cell: (row) => densityText(row.annotations),
      render: (cell, row) => {
        const density = row?.annotations?.density ?? null;
        renderScore(cell, row ? densityText(row.annotations) : '', density === null ? null : densityBarFraction(density), density === null ? '' : `density ${density}; IPS weight ${row?.annotations?.ipsWeight ?? '–'}`, false);
      },
    },
    {
      id: 'decision', title: 'decision', description: 'Keep / drop: filled = by the sampler, outlined with a hand = by a manual override', defaultWidth: 96, align: 'left', numeric: false,
      cell: (row) => decisionText(row.annotations),
      render: renderDecision,
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

/** P(yes) with two decimals, as people read probabilities; '' when not scored. */
export function formatScore(p: number): string {
  return p.toFixed(2);
}

/** Densities are RACE estimates >= 1 spanning orders of magnitude: three significant digits. */
export function formatDensity(d: number): string {
  return d >= 1000 ? formatCount(Math.round(d)) : d.toPrecision(3);
}

function askllmText(a: RowAnnotationsView | undefined): string {
  if (!a) return '';
  if (a.askllm) return formatScore(a.askllm.pYes);
  return a.askllmFailure ? 'failed' : '';
}

function askllmTitle(a: RowAnnotationsView | undefined): string {
  if (!a) return '';
  if (a.askllm) return `P(yes) ${a.askllm.pYes.toFixed(4)}, P(no) ${a.askllm.pNo.toFixed(4)}${a.askllm.offFormat ? ' (off-format answer)' : ''}${a.askllm.truncated ? ' (text truncated)' : ''}`;
  return a.askllmFailure ? `Scoring failed: ${a.askllmFailure}` : 'Not scored';
}

function densityText(a: RowAnnotationsView | undefined): string {
  return a && a.density !== null ? formatDensity(a.density) : '';
}

/** Bar length for a density on a log scale: 1 -> empty, 10^6 and more -> full. */
export function densityBarFraction(density: number): number {
  return density <= 1 ? 0 : Math.min(1, Math.log10(density) / 6);
}

function decisionText(a: RowAnnotationsView | undefined): string {
  if (!a) return '';
  return a.decision === 'undecided' ? 'undecided' : a.decision;
}

/** Cell layout: [bar track][number]; the bar's width is set from JS (allowed by the CSP, unlike inline style markup). */
function renderScore(cell: HTMLElement, text: string, fraction: number | null, title: string, failed: boolean): void {
  if (!cell.firstElementChild) {
    cell.append(el('span', { className: 'score-track', attrs: { 'aria-hidden': 'true' } }, [el('span', { className: 'score-bar' })]), el('span', { className: 'score-value' }));
  }
  const bar = cell.firstElementChild!.firstElementChild as HTMLElement;
  const value = cell.lastElementChild as HTMLElement;
  if (value.textContent !== text) value.textContent = text;
  const width = fraction === null ? '0%' : `${Math.round(Math.max(0, Math.min(1, fraction)) * 1000) / 10}%`;
  if (bar.style.width !== width) bar.style.width = width;
  cell.classList.toggle('failed', failed);
  cell.classList.toggle('empty', fraction === null);
  if (cell.title !== title) cell.title = title;
}

const DECISION_TITLES = {
  keep: { sampler: 'Kept by the sampler', override: 'Kept by hand (manual override)', none: 'Kept' },
  drop: { sampler: 'Dropped by the sampler', override: 'Dropped by hand (manual override)', none: 'Dropped' },
  undecided: { sampler: 'Undecided', override: 'Undecided', none: 'No sampler chosen and no override' },
} as const;

function renderDecision(cell: HTMLElement, row: RowView | undefined): void {
  const a = row?.annotations;
  const decision = a?.decision;
  const manual = a?.decisionSource === 'override';
  const key = `${decision ?? ''}:${manual}`;
  if (cell.dataset.decision === key) return;
  cell.dataset.decision = key;
  if (!a || !decision) {
    cell.replaceChildren();
    cell.title = '';
    return;
  }
  const badge = el('span', { className: `decision-badge ${decision}${manual ? ' manual' : ''}`, text: decision });
  if (manual) badge.append(el('span', { className: 'decision-manual', text: '✋', attrs: { 'aria-label': 'manual' } }));
  cell.replaceChildren(badge);
  cell.title = DECISION_TITLES[decision][a.decisionSource];
}
