/**
 * Answers the shard editor's webview. Every message from the webview is untrusted: it is checked
 * here (types, integers, ranges clipped to the shard or the view, page size, known columns, regex
 * syntax, sampler spec length, seeds, fingerprint keys) before anything touches the shard. Bad
 * messages are rejected and logged; nothing a webview sends can throw out of `handle`.
 * No `vscode` import: the host injects `post` and `runCommand`, tests capture them.
 *
 * The router also owns the panel's view of the rows: the current sort / filter (viewId), the last
 * search's matches (for the "matches only" filter) and the last selection (for the commands).
 */
import { describeError, isCancelled, throwIfAborted, UserError } from '../core/errors';
import { STEP_KINDS } from '../core/curate/spec';
import { compileMatcher, type TextQuery } from '../core/search/query';
import { searchShard } from '../core/search/search';
import type { ShardAnnotations } from '../core/curation';
import type { Row } from '../core/shard/types';
import {
  MAX_PAGE_ROWS,
  MAX_SEARCH_MATCHES,
  type DecisionFilter,
  type HostCommand,
  type NearestRowView,
  type RequestMethod,
  type RequestParams,
  type RequestResult,
  type RowSelection,
  type RowView,
  type SortKey,
  type ToWebviewMessage,
  type ViewSpec,
} from '../protocol';
import type { Logger } from './logger';
import type { ShardSession } from './session';

type Validators = { [M in RequestMethod]: (params: Record<string, unknown>) => RequestParams<M> };
type Handlers = { [M in RequestMethod]: (params: RequestParams<M>) => Promise<RequestResult<M>> };

/** Longest sampler spec accepted from the webview (real specs are a few dozen characters). */
export const MAX_SPEC_LENGTH = 1000;
/** Most ranges in one selection (a ctrl-click selection of single rows is one range per row). */
export const MAX_SELECTION_RANGES = 100_000;
export const MAX_NEAREST_ROWS = 100;
export const HOST_COMMANDS: readonly HostCommand[] = ['scoreSelected', 'scoreAll', 'selectModel', 'computeDensity', 'showNearest', 'export'];
const SORT_KEYS: readonly SortKey[] = ['row', 'chars', 'askllm', 'density'];
const DECISION_FILTERS: readonly DecisionFilter[] = ['keep', 'drop', 'undecided', 'override'];
const COMPARE_FILTERS = ['onlyA', 'onlyB', 'both'] as const;
const VIEW_KEYS = new Set(['sort', 'askllmRange', 'densityRange', 'decision', 'compare', 'searchMatches']);
/** Rows this close together are read as one run when a sorted view's page is scattered over the shard. */
const READ_GAP_ROWS = 16;

/** A request the router refuses; the message goes back to the webview as the error. */
class BadRequest extends UserError {
  override name = 'BadRequest';
}

interface ActiveSearch {
  searchId: number;
  abort: AbortController;
  /** Why it was stopped, for its last searchProgress event. */
  stopReason?: string;
}

/** The rows the grid shows, in order; `rows` null is every row in row order (viewId 0). */
interface RowsView {
  id: number;
  spec: ViewSpec;
  rows: Uint32Array | null;
}

/** A view being computed (off the main thread for large shards); a newer one aborts it. */
interface ViewJob {
  spec: ViewSpec;
  abort: AbortController;
  /** The installed view; rejects with CancelledError when a newer job replaced this one. */
  done: Promise<RowsView>;
}

/** The grid's selection as rows (mapped from view positions when it arrived). */
export interface SelectedRows {
  rows: Uint32Array;
  focusedRow: number | null;
}

export interface RouterOptions {
  /** Runs a toolbar button's VS Code command for this editor. */
  runCommand?: (command: HostCommand) => void;
}

const IDENTITY_VIEW: RowsView = { id: 0, spec: {}, rows: null };

export class ShardRouter {
  private search: ActiveSearch | undefined;
  private readonly unsubscribe: () => void;
  private disposed = false;
  private readonly abort = new AbortController();
  private view: RowsView = IDENTITY_VIEW;
  private viewJob: ViewJob | undefined;
  private nextViewId = 1;
  /** Matches of the last completed search, ascending (the view's "matches only" filter). */
  private searchMatches: Uint32Array | undefined;
  private selected: SelectedRows | undefined;

