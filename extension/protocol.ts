/**
 * Every message between the extension host and the shard editor's webview.
 * Imported by both sides so the compiler checks both ends of every message.
 *
 * - Requests go webview -> host, carry an `id` and get exactly one `response` with that id.
 * - Events flow either way without a reply.
 * - The host owns the data (shard, annotations); the webview owns view state (scroll, selection,
 *   columns, filters) and persists it with vscode.setState.
 * Nothing here may import `vscode` or DOM-only code.
 */
import type { Column, JsonValue, MalformedLine, ShardFormat } from './core/shard/types';
import type { DecisionStats, Histogram } from './core/curate/stats';
import type { StepKindInfo } from './core/curate/spec';

export type { Column, DecisionStats, Histogram, JsonValue, MalformedLine, ShardFormat, StepKindInfo };

/** What the webview knows about the open shard. Sent on `ready` and again whenever it changes. */
export interface ShardInfo {
  fileName: string;
  format: ShardFormat;
  bytes: number;
  rowCount: number;
  /** False while the JSONL index is still being built (rowCount then grows). */
  indexed: boolean;
  columns: Column[];
  textField: string | undefined;
  malformedCount: number;
}

/** One row as the grid and the detail pane show it. */
export interface RowView {
  row: number;
  text: string;
  /** Every field except the text field. */
  fields: Record<string, JsonValue>;
  /** The row's annotations for its current text (stale ones are never sent). */
  annotations?: RowAnnotationsView;
}

export type DecisionView = 'keep' | 'drop' | 'undecided';
export type DecisionSourceView = 'sampler' | 'override' | 'none';

export interface AskLlmView {
  pYes: number;
  pNo: number;
  /** P(yes) / (P(yes) + P(no)); null when both are 0. */
  normalized: number | null;
  /** Neither yes nor no among the top log-probs (still a score: P(yes) = 0). */
  offFormat: boolean;
  truncated: boolean;
  model: string;
  modelDigest: string | null;
  promptSha256: string;
}

export interface RowAnnotationsView {
  /** The score for the fingerprint (model + prompt) shown in the editor. */
  askllm: AskLlmView | null;
  /** Why the last request for this row failed, when it has no score. */
  askllmFailure: string | null;
  density: number | null;
  ipsWeight: number | null;
  override: 'keep' | 'drop' | null;
  decision: DecisionView;
  decisionSource: DecisionSourceView;
}

/** Order and filters of the rows the grid shows; computed on the host over the whole shard. */
export type SortKey = 'row' | 'chars' | 'askllm' | 'density';
export type DecisionFilter = 'keep' | 'drop' | 'undecided' | 'override';
export interface ViewSpec {
  sort?: { key: SortKey; descending: boolean };
  /** Rows whose score lies in [min, max] (a histogram bin or a run of bins). */
  askllmRange?: { min: number; max: number };
  densityRange?: { min: number; max: number };
  decision?: DecisionFilter;
  /** Rows only sampler A keeps, only B keeps, or both keep (from the last `compare`). */
  compare?: 'onlyA' | 'onlyB' | 'both';
  /** Only the rows matching the last search. */
  searchMatches?: boolean;
}

/**
 * Rows picked in the grid: half-open ranges [start, end) of view positions in view `viewId`
 * (0 = the identity view, where positions are row numbers). The host maps them to rows.
 */
export interface RowSelection {
  viewId: number;
  ranges: Array<[number, number]>;
}

/** The Ask-LLM scores on show: one model + prompt template pair (scores of other pairs are kept, not shown). */
export interface FingerprintView {
  key: string;
  model: string;
  modelDigest: string | null;
  promptSha256: string;
  /** Rows with a score for their current text. */
  scored: number;
  failed: number;
}

/** Everything the panels (histograms, sampler, status) show; sent whenever annotations or decisions change. */
export interface CurationSummary {
  rowCount: number;
  askllm: { shown: FingerprintView | null; available: FingerprintView[] };
  density: { rows: number; embedder: string | null; method: string | null; params: Record<string, JsonValue> | null; createdAt: string | null };
  overrides: { keep: number; drop: number };
  sampler: { spec: string; seed: number; steps: Array<{ step: string; entering: number; kept: number }> } | null;
  /** Why the chosen sampler cannot run (e.g. rows lack the score it needs). */
  samplerError: string | null;
  stats: DecisionStats;
}

export interface SamplerComparisonView {
  a: number;
  b: number;
  both: number;
  onlyA: number;
  onlyB: number;
  jaccard: number;
}

export interface NearestRowView {
  row: number;
  similarity: number;
  preview: string;
}

/** Buttons in the webview that run a VS Code command on the host (so palette and UI do the same). */
export type HostCommand = 'scoreSelected' | 'scoreAll' | 'selectModel' | 'computeDensity' | 'showNearest' | 'export';

