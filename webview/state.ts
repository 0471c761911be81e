/**
 * View state: what the user was looking at (scroll position, selection, columns, search query).
 * The webview owns it and persists it with vscode.setState, so hiding and re-showing the editor
 * (which reloads the webview: retainContextWhenHidden is off) brings the same view back.
 */
import type { SearchQuery } from '../extension/protocol';
import type { VsCodeApi } from './vscode-api';

export interface ColumnState {
  /** Ids of hidden columns (see grid/columns.ts). */
  hidden: string[];
  /** Column id -> width in px, for columns the user resized. */
  widths: Record<string, number>;
}

export interface SelectionState {
  /** Selected rows as sorted, disjoint, inclusive [first, last] ranges. */
  ranges: Array<[number, number]>;
  /** The row keyboard moves start from and the detail pane shows; -1 when none. */
  active: number;
  /** Where shift-selection ranges start. */
  anchor: number;
}

export interface ViewState {
  version: 1;
  /** First visible row, fractional (independent of viewport size and scroll scaling). */
  topRow: number;
  scrollLeft: number;
  selection: SelectionState;
  columns: ColumnState;
  search: SearchQuery;
}

export function defaultViewState(): ViewState {
  return {
    version: 1,
    topRow: 0,
    scrollLeft: 0,
    selection: { ranges: [], active: -1, anchor: -1 },
    columns: { hidden: [], widths: {} },
    search: { pattern: '', regex: false, caseSensitive: false },
  };
}

const isIndex = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= -1;

/** Saved state from an older build or a corrupted store must not break the editor: keep what is valid. */
export function sanitizeViewState(saved: unknown): ViewState {
  const state = defaultViewState();
  if (!saved || typeof saved !== 'object') return state;
  const s = saved as Partial<ViewState>;
  if (s.version !== 1) return state;
  if (typeof s.topRow === 'number' && Number.isFinite(s.topRow) && s.topRow >= 0) state.topRow = s.topRow;
  if (typeof s.scrollLeft === 'number' && Number.isFinite(s.scrollLeft) && s.scrollLeft >= 0) state.scrollLeft = s.scrollLeft;
  const sel = s.selection;
  if (sel && Array.isArray(sel.ranges) && isIndex(sel.active) && isIndex(sel.anchor)) {
    const ranges = sel.ranges.filter((r): r is [number, number] => Array.isArray(r) && r.length === 2 && isIndex(r[0]) && isIndex(r[1]) && r[0] >= 0 && r[0] <= r[1]);
    state.selection = { ranges, active: sel.active, anchor: sel.anchor };
  }
  const cols = s.columns;
  if (cols && Array.isArray(cols.hidden) && cols.widths && typeof cols.widths === 'object') {
    state.columns.hidden = cols.hidden.filter((id): id is string => typeof id === 'string');
    for (const [id, width] of Object.entries(cols.widths)) if (typeof width === 'number' && width > 0) state.columns.widths[id] = width;
  }
  const q = s.search;
  if (q && typeof q.pattern === 'string') state.search = { pattern: q.pattern, regex: q.regex === true, caseSensitive: q.caseSensitive === true };
  return state;
}

/** Holds the live view state; components mutate it through `update`, which saves soon after. */
export class ViewStateStore {
  readonly state: ViewState;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly api: VsCodeApi<ViewState>) {
    this.state = sanitizeViewState(api.getState());
  }

  update(change: (state: ViewState) => void): void {
    change(this.state);
    // Scrolling changes state every frame; one setState per burst is enough.
    if (this.saveTimer === undefined) this.saveTimer = setTimeout(() => this.flush(), 150);
  }

  flush(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.api.setState(this.state);
  }
}
