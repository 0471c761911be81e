/**
 * Answers the shard editor's webview. Every message from the webview is untrusted: it is checked
 * here (types, integers, ranges clipped to the shard, page size, known columns, regex syntax) before
 * anything touches the shard. Bad messages are rejected and logged; nothing a webview sends can
 * throw out of `handle`. No `vscode` import: the host injects `post`, tests capture it.
 */
import { describeError, isCancelled, throwIfAborted, UserError } from '../core/errors';
import { compileMatcher, type TextQuery } from '../core/search/query';
import { searchShard } from '../core/search/search';
import {
  MAX_PAGE_ROWS,
  MAX_SEARCH_MATCHES,
  type RequestMethod,
  type RequestParams,
  type RequestResult,
  type RowView,
  type ToWebviewMessage,
} from '../protocol';
import type { Logger } from './logger';
import type { ShardSession } from './session';

type Validators = { [M in RequestMethod]: (params: Record<string, unknown>) => RequestParams<M> };
type Handlers = { [M in RequestMethod]: (params: RequestParams<M>) => Promise<RequestResult<M>> };

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

export class ShardRouter {
  private search: ActiveSearch | undefined;
  private readonly unsubscribe: () => void;
  private disposed = false;

  constructor(
    private readonly session: ShardSession,
    private readonly post: (message: ToWebviewMessage) => void,
    private readonly log: Logger,
  ) {
    this.unsubscribe = session.subscribe((event) => this.send(event));
  }

  /** Handles one message from the webview. Never throws. */
  async handle(message: unknown): Promise<void> {
    try {
      if (!isRecord(message) || typeof message.type !== 'string') return this.reject('not a message object', message);
      switch (message.type) {
        case 'ready':
          for (const event of this.session.snapshot()) this.send(event);
          return;
        case 'log':
          if ((message.level !== 'error' && message.level !== 'info') || typeof message.message !== 'string') {
            return this.reject('malformed log message', message);
          }
          if (message.level === 'error') this.log.error(`webview: ${clip(message.message, 4000)}`);
          else this.log.info(`webview: ${clip(message.message, 4000)}`);
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

  /** Stops the running search and detaches from the session (the panel closed). */
  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
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
      else if (!(err instanceof UserError)) this.log.error(`Request "${String(method)}" failed`, err);
      this.send({ type: 'response', id: requestId, ok: false, error: describeError(err) });
    }
  }

  private readonly validators: Validators = {
    rows: (p) => {
      const start = integer(p, 'start', 0);
      const count = integer(p, 'count', 0);
      if (count > MAX_PAGE_ROWS) throw new BadRequest(`rows: count ${count} is over the page limit of ${MAX_PAGE_ROWS}.`);
      return { start, count };
    },
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
    rows: async ({ start, count }) => {
      const shard = this.session.requireShard();
      // Clip to the rows known now (they grow while a JSONL shard is still being indexed).
      const end = Math.min(start + count, shard.rowCount);
      if (start >= end) return { rows: [] };
      const textField = shard.textField;
      const rows = await shard.readRows(start, end - start);
      return {
        rows: rows.map((r): RowView => {
          const fields = { ...r.fields };
          if (textField !== undefined) delete fields[textField];
          return { row: r.row, text: r.text, fields };
        }),
      };
    },
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
      return { info: this.session.setTextField(field) };
    },
  };

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
      const summary = await searchShard(shard.source(), query, {
        end: shard.rowCount,
        maxMatches: MAX_SEARCH_MATCHES,
        signal: abort.signal,
        onProgress: (p) => {
          scanned = p.scanned;
          if (p.done) return;
          this.send({ type: 'searchProgress', searchId, scanned: p.scanned, total: p.total, matches: p.matches, done: false });
        },
      });
      this.log.info(`Search ${searchId} over ${summary.scanned} rows: ${summary.matchCount} matches in ${Math.round(performance.now() - started)} ms`);
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
