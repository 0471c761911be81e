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

export type { Column, JsonValue, MalformedLine, ShardFormat };

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
}

export interface SearchQuery {
  pattern: string;
  regex: boolean;
  caseSensitive: boolean;
}

/** Request name -> params and result. Add a capability by adding an entry here. */
export interface Requests {
  /** Rows [start, start+count), clipped to the shard. Count is at most MAX_PAGE_ROWS. */
  rows: { params: { start: number; count: number }; result: { rows: RowView[] } };
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
  | { type: 'log'; level: 'error' | 'info'; message: string };

/** host -> webview */
export type ToWebviewMessage =
  | ResponseMessage
  | { type: 'shardInfo'; info: ShardInfo }
  | { type: 'indexProgress'; bytesDone: number; bytesTotal: number; rows: number }
  /** A fatal problem with the shard (cannot be read): the webview shows it instead of the grid. */
  | { type: 'shardError'; message: string }
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