  constructor(
    private readonly session: ShardSession,
    private readonly post: (message: ToWebviewMessage) => void,
    private readonly log: Logger,
    private readonly options: RouterOptions = {},
  ) {
    this.unsubscribe = session.subscribe((event) => {
      // New scores or decisions move rows in a sorted or filtered view (or the one being computed): recompute it.
      if (event.type === 'annotationsChanged' && (this.view.id !== 0 || this.viewJob)) this.refreshView();
      this.send(event);
    });
  }

  /** Handles one message from the webview. Never throws. */
  async handle(message: unknown): Promise<void> {
    try {
      if (!isRecord(message) || typeof message.type !== 'string') return this.reject('not a message object', message);
      switch (message.type) {
        case 'ready':
          // A reloaded webview starts again from the identity view.
          this.viewJob?.abort.abort();
          this.viewJob = undefined;
          this.view = IDENTITY_VIEW;
          for (const event of this.session.snapshot()) this.send(event);
          await this.sendSummary();
          return;
        case 'log':
          if ((message.level !== 'error' && message.level !== 'info') || typeof message.message !== 'string') {
            return this.reject('malformed log message', message);
          }
          if (message.level === 'error') this.log.error(`webview: ${clip(message.message, 4000)}`);
          else this.log.info(`webview: ${clip(message.message, 4000)}`);
          return;
        case 'selection':
          return this.onSelection(message);
        case 'runCommand':
          if (typeof message.command !== 'string' || !HOST_COMMANDS.includes(message.command as HostCommand)) {
            return this.reject('unknown command', message);
          }
          this.options.runCommand?.(message.command as HostCommand);
          return;
        case 'request':
          return await this.request(message);
        default:
          return this.reject(`unknown message type "${clip(message.type, 40)}"`, message);
      }
    } catch (err) {
      this.log.error('The shard editor failed to handle a webview message', err);
    }
  }

  /** The rows selected in the grid, for "Score Selected Rows" and "Show Nearest Rows". */
  selection(): SelectedRows | undefined {
    return this.selected;
  }

  /** Shows the rows closest to `row` in the webview. */
  showNearest(row: number, rows: NearestRowView[]): void {
    this.send({ type: 'nearestRows', row, rows });
  }