export interface SearchQuery {
  pattern: string;
  regex: boolean;
  caseSensitive: boolean;
}

/** Request name -> params and result. Add a capability by adding an entry here. */
export interface Requests {
  /**
   * Rows at view positions [start, start+count), clipped to the view. Count is at most MAX_PAGE_ROWS.
   * viewId 0 (or absent) is the identity view (positions are row numbers); a stale viewId is an error
   * and the webview asks again with the current one.
   */
  rows: { params: { start: number; count: number; viewId?: number }; result: { rows: RowView[] } };
  /** Sorts / filters the grid; the answer's viewId is used for `rows` until the next `viewChanged`. */
  setView: { params: { view: ViewSpec }; result: { viewId: number; rowCount: number } };
  /** Chooses the sampler whose verdicts the decision column shows (null: none). */
  setSampler: { params: { spec: string | null; seed: number }; result: { summary: CurationSummary } };
  /** Manual keep / drop (null clears) on top of the sampler, stored with the rows' text hashes. */
  setOverride: { params: { selection: RowSelection; decision: 'keep' | 'drop' | null }; result: { changed: number } };
  /** Compares two samplers' own verdicts (overrides left out); enables the `compare` view filter. */
  compare: { params: { a: string; b: string; seed: number }; result: SamplerComparisonView };
  /** Which model + prompt's Ask-LLM scores are shown. */
  setFingerprint: { params: { key: string }; result: { summary: CurationSummary } };
  /** The rows closest to `row` by embedding, with cosine similarity (needs a density run's embedder). */
  nearestRows: { params: { row: number; k: number }; result: { rows: NearestRowView[] } };
  /** The sampler step kinds (names, labels, coverage-preserving flag) for the sampler panel. */
  samplerKinds: { params: Record<string, never>; result: { kinds: StepKindInfo[] } };
  /** Starts a search over the whole shard; results arrive as `searchProgress` events. */
  search: { params: { searchId: number; query: SearchQuery }; result: { started: true } };
  cancelSearch: { params: { searchId: number }; result: { cancelled: boolean } };
  /** The malformed lines found while indexing (first MAX_MALFORMED_EXAMPLES). */
  malformed: { params: Record<string, never>; result: { count: number; examples: MalformedLine[] } };
  setTextField: { params: { field: string }; result: { info: ShardInfo } };
}

export type RequestMethod = keyof Requests;
export type RequestParams<M extends RequestMethod> = Requests[M]['params'];
export type RequestResult<M extends RequestMethod> = Requests[M]['result'];

export const MAX_PAGE_ROWS = 1000;

export type RequestMessage = {
  [M in RequestMethod]: { type: 'request'; id: number; method: M; params: RequestParams<M> };
}[RequestMethod];

export type ResponseMessage =
  | { type: 'response'; id: number; ok: true; result: unknown }
  | { type: 'response'; id: number; ok: false; error: string };

/** webview -> host */
export type FromWebviewMessage =
  | { type: 'ready' }
  | RequestMessage
  /** An uncaught error in the webview, for the host's log. */
  | { type: 'log'; level: 'error' | 'info'; message: string }
  /** The grid's selection changed (the host keeps it for "Score Selected Rows" and keep/drop). */
  | { type: 'selection'; selection: RowSelection; focusedRow: number | null }
  /** A toolbar button: the host runs the matching VS Code command. */
  | { type: 'runCommand'; command: HostCommand };

/** host -> webview */
export type ToWebviewMessage =
  | ResponseMessage
  | { type: 'shardInfo'; info: ShardInfo }
  | { type: 'indexProgress'; bytesDone: number; bytesTotal: number; rows: number }
  /** A fatal problem with the shard (cannot be read): the webview shows it instead of the grid. */
  | { type: 'shardError'; message: string }
  /** Annotations of these rows changed (all rows when absent): drop cached pages, fetch again. */
  | { type: 'annotationsChanged'; rows?: number[] }
  /** The host recomputed the current view (new scores under a sort or filter): use this viewId. */
  | { type: 'viewChanged'; viewId: number; rowCount: number }
  | { type: 'summary'; summary: CurationSummary }
  /** Rows closest to a row, asked for by the "Show Nearest Rows" command. */
  | { type: 'nearestRows'; row: number; rows: NearestRowView[] }
  | {
      type: 'searchProgress';
      searchId: number;
      /** Rows scanned so far and the total to scan. */
      scanned: number;
      total: number;
      /** New matching row indices since the previous event, ascending. */
      matches: number[];
      done: boolean;
      /** Set when the search stopped early: bad regex, cancelled, match cap reached. */
      error?: string;
    };

/** Cap on matches reported by one search; the UI says when it was reached. */
export const MAX_SEARCH_MATCHES = 100_000;
