/**
 * Pages of rows fetched from the host on demand and kept in an LRU. Only the pages the viewport asks
 * for (plus one ahead) are requested; a fast scrollbar drag across millions of rows does not queue a
 * request per page passed, because the wanted set is replaced on every render and at most
 * MAX_IN_FLIGHT requests run at once.
 */
import type { RowView } from '../../extension/protocol';

export const PAGE_ROWS = 100;
const MAX_IN_FLIGHT = 3;
const MAX_PAGES = 256;
/** Rows carry their full text (the detail pane needs it): bound the cache by characters too. */
const MAX_CACHED_CHARS = 64 * 1024 * 1024;
const RETRY_FAILED_AFTER_MS = 3000;
const SETTLE_AFTER_JUMP_MS = 50;

interface Page {
  rows: RowView[];
  chars: number;
}

export type FetchRows = (start: number, count: number) => Promise<RowView[]>;

export class RowCache {
  private readonly pages = new Map<number, Page>();
  private readonly inFlight = new Map<number, Promise<Page | undefined>>();
  private readonly failedAt = new Map<number, number>();
  /** Cached pages whose rows changed on the host: still shown (no flicker) until the new answer replaces them. */
  private readonly stale = new Set<number>();
  private wanted: number[] = [];
  /** Every page of the last viewport, cached or not. */
  private wantedWindow: number[] = [];
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  private cachedChars = 0;
  /** Bumped by clear(): answers to requests made before it are dropped. */
  private generation = 0;
  private rowCount = 0;

  constructor(
    private readonly fetchRows: FetchRows,
    private readonly onPageLoaded: () => void,
    private readonly onError: (error: Error) => void,
  ) {}

  get(row: number): RowView | undefined {
    const page = this.pages.get(Math.floor(row / PAGE_ROWS));
    return page?.rows[row % PAGE_ROWS];
  }

  setRowCount(rowCount: number): void {
    if (rowCount > this.rowCount) {
      // The last page may have been cut short by the old count (the index was still growing).
      const last = Math.floor((this.rowCount - 1) / PAGE_ROWS);
      const page = this.pages.get(last);
      if (page && page.rows.length < PAGE_ROWS) this.drop(last);
    }
    this.rowCount = rowCount;
  }

  /** Forget every row (the text field changed, or the shard was reloaded). */
  clear(): void {
    this.generation++;
    this.pages.clear();
    this.inFlight.clear();
    this.failedAt.clear();
    this.stale.clear();
    this.cachedChars = 0;
  }

  /**
   * The host changed some rows (annotations, or the order of the view): pages holding a row that
   * `affected` picks (every page when absent) are fetched again. Visible ones keep showing their old
   * rows until the new ones arrive; the others are dropped. Answers already on their way are ignored.
   */
  refresh(affected?: (row: RowView) => boolean): void {
    this.generation++;
    this.inFlight.clear();
    this.failedAt.clear();
    for (const [p, page] of [...this.pages]) {
      if (affected && !page.rows.some(affected)) continue;
      if (this.wantedWindow.includes(p)) this.stale.add(p);
      else this.drop(p);
    }
    this.wanted = this.wantedWindow.filter((p) => !this.pages.has(p) || this.stale.has(p));
    this.pump();
  }

  /** The view position of row number `row` among the cached pages, or -1. */
  positionOf(row: number): number {
    for (const [p, page] of this.pages) {
      const i = page.rows.findIndex((r) => r.row === row);
      if (i >= 0) return p * PAGE_ROWS + i;
    }
    return -1;
  }

  /** True when every page of the last viewport is loaded and current. */
  get settled(): boolean {
    return this.wantedWindow.every((p) => this.pages.has(p) && !this.stale.has(p));
  }

  /** The viewport shows rows [first, last]; `ahead` is +1 when scrolling down, -1 when up. */
  want(first: number, last: number, ahead: 1 | -1): void {
    if (this.rowCount === 0 || last < first) {
      this.wanted = [];
      return;
    }
    const firstPage = Math.floor(first / PAGE_ROWS);
    const lastPage = Math.floor(Math.min(last, this.rowCount - 1) / PAGE_ROWS);
    const pages: number[] = [];
    for (let p = firstPage; p <= lastPage; p++) pages.push(p);
    const extra = ahead > 0 ? lastPage + 1 : firstPage - 1;
    if (extra >= 0 && extra * PAGE_ROWS < this.rowCount) pages.push(extra);
    for (const p of pages) this.touch(p);
    // A viewport sharing no page with the previous one is a jump (scrollbar drag, End): wait until
    // it settles, so pages flown over are never requested.
    const jumped = !pages.some((p) => this.wantedWindow.includes(p));
    this.wantedWindow = pages;
    this.wanted = pages.filter((p) => !this.pages.has(p) || this.stale.has(p));
    clearTimeout(this.settleTimer);
    if (jumped && this.wanted.length) this.settleTimer = setTimeout(() => this.pump(), SETTLE_AFTER_JUMP_MS);
    else this.pump();
  }

  /** The row, fetched if needed (for the detail pane, outside the viewport's wanted set). */
  async load(row: number): Promise<RowView | undefined> {
    const page = await this.loadPage(Math.floor(row / PAGE_ROWS));
    return page?.rows[row % PAGE_ROWS];
  }

  private pump(): void {
    const now = Date.now();
    for (const p of this.wanted) {
      if (this.inFlight.size >= MAX_IN_FLIGHT) break;
      if (this.inFlight.has(p) || (this.pages.has(p) && !this.stale.has(p))) continue;
      if (now - (this.failedAt.get(p) ?? -Infinity) < RETRY_FAILED_AFTER_MS) continue;
      void this.loadPage(p);
    }
  }

  private loadPage(p: number): Promise<Page | undefined> {
    const cached = this.pages.get(p);
    if (cached && !this.stale.has(p)) return Promise.resolve(cached);
    const running = this.inFlight.get(p);
    if (running) return running;
    const generation = this.generation;
    const start = p * PAGE_ROWS;
    const count = Math.max(0, Math.min(PAGE_ROWS, this.rowCount - start));
    const promise = this.fetchRows(start, count).then(
      (rows) => {
        if (generation !== this.generation) return undefined;
        this.inFlight.delete(p);
        const page = { rows, chars: rows.reduce((n, r) => n + r.text.length, 0) };
        this.drop(p);
        this.pages.set(p, page);
        this.cachedChars += page.chars;
        this.evict(p);
        this.onPageLoaded();
        this.pump();
        return page;
      },
      (error: Error) => {
        if (generation !== this.generation) return undefined;
        this.inFlight.delete(p);
        this.failedAt.set(p, Date.now());
        this.onError(error);
        this.pump();
        return undefined;
      },
    );
    this.inFlight.set(p, promise);
    return promise;
  }

  /** Map order is recency order: re-insert on use. */
  private touch(p: number): void {
    const page = this.pages.get(p);
    if (page) {
      this.pages.delete(p);
      this.pages.set(p, page);
    }
  }

  private evict(keep: number): void {
    for (const p of this.pages.keys()) {
      if (this.pages.size <= MAX_PAGES && this.cachedChars <= MAX_CACHED_CHARS) break;
      if (p !== keep) this.drop(p);
    }
  }

  private drop(p: number): void {
    const page = this.pages.get(p);
    this.stale.delete(p);
    if (!page) return;
    this.pages.delete(p);
    this.cachedChars -= page.chars;
  }
}
