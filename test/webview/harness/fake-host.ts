/**
 * Stands in for the extension host: answers the webview's requests from a FakeShard, runs searches
 * in slices (with searchProgress events and cancel), and records every message for the tests.
 * Messages reach the page by a `message` event, as VS Code delivers them.
 */
import type { Page } from 'playwright-core';
import {
  MAX_PAGE_ROWS, MAX_SEARCH_MATCHES,
  type FromWebviewMessage, type RequestMessage, type RequestMethod, type RequestParams, type SearchQuery, type ToWebviewMessage,
} from '../../../extension/protocol';
import { STEP_KINDS } from '../../../extension/core/curate/spec';
import { FakeCuration } from './curation';
import type { FakeShard } from './shards';

/** Rows scanned per search slice (one searchProgress event each). */
const SEARCH_SLICE = 2000;

export class FakeHost {
  readonly requests: RequestMessage[] = [];
  readonly logs: Array<{ level: string; message: string }> = [];
  /** Every `selection` and `runCommand` event, in order. */
  readonly events: FromWebviewMessage[] = [];
  curation: FakeCuration;
  /** The last selection the webview reported (rows resolved through its view). */
  selectedRows: number[] = [];
  focusedRow: number | null = null;
  readyCount = 0;
  /** What vscode.setState last received; served to the page on (re)load like VS Code does. */
  savedState: unknown;
  /** Delay before each `rows` answer, to make in-flight behaviour observable. */
  rowsDelayMs = 0;
  /** When false, `ready` is not answered with shardInfo (the test sends events itself). */
  autoInfo = true;
  /**
   * Whether `ready` is also answered with the curation summary, as the extension does. Off by default
   * for shards of millions of rows: whole-shard stats take seconds of the test process's only thread,
   * and tests of the grid alone do not need them (call sendSummary()).
   */
  autoSummary: boolean;
  private page: Page | undefined;
  private activeSearch: { searchId: number; cancelled: boolean } | undefined;

  constructor(public shard: FakeShard) {
    this.curation = new FakeCuration(shard);
    this.autoSummary = shard.info.rowCount <= 1_000_000;
  }

  requestsOf<M extends RequestMethod>(method: M): Array<RequestParams<M>> {
    return this.requests.filter((r) => r.method === method).map((r) => r.params as unknown as RequestParams<M>);
  }

  /** Sends the summary, as the real host does whenever annotations or decisions change. */
  async sendSummary(): Promise<void> {
    await this.send({ type: 'summary', summary: this.curation.summary() });
  }

  attach(page: Page): void {
    this.page = page;
  }

  rowRequests(): Array<{ start: number; count: number }> {
    return this.requests.filter((r) => r.method === 'rows').map((r) => r.params as { start: number; count: number });
  }

  async send(message: ToWebviewMessage): Promise<void> {
    if (!this.page || this.page.isClosed()) return;
    // `unknown`: Playwright's serializable-type check recurses forever on the JsonValue union.
    const data: unknown = message;
    await this.page.evaluate((payload) => window.dispatchEvent(new MessageEvent('message', { data: payload })), data).catch((error: Error) => {
      // A reload tears down the page under an in-flight answer; the new page asks again.
      if (!/Execution context was destroyed|Target page, context or browser has been closed/.test(error.message)) throw error;
    });
  }

  receive(message: FromWebviewMessage): void {
    if (message.type === 'ready') {
      this.readyCount++;
      if (this.autoInfo) void this.send({ type: 'shardInfo', info: this.shard.info }).then(() => (this.autoSummary ? this.sendSummary() : undefined));
    } else if (message.type === 'log') {
      this.logs.push({ level: message.level, message: message.message });
    } else if (message.type === 'selection') {
      this.events.push(message);
      const rows: number[] = [];
      for (const [start, end] of message.selection.ranges) for (let p = start; p < end && rows.length < 100_000; p++) rows.push(this.curation.rowAt(message.selection.viewId, p));
      this.selectedRows = rows;
      this.focusedRow = message.focusedRow;
    } else if (message.type === 'runCommand') {
      this.events.push(message);
      if (message.command === 'showNearest' && this.focusedRow !== null) {
        void this.send({ type: 'nearestRows', row: this.focusedRow, rows: this.curation.nearest(this.focusedRow, 5) });
      }
    } else if (message.type === 'request') {
      this.requests.push(message);
      void this.answer(message);
    }
  }