  /** Stops the running search and requests, and detaches from the session (the panel closed). */
  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    this.abort.abort();
    this.viewJob?.abort.abort();
    this.search?.abort.abort();
    this.search = undefined;
  }

  private async request(message: Record<string, unknown>): Promise<void> {
    const { id, method, params } = message;
    if (!Number.isSafeInteger(id)) return this.reject('request without an integer id', message);
    const requestId = id as number;
    try {
      if (typeof method !== 'string' || !Object.hasOwn(this.validators, method)) {
        throw new BadRequest(`Unknown request "${clip(String(method), 40)}".`);
      }
      if (!isRecord(params)) throw new BadRequest(`Request "${method}" needs an object of parameters.`);
      const name = method as RequestMethod;
      const valid = this.validators[name](params);
      const result = await (this.handlers[name] as (p: typeof valid) => Promise<unknown>)(valid);
      this.send({ type: 'response', id: requestId, ok: true, result });
    } catch (err) {
      if (err instanceof BadRequest) this.log.error(`Rejected webview request ${clip(JSON.stringify(message), 300)}: ${err.message}`);
      else if (!(err instanceof UserError) && !isCancelled(err)) this.log.error(`Request "${String(method)}" failed`, err);
      const cancelled = this.disposed ? 'Cancelled: the editor closed.' : 'Cancelled: a newer request replaced this one.';
      this.send({ type: 'response', id: requestId, ok: false, error: isCancelled(err) ? cancelled : describeError(err) });
    }
  }

  private readonly validators: Validators = {
    rows: (p) => {
      const start = integer(p, 'start', 0);
      const count = integer(p, 'count', 0);
      if (count > MAX_PAGE_ROWS) throw new BadRequest(`rows: count ${count} is over the page limit of ${MAX_PAGE_ROWS}.`);
      return p.viewId === undefined ? { start, count } : { start, count, viewId: integer(p, 'viewId', 0) };
    },
    setView: (p) => ({ view: viewSpec(p.view) }),
    setSampler: (p) => ({ spec: p.spec === null ? null : specText(p, 'spec'), seed: integer(p, 'seed', 0) }),
    setOverride: (p) => {
      if (p.decision !== 'keep' && p.decision !== 'drop' && p.decision !== null) throw new BadRequest('setOverride: decision must be "keep", "drop" or null.');
      return { selection: rowSelection(p.selection), decision: p.decision };
    },
    compare: (p) => ({ a: specText(p, 'a'), b: specText(p, 'b'), seed: integer(p, 'seed', 0) }),
    setFingerprint: (p) => {
      if (typeof p.key !== 'string' || p.key.length === 0 || p.key.length > MAX_SPEC_LENGTH) throw new BadRequest('setFingerprint: key must be a fingerprint key.');
      return { key: p.key };
    },
    nearestRows: (p) => {
      const row = integer(p, 'row', 0);
      const k = integer(p, 'k', 1);
      if (k > MAX_NEAREST_ROWS) throw new BadRequest(`nearestRows: k must be from 1 to ${MAX_NEAREST_ROWS} (got ${k}).`);
      return { row, k };
    },
    samplerKinds: () => ({}),
    search: (p) => {
      const searchId = integer(p, 'searchId', 0);
      const q = p.query;
      if (!isRecord(q) || typeof q.pattern !== 'string' || typeof q.regex !== 'boolean' || typeof q.caseSensitive !== 'boolean') {
        throw new BadRequest('search: query must be { pattern: string, regex: boolean, caseSensitive: boolean }.');
      }
      const query: TextQuery = { pattern: q.pattern, regex: q.regex, caseSensitive: q.caseSensitive };
      compileMatcher(query);
      return { searchId, query };
    },
    cancelSearch: (p) => ({ searchId: integer(p, 'searchId', 0) }),
    malformed: () => ({}),
    setTextField: (p) => {
      if (typeof p.field !== 'string' || p.field.length === 0) throw new BadRequest('setTextField: field must be a column name.');
      return { field: p.field };
    },
  };

  private readonly handlers: Handlers = {
    rows: async ({ start, count, viewId }) => {
      const shard = this.session.requireShard();
      const view = this.viewById(viewId ?? 0);
      const curation = this.annotationsIfLoaded();
      let rows: Row[];
      if (view.rows === null) {
        // Clip to the rows known now (they grow while a JSONL shard is still being indexed).
        const end = Math.min(start + count, shard.rowCount);
        rows = start < end ? await shard.readRows(start, end - start) : [];
      } else {
        rows = start < view.rows.length ? await this.readRowsAt(view.rows.subarray(start, Math.min(start + count, view.rows.length))) : [];
      }
      const textField = shard.textField;
      return {
        rows: await Promise.all(rows.map(async (r): Promise<RowView> => {
          const fields = { ...r.fields };
          if (textField !== undefined) delete fields[textField];
          const view: RowView = { row: r.row, text: r.text, fields };
          if (curation && r.row < curation.rowCount) view.annotations = await curation.rowAnnotations(r.row);
          return view;
        })),
      };
    },
    setView: async ({ view }) => {
      this.session.requireAnnotations();
      if (view.searchMatches && !this.searchMatches) throw new UserError('No search has finished yet: search first, then show only its matches.');
      const installed = await this.awaitView(this.startView(view));
      return { viewId: installed.id, rowCount: this.viewLength(installed) };
    },
    setSampler: async ({ spec, seed }) => {
      const curation = this.session.requireAnnotations();
      curation.setSampler(spec, seed);
      // Every row's decision may have changed.
      this.session.changed();
      // A newer setSampler supersedes this one: both answer with the newest sampler's summary.
      return { summary: await curation.summary() };
    },
    setOverride: async ({ selection, decision }) => {
      const curation = this.session.requireAnnotations();
      const rows = this.selectionRows(selection);
      const changed = curation.setOverrides(rows, decision);
      this.session.changed(rows);
      return { changed };
    },
    compare: async ({ a, b, seed }) => await this.session.requireAnnotations().compare(a, b, seed),
    setFingerprint: async ({ key }) => {
      const curation = this.session.requireAnnotations();
      if (!curation.fingerprints().some((f) => f.key === key)) throw new BadRequest(`setFingerprint: no Ask-LLM scores with the fingerprint "${clip(key, 80)}" in this shard's store.`);
      curation.setFingerprint(key);
      this.session.changed();
      return { summary: await curation.summary() };
    },
    nearestRows: async ({ row, k }) => {
      const curation = this.session.requireAnnotations();
      if (row >= curation.rowCount) throw new BadRequest(`nearestRows: row ${row} is outside the shard (${curation.rowCount} rows).`);
      return { rows: await curation.nearestRows(row, k, this.abort.signal) };
    },
    samplerKinds: async () => ({ kinds: [...STEP_KINDS] }),
    search: async ({ searchId, query }) => {
      this.session.requireShard();
      this.stopSearch('Replaced by a new search.');
      const search: ActiveSearch = { searchId, abort: new AbortController() };
      this.search = search;
      void this.runSearch(search, query);
      return { started: true };
    },
    cancelSearch: async ({ searchId }) => {
      if (this.search?.searchId !== searchId) return { cancelled: false };
      this.stopSearch('Cancelled.');
      return { cancelled: true };
    },
    malformed: async () => {
      const { count, examples } = this.session.requireShard().malformed;
      return { count, examples };
    },
    setTextField: async ({ field }) => {
      // Matches found in the old text field mean nothing for the new one.
      this.stopSearch('Cancelled: the text field changed.');
      this.searchMatches = undefined;
      return { info: this.session.setTextField(field) };
    },
  };

  /** The annotations when loaded; rows are served without them while the shard is still being indexed. */
  private annotationsIfLoaded(): ShardAnnotations | undefined {
    try {
      return this.session.requireAnnotations();
    } catch {
      return undefined;
    }
  }

  /** The view a request names: 0 is always every row in order; any other id must be the current view. */
  private viewById(viewId: number): RowsView {
    if (viewId === 0) return IDENTITY_VIEW;
    if (viewId === this.view.id) return this.view;
    throw new UserError(`The view ${viewId} was replaced by view ${this.view.id}; ask again with the current view.`);
  }

  private viewLength(view: RowsView): number {
    return view.rows === null ? (this.session.shard?.rowCount ?? 0) : view.rows.length;
  }

  /**
   * Starts computing the view of `spec`, abandoning the one on its way (latest wins: a user typing
   * a filter sends several). The result is installed as the current view when it is still the latest.
   */
  private startView(spec: ViewSpec): ViewJob {
    this.viewJob?.abort.abort();
    const abort = new AbortController();
    const compute = async (): Promise<RowsView> => {
      try {
        const rows = await this.session.requireAnnotations().computeView(spec, { searchMatches: spec.searchMatches ? this.searchMatches : undefined, signal: abort.signal });
        throwIfAborted(abort.signal);
        this.view = rows === null ? IDENTITY_VIEW : { id: this.nextViewId++, spec, rows };
        return this.view;
      } finally {
        if (this.viewJob?.abort === abort) this.viewJob = undefined;
      }
    };
    // The job is the latest before it starts: computeView may fail at once.
    const job = { spec, abort } as ViewJob;
    this.viewJob = job;
    job.done = compute();
    return job;
  }

  /**
   * The view `job` computes; when a recompute of the same spec (new annotations) replaced it, the
   * recomputed one. Rejects with CancelledError when a view of another spec replaced it.
   */
  private async awaitView(job: ViewJob): Promise<RowsView> {
    for (;;) {
      try {
        return await job.done;
      } catch (err) {
        const next = this.viewJob;
        if (!isCancelled(err) || !next || next === job || next.spec !== job.spec) throw err;
        job = next;
      }
    }
  }

  /** Recomputes the current sort / filter (or the one on its way) over the current annotations and tells the webview. */
  private refreshView(): void {
    const spec = this.viewJob?.spec ?? this.view.spec;
    if (this.view.id === 0 && !this.viewJob) return;
    const job = this.startView(spec);
    job.done.then(
      (view) => this.send({ type: 'viewChanged', viewId: view.id, rowCount: this.viewLength(view) }),
      (err: unknown) => {
        if (!(isCancelled(err) && job.abort.signal.aborted)) this.viewFailed(err);
      },
    );
  }

  /** Without annotations (reloading after a text field change) the view falls back to every row. */
  private viewFailed(err: unknown): void {
    if (this.disposed) return;
    this.log.error('Recomputing the view failed; showing every row', err);
    this.view = IDENTITY_VIEW;
    this.send({ type: 'viewChanged', viewId: this.view.id, rowCount: this.viewLength(this.view) });
  }

  /** The summary for a (re)loaded webview, once computed. */
  private async sendSummary(): Promise<void> {
    try {
      const summary = await this.session.summaryEvent();
      if (summary) this.send(summary);
    } catch (err) {
      this.log.error('Summarising the annotations failed', err);
    }
  }

  /** Rows of a sorted or filtered page, read in runs of nearby rows and returned in view order. */
  private async readRowsAt(wanted: Uint32Array): Promise<Row[]> {
    const shard = this.session.requireShard();
    const sorted = Uint32Array.from(wanted).sort();
    const byRow = new Map<number, Row>();
    let i = 0;
    while (i < sorted.length) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] - sorted[j] <= READ_GAP_ROWS) j++;
      for (const row of await shard.readRows(sorted[i], sorted[j] - sorted[i] + 1)) byRow.set(row.row, row);
      i = j + 1;
    }
    const rows: Row[] = [];
    for (const row of wanted) {
      const found = byRow.get(row);
      if (found) rows.push(found);
    }
    return rows;
  }

  /** The rows at a selection's view positions; positions outside the view are refused. */
  private selectionRows(selection: RowSelection): Uint32Array {
    const view = this.viewById(selection.viewId);
    const length = this.viewLength(view);
    let total = 0;
    for (const [start, end] of selection.ranges) {
      if (end > length) throw new BadRequest(`selection: range [${start}, ${end}) is outside the view (${length} rows).`);
      total += end - start;
    }
    const rows = new Uint32Array(total);
    let at = 0;
    for (const [start, end] of selection.ranges) {
      if (view.rows === null) for (let p = start; p < end; p++) rows[at + p - start] = p;
      else rows.set(view.rows.subarray(start, end), at);
      at += end - start;
    }
    return rows;
  }

  private onSelection(message: Record<string, unknown>): void {
    try {
      const selection = rowSelection(message.selection);
      const focused = message.focusedRow;
      const rowCount = this.session.shard?.rowCount ?? 0;
      if (focused !== null && (typeof focused !== 'number' || !Number.isSafeInteger(focused) || focused < 0 || focused >= rowCount)) {
        throw new BadRequest(`selection: focusedRow must be a row number below ${rowCount} or null.`);
      }
      this.selected = { rows: this.selectionRows(selection), focusedRow: focused };
    } catch (err) {
      this.selected = undefined;
      this.reject(describeError(err), message);
    }
  }

  private stopSearch(reason: string): void {
    const search = this.search;
    if (!search) return;
    search.stopReason = reason;
    search.abort.abort();
    this.search = undefined;
  }

  private async runSearch(search: ActiveSearch, query: TextQuery): Promise<void> {
    const { searchId, abort } = search;
    let scanned = 0;
    let total = 0;
    try {
      const shard = this.session.requireShard();
      // Rows are numbered by the index; scanning before it is complete would have no total.
      await shard.indexed;
      total = shard.rowCount;
      throwIfAborted(abort.signal);
      const started = performance.now();
      const matches: number[] = [];
      const summary = await searchShard(shard.source(), query, {
        end: shard.rowCount,
        maxMatches: MAX_SEARCH_MATCHES,
        signal: abort.signal,
        onProgress: (p) => {
          scanned = p.scanned;
          if (p.done) return;
          for (const m of p.matches) matches.push(m);
          this.send({ type: 'searchProgress', searchId, scanned: p.scanned, total: p.total, matches: p.matches, done: false });
        },
      });
      this.log.info(`Search ${searchId} over ${summary.scanned} rows: ${summary.matchCount} matches in ${Math.round(performance.now() - started)} ms`);
      for (const m of summary.matches) matches.push(m);
      this.searchMatches = Uint32Array.from(matches);
      if (this.view.spec.searchMatches) this.refreshView();
      this.send({
        type: 'searchProgress',
        searchId,
        scanned: summary.scanned,
        total,
        matches: summary.matches,
        done: true,
        error: summary.capped
          ? `Stopped at ${MAX_SEARCH_MATCHES.toLocaleString('en-US')} matches (the limit) after ${summary.scanned.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} rows; narrow the search to see the rest.`
          : undefined,
      });
    } catch (err) {
      const error = abort.signal.aborted || isCancelled(err) ? (search.stopReason ?? 'Cancelled.') : describeError(err);
      if (!abort.signal.aborted && !(err instanceof UserError)) this.log.error(`Search ${searchId} failed`, err);
      this.send({ type: 'searchProgress', searchId, scanned, total, matches: [], done: true, error });
    } finally {
      if (this.search === search) this.search = undefined;
    }
  }

  private send(message: ToWebviewMessage): void {
    if (this.disposed) return;
    try {
      this.post(message);
    } catch (err) {
      this.log.error(`Posting "${message.type}" to the webview failed`, err);
    }
  }

  private reject(reason: string, message: unknown): void {
    let shown: string;
    try {
      shown = clip(JSON.stringify(message) ?? String(message), 300);
    } catch {
      shown = String(message);
    }
    this.log.error(`Rejected a webview message (${reason}): ${shown}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(params: Record<string, unknown>, key: string, min: number): number {
  const value = params[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new BadRequest(`${key} must be an integer >= ${min} (got ${clip(JSON.stringify(value) ?? 'nothing', 40)}).`);
  }
  return value;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

function specText(params: Record<string, unknown>, key: string): string {
  const value = params[key];
  if (typeof value !== 'string' || value.length > MAX_SPEC_LENGTH) {
    throw new BadRequest(`${key} must be a sampler spec of at most ${MAX_SPEC_LENGTH} characters.`);
  }
  return value;
}

function scoreRange(value: unknown, key: string): { min: number; max: number } | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || typeof value.min !== 'number' || typeof value.max !== 'number' || !Number.isFinite(value.min) || !Number.isFinite(value.max) || value.min > value.max) {
    throw new BadRequest(`view.${key} must be { min, max } with finite numbers, min <= max.`);
  }
  return { min: value.min, max: value.max };
}

/** A ViewSpec rebuilt from only the fields that are valid (nothing unknown passes through). */
function viewSpec(value: unknown): ViewSpec {
  if (!isRecord(value)) throw new BadRequest('setView: view must be an object.');
  const unknown = Object.keys(value).find((k) => !VIEW_KEYS.has(k));
  if (unknown !== undefined) throw new BadRequest(`setView: unknown view field "${clip(unknown, 40)}".`);
  const view: ViewSpec = {};
  if (value.sort !== undefined) {
    const sort = value.sort;
    if (!isRecord(sort) || !SORT_KEYS.includes(sort.key as SortKey) || typeof sort.descending !== 'boolean') {
      throw new BadRequest(`setView: sort must be { key: ${SORT_KEYS.join(' | ')}, descending: boolean }.`);
    }
    view.sort = { key: sort.key as SortKey, descending: sort.descending };
  }
  const askllmRange = scoreRange(value.askllmRange, 'askllmRange');
  if (askllmRange) view.askllmRange = askllmRange;
  const densityRange = scoreRange(value.densityRange, 'densityRange');
  if (densityRange) view.densityRange = densityRange;
  if (value.decision !== undefined) {
    if (!DECISION_FILTERS.includes(value.decision as DecisionFilter)) throw new BadRequest(`setView: decision must be one of ${DECISION_FILTERS.join(', ')}.`);
    view.decision = value.decision as DecisionFilter;
  }
  if (value.compare !== undefined) {
    if (!COMPARE_FILTERS.includes(value.compare as (typeof COMPARE_FILTERS)[number])) throw new BadRequest(`setView: compare must be one of ${COMPARE_FILTERS.join(', ')}.`);
    view.compare = value.compare as (typeof COMPARE_FILTERS)[number];
  }
  if (value.searchMatches !== undefined) {
    if (typeof value.searchMatches !== 'boolean') throw new BadRequest('setView: searchMatches must be a boolean.');
    view.searchMatches = value.searchMatches;
  }
  return view;
}

/** Ranges as sent, checked to be integer [start, end) pairs and merged into ascending disjoint ones. */
function rowSelection(value: unknown): RowSelection {
  if (!isRecord(value) || !Array.isArray(value.ranges)) throw new BadRequest('selection must be { viewId, ranges: [[start, end), ...] }.');
  const viewId = integer(value, 'viewId', 0);
  if (value.ranges.length > MAX_SELECTION_RANGES) throw new BadRequest(`selection: more than ${MAX_SELECTION_RANGES} ranges.`);
  const ranges: Array<[number, number]> = [];
  for (const range of value.ranges as unknown[]) {
    if (!Array.isArray(range) || range.length !== 2 || !range.every((n) => Number.isSafeInteger(n) && n >= 0) || range[0] >= range[1]) {
      throw new BadRequest(`selection: ${clip(JSON.stringify(range) ?? 'nothing', 40)} is not a range [start, end) of view positions.`);
    }
    ranges.push([range[0], range[1]]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of ranges) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return { viewId, ranges: merged };
}
