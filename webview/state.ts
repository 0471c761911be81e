/**
 * View state: what the user was looking at (scroll position, selection, columns, search query).
 * The webview owns it and persists it with vscode.setState, so hiding and re-showing the editor
 * (which reloads the webview: retainContextWhenHidden is off) brings the same view back.
 */
import type { DecisionFilter, SearchQuery, SortKey, ViewSpec } from '../extension/protocol';
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
  /** Sort and filters of the grid (sent to the host with setView). */
  view: ViewSpec;
  /** The sampler panel's spec text and seed ('' = no sampler). */
  sampler: { spec: string; seed: number };
  /** The two samplers last compared. */
  compare: { a: string; b: string; seed: number };
  /** Which curation panels are open. */
  panels: { scores: boolean; sampler: boolean; compare: boolean };
}

export function defaultViewState(): ViewState {
  return {
    version: 1,
    topRow: 0,
    scrollLeft: 0,
    selection: { ranges: [], active: -1, anchor: -1 },
    columns: { hidden: [], widths: {} },
    search: { pattern: '', regex: false, caseSensitive: false },
    view: {},
    sampler: { spec: '', seed: 0 },
    compare: { a: '', b: '', seed: 0 },
    panels: { scores: true, sampler: true, compare: false },
  };
}

const SORT_KEYS: readonly SortKey[] = ['row', 'chars', 'askllm', 'density'];
const DECISION_FILTERS: readonly DecisionFilter[] = ['keep', 'drop', 'undecided', 'override'];
const isSeed = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

function sanitizeRange(value: unknown): { min: number; max: number } | undefined {
  const r = value as { min?: unknown; max?: unknown } | undefined;
  return r && typeof r.min === 'number' && typeof r.max === 'number' && Number.isFinite(r.min) && Number.isFinite(r.max) && r.min <= r.max ? { min: r.min, max: r.max } : undefined;
}

/**
 * Keeps the valid parts of a saved view spec. Compare and search-match filters are not restored: they
 * refer to a comparison or search the host holds only for the page that asked for it.
 */
export function sanitizeViewSpec(saved: unknown): ViewSpec {
  const view: ViewSpec = {};
  if (!saved || typeof saved !== 'object') return view;
  const v = saved as Record<string, unknown>;
  const sort = v.sort as { key?: unknown; descending?: unknown } | undefined;
  if (sort && SORT_KEYS.includes(sort.key as SortKey) && typeof sort.descending === 'boolean') view.sort = { key: sort.key as SortKey, descending: sort.descending };
  const askllmRange = sanitizeRange(v.askllmRange);
  if (askllmRange) view.askllmRange = askllmRange;
  const densityRange = sanitizeRange(v.densityRange);
  if (densityRange) view.densityRange = densityRange;
  if (DECISION_FILTERS.includes(v.decision as DecisionFilter)) view.decision = v.decision as DecisionFilter;
  return view;
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
  state.view = sanitizeViewSpec(s.view);
  const sampler = s.sampler;
  if (sampler && typeof sampler.spec === 'string' && isSeed(sampler.seed)) state.sampler = { spec: sampler.spec, seed: sampler.seed };
  const compare = s.compare;
  if (compare && typeof compare.a === 'string' && typeof compare.b === 'string' && isSeed(compare.seed)) state.compare = { a: compare.a, b: compare.b, seed: compare.seed };
  const panels = s.panels;
  if (panels && typeof panels === 'object') {
    for (const name of ['scores', 'sampler', 'compare'] as const) if (typeof panels[name] === 'boolean') state.panels[name] = panels[name];
  }
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