  private async answer(request: RequestMessage): Promise<void> {
    try {
      const result = await this.handle(request);
      await this.send({ type: 'response', id: request.id, ok: true, result });
    } catch (error) {
      await this.send({ type: 'response', id: request.id, ok: false, error: (error as Error).message });
    }
  }

  private async handle(request: RequestMessage): Promise<unknown> {
    switch (request.method) {
      case 'rows': {
        const { start, count, viewId = 0 } = request.params;
        if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || count > MAX_PAGE_ROWS) {
          throw new Error(`rows: bad range ${start}+${count}`);
        }
        if (this.rowsDelayMs) await new Promise((r) => setTimeout(r, this.rowsDelayMs));
        const end = Math.min(start + count, viewId === 0 ? this.shard.info.rowCount : this.curation.viewLength);
        const rows = [];
        for (let p = start; p < end; p++) rows.push(this.curation.row(this.curation.rowAt(viewId, p)));
        return { rows };
      }
      case 'setView':
        return this.curation.setView(request.params.view);
      case 'setSampler': {
        this.curation.setSampler(request.params.spec, request.params.seed);
        void this.send({ type: 'annotationsChanged' });
        return { summary: this.curation.summary() };
      }
      case 'setOverride': {
        const { selection, decision } = request.params;
        const rows: number[] = [];
        for (const [start, end] of selection.ranges) for (let p = start; p < end; p++) rows.push(this.curation.rowAt(selection.viewId, p));
        const changed = this.curation.setOverride(rows, decision);
        void this.send({ type: 'annotationsChanged', rows: changed }).then(() => this.sendSummary());
        return { changed: changed.length };
      }
      case 'compare':
        return this.curation.compare(request.params.a, request.params.b, request.params.seed);
      case 'setFingerprint':
        return { summary: this.curation.summary() };
      case 'nearestRows':
        return { rows: this.curation.nearest(request.params.row, request.params.k) };
      case 'samplerKinds':
        return { kinds: STEP_KINDS };
      case 'search': {
        const { searchId, query } = request.params;
        const matcher = compile(query);
        if (this.activeSearch) this.activeSearch.cancelled = true;
        const search = { searchId, cancelled: false };
        this.activeSearch = search;
        void this.runSearch(search, matcher);
        return { started: true };
      }
      case 'cancelSearch': {
        const active = this.activeSearch;
        if (!active || active.searchId !== request.params.searchId) return { cancelled: false };
        active.cancelled = true;
        return { cancelled: true };
      }
      case 'malformed':
        return { count: this.shard.info.malformedCount, examples: this.shard.malformed };
      case 'setTextField': {
        if (!this.shard.setTextField?.(request.params.field)) throw new Error(`text field "${request.params.field}" is not a string column`);
        return { info: this.shard.info };
      }
    }
  }

  private async runSearch(search: { searchId: number; cancelled: boolean }, matches: (text: string) => boolean): Promise<void> {
    const total = this.shard.info.rowCount;
    let found = 0;
    for (let start = 0; start < total; start += SEARCH_SLICE) {
      await new Promise((r) => setImmediate(r));
      if (!this.page || this.page.isClosed()) return;
      if (search.cancelled) {
        await this.send({ type: 'searchProgress', searchId: search.searchId, scanned: start, total, matches: [], done: true, error: 'Cancelled.' });
        return;
      }
      const hits: number[] = [];
      const end = Math.min(total, start + SEARCH_SLICE);
      for (let i = start; i < end && found < MAX_SEARCH_MATCHES; i++) {
        if (matches(this.shard.row(i).text)) {
          hits.push(i);
          found++;
        }
      }
      const done = end === total || found >= MAX_SEARCH_MATCHES;
      await this.send({ type: 'searchProgress', searchId: search.searchId, scanned: end, total, matches: hits, done, ...(found >= MAX_SEARCH_MATCHES ? { error: 'Stopped at the match limit.' } : {}) });
      if (done) break;
    }
    if (this.activeSearch === search) this.activeSearch = undefined;
  }
}

function compile(query: SearchQuery): (text: string) => boolean {
  if (query.regex) {
    let re: RegExp;
    try {
      re = new RegExp(query.pattern, query.caseSensitive ? 'u' : 'iu');
    } catch (error) {
      throw new Error(`Invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
    return (text) => re.test(text);
  }
  if (query.caseSensitive) return (text) => text.includes(query.pattern);
  const needle = query.pattern.toLowerCase();
  return (text) => text.toLowerCase().includes(needle);
}
