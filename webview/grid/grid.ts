/**
 * The virtual row grid. Only the rows in view exist in the DOM (a small pool, reused by row index);
 * the scroll range is bounded (see scroll-map.ts) and `virtualTop`, the offset of the view in the
 * full-height row space, is the source of truth for what is shown.
 *
 * Accessibility is also the test surface: the element with role="grid" has aria-rowcount equal to
 * the view's row count exactly (the shard's in the identity view). The header row sits outside that
 * element and is not counted; each data row has aria-rowindex = view position + 1.
 *
 * Positions are view positions: in a sorted or filtered view (viewId != 0) position i shows whatever
 * row the host put there, and the # column shows that row's own number.
 */
import type { RowView, ShardInfo, SortKey, ViewSpec } from '../../extension/protocol';
import { button } from '../controls';
import { el, formatCount } from '../dom';
import type { ViewStateStore } from '../state';
import { ColumnChooser } from './column-chooser';
import { buildColumns, MIN_COLUMN_WIDTH, type ColumnDef } from './columns';
import type { RowCache } from './row-cache';
import { ScrollMap } from './scroll-map';
import { RowSelection } from './selection';

export const ROW_HEIGHT = 22;
/** Rows are positioned relative to a multiple of this row index (see render). */
const BASE_ROW_STEP = 1024;

/** What a column looks like and does; equal keys mean the header and cells need no rebuild. */
function columnsKey(columns: ColumnDef[]): string {
  return JSON.stringify(columns.map((c) => [c.id, c.title, c.description, c.defaultWidth, c.align, c.numeric, c.sortKey]));
}

interface PooledRow {
  element: HTMLElement;
  cells: HTMLElement[];
  /** What the element currently shows, to skip DOM writes when nothing changed. */
  row: number;
  /** The row data drawn (a refetched page brings new objects: redraw). */
  data: RowView | undefined;
  version: number;
  /** Offset from the base row, in px, last written to the element. */
  top: number;
}

export interface GridEvents {
  /** The active row (the one the detail pane shows) changed; -1 for none. */
  onActiveRowChange(row: number): void;
  /** Any change of the selected positions. */
  onSelectionChange(): void;
  /** A sortable column's header was clicked. */
  onSortClick(key: SortKey): void;
}

export class Grid {
  readonly element: HTMLElement;
  readonly selection: RowSelection;
  private readonly header: HTMLElement;
  private readonly headerRow: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly rowsLayer: HTMLElement;
  private readonly rowsInner: HTMLElement;
  private readonly emptyMessage: HTMLElement;
  private readonly chooser: ColumnChooser;
  private readonly pool: PooledRow[] = [];
  private allColumns: ColumnDef[] = [];
  private columns: ColumnDef[] = [];
  private readonly hidden: Set<string>;
  private map = new ScrollMap(0, ROW_HEIGHT, 0);
  private virtualTop = 0;
  /** The scrollTop we last set or saw, to tell our own scroll events from the user's. */
  private knownScrollTop = 0;
  private lastFirstRow = 0;
  /** Which side the page ahead is fetched on. */
  private scrollDirection: 1 | -1 = 1;
  /** Saved first row waiting for the index to grow that far (view state restored while indexing). */
  private pendingTopRow: number | undefined;
  /** False until the first shardInfo: a restored scroll position waits for the row count. */
  private indexed = false;
  /** Bumped whenever every rendered row must be redrawn (columns, selection, data reset). */
  private version = 0;
  private renderQueued = false;
  private baseRow = 0;
  private renderedActiveId = '';
  private renderedScrollLeft = 0;
  private matchRows: ReadonlySet<number> = new Set();
  /** True in the identity view, where a position is the row number (known before the data). */
  private identity = true;
  private sort: ViewSpec['sort'];

  constructor(
    private readonly store: ViewStateStore,
    private readonly cache: RowCache,
    private readonly events: GridEvents,
  ) {
    this.selection = new RowSelection(store.state.selection);
    this.hidden = new Set(store.state.columns.hidden);
    this.pendingTopRow = store.state.topRow;

    this.headerRow = el('div', { className: 'grid-header-row' });
    const chooserButton = button({ label: '☰', title: 'Choose columns', icon: true, className: 'column-chooser-button', onClick: () => this.toggleChooser() });
    this.chooser = new ColumnChooser(chooserButton, (id, visible) => this.setColumnVisible(id, visible));
    const headerScroll = el('div', { className: 'grid-header-scroll' }, [this.headerRow]);
    // The header follows the rows by a transform; focusing or revealing a header cell must not scroll it too.
    headerScroll.addEventListener('scroll', () => (headerScroll.scrollLeft = 0));
    this.header = el('div', { className: 'grid-header' }, [headerScroll, chooserButton, this.chooser.element]);

    this.spacer = el('div', { className: 'grid-spacer', attrs: { 'aria-hidden': 'true' } });
    this.rowsInner = el('div', { className: 'grid-rows-inner' });
    this.rowsLayer = el('div', { className: 'grid-rows', attrs: { role: 'rowgroup' } }, [this.rowsInner]);
    this.viewport = el('div', {
      className: 'grid-viewport',
      attrs: { role: 'grid', tabindex: '0', 'aria-multiselectable': 'true', 'aria-rowcount': '0', 'aria-label': 'Rows' },
    }, [this.rowsLayer, this.spacer]);
    this.emptyMessage = el('div', { className: 'grid-empty', text: 'This shard has no rows.' });
    this.emptyMessage.hidden = true;
    this.element = el('div', { className: 'grid' }, [this.header, this.viewport, this.emptyMessage]);
    this.element.style.setProperty('--row-height', `${ROW_HEIGHT}px`);

    this.viewport.addEventListener('scroll', () => this.onScroll());
    this.viewport.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    this.viewport.addEventListener('keydown', (event) => this.onKeyDown(event));
    this.viewport.addEventListener('mousedown', (event) => this.onMouseDown(event));
    new ResizeObserver(() => this.layout()).observe(this.viewport);
  }

  get rowCount(): number {
    return this.map.rowCount;
  }

  focus(): void {
    this.viewport.focus({ preventScroll: true });
  }

  /**
   * A new or changed shard (text field switched, columns changed). The host sends shardInfo again
   * as indexing goes on; unchanged columns keep their header and row cells: rebuilding them under a
   * click in progress (mousedown on the old header cell, mouseup on the new one) would lose it.
   */
  setShard(info: ShardInfo): void {
    this.viewport.setAttribute('aria-label', `Rows of ${info.fileName}`);
    const columns = buildColumns(info);
    if (columnsKey(columns) !== columnsKey(this.allColumns)) {
      this.allColumns = columns;
      this.applyColumns();
    }
    this.setRowCount(info.rowCount, info.indexed);
  }

  setRowCount(rowCount: number, indexed: boolean): void {
    this.indexed = indexed;
    this.cache.setRowCount(rowCount);
    this.map = new ScrollMap(rowCount, ROW_HEIGHT, this.map.viewportHeight);
    this.viewport.setAttribute('aria-rowcount', String(rowCount));
    this.spacer.style.height = `${this.map.spacerHeight}px`;
    this.emptyMessage.hidden = !(indexed && rowCount === 0);
    if (indexed) this.selection.clip(rowCount);
    this.applyPendingTop();
    this.setVirtualTop(this.virtualTop);
  }

  /**
   * Switch to another view of the rows (sort / filter): new row count, selection cleared, back to
   * the top (unless restoring a saved view). The caller has cleared the row cache.
   */
  setView(rowCount: number, identity: boolean, sort: ViewSpec['sort'], keepPosition = false): void {
    this.identity = identity;
    this.sort = sort;
    this.renderSortIndicators();
    if (!keepPosition) {
      this.selection.clear();
      this.virtualTop = 0;
    }
    this.setRowCount(rowCount, true);
    this.selectionChanged();
  }

  /** The host recomputed the same view (new scores): keep the scroll position, clip the selection. */
  setViewRowCount(rowCount: number): void {
    this.setRowCount(rowCount, true);
  }

  /** View positions [first, last] in the viewport. */
  visibleRange(): [number, number] {
    const first = Math.floor(this.virtualTop / ROW_HEIGHT);
    const count = Math.ceil(this.map.viewportHeight / ROW_HEIGHT);
    return [first, Math.min(this.rowCount - 1, first + count)];
  }

  /** The selection as half-open [start, end) position ranges (the protocol's RowSelection form). */
  selectionRanges(): Array<[number, number]> {
    return this.selection.ranges.map(([a, b]) => [a, b + 1]);
  }

  /** Make `position` the active row without scrolling (the row it shows moved there). */
  moveActive(position: number): void {
    if (position < 0 || position >= this.rowCount) return;
    this.selection.selectOnly(position);
    this.selectionChanged();
  }

  /** Rows of the current search results (row numbers) get a match marker. */
  setMatches(rows: ReadonlySet<number>): void {
    this.matchRows = rows;
    this.invalidate();
  }

  /** Redraw every row (data was reset, or selection/marks changed). */
  invalidate(): void {
    this.version++;
    this.queueRender();
  }

  /** Called when a page of rows arrived. */
  queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  /** Select `row` alone and scroll it into view (search results, keyboard). */
  selectRow(row: number): void {
    if (row < 0 || row >= this.rowCount) return;
    this.selection.selectOnly(row);
    this.selectionChanged();
    this.reveal(row);
  }

  /** Scroll the least distance that shows `row` whole. */
  reveal(row: number): void {
    const top = row * ROW_HEIGHT;
    const height = this.map.viewportHeight;
    if (top < this.virtualTop) this.setVirtualTop(top);
    else if (top + ROW_HEIGHT > this.virtualTop + height) this.setVirtualTop(top + ROW_HEIGHT - height);
  }

  private renderSortIndicators(): void {
    for (const cell of this.headerRow.querySelectorAll<HTMLElement>('.grid-header-cell')) {
      const column = this.allColumns.find((c) => c.id === cell.dataset.column);
      const sorted = column?.sortKey !== undefined && (this.sort ? this.sort.key === column.sortKey : this.identity && column.sortKey === 'row');
      const descending = this.sort?.descending === true;
      if (column?.sortKey) cell.setAttribute('aria-sort', sorted ? (descending ? 'descending' : 'ascending') : 'none');
      cell.classList.toggle('sorted', sorted && this.sort !== undefined);
      const indicator = cell.querySelector('.sort-indicator');
      if (indicator) indicator.textContent = sorted && this.sort ? (descending ? '▼' : '▲') : '';
    }
  }

  private applyPendingTop(): void {
    if (this.pendingTopRow === undefined || this.map.viewportHeight === 0) return;
    const top = this.pendingTopRow * ROW_HEIGHT;
    if (top <= this.map.maxVirtualTop || this.indexed) {
      this.virtualTop = this.map.clampVirtualTop(top);
      this.pendingTopRow = undefined;
      this.viewport.scrollLeft = this.store.state.scrollLeft;
      this.renderedScrollLeft = this.viewport.scrollLeft;
    }
  }

  private layout(): void {
    this.map = new ScrollMap(this.map.rowCount, ROW_HEIGHT, this.viewport.clientHeight);
    this.spacer.style.height = `${this.map.spacerHeight}px`;
    const needed = Math.ceil(this.map.viewportHeight / ROW_HEIGHT) + 1;
    while (this.pool.length < needed) this.pool.push(this.createPooledRow());
    this.applyPendingTop();
    this.setVirtualTop(this.virtualTop);
  }

  /** Moves the view; `now` draws at once (keys, clicks), otherwise at the next frame (wheel). */
  private setVirtualTop(top: number, now = true): void {
    this.virtualTop = this.map.clampVirtualTop(top);
    if (now) this.render();
    else this.queueRender();
  }

  /**
   * Moves the native scrollbar to match virtualTop. Done first thing in render, while layout is
   * still clean (a scrollTop write after DOM changes forces a synchronous layout), and never read
   * back for the same reason.
   */
  private syncScrollTop(): void {
    const scrollTop = this.map.scrollTopFromVirtualTop(this.virtualTop);
    if (Math.abs(this.knownScrollTop - scrollTop) < 0.5) return;
    this.viewport.scrollTop = scrollTop;
    this.knownScrollTop = scrollTop;
  }

  private onScroll(): void {
    const scrollTop = this.viewport.scrollTop;
    // Our own writes land within a pixel or two of what was asked (Chromium snaps scroll offsets,
    // not always to the nearest pixel); anything further is the user moving the scrollbar.
    if (Math.abs(scrollTop - this.knownScrollTop) >= 2) {
      this.virtualTop = this.map.virtualTopFromScrollTop(scrollTop);
      this.knownScrollTop = scrollTop;
    }
    const scrollLeft = this.viewport.scrollLeft;
    if (scrollLeft !== this.renderedScrollLeft) {
      this.renderedScrollLeft = scrollLeft;
      this.headerRow.style.transform = `translateX(${-scrollLeft}px)`;
    }
    this.queueRender();
  }

  /** In a scaled range one native wheel notch would skip hundreds of rows: scroll the rows instead. */
  private onWheel(event: WheelEvent): void {
    if (!this.map.scaled || event.ctrlKey || Math.abs(event.deltaY) <= Math.abs(event.deltaX)) return;
    event.preventDefault();
    const unit = event.deltaMode === WheelEvent.DOM_DELTA_LINE ? ROW_HEIGHT : event.deltaMode === WheelEvent.DOM_DELTA_PAGE ? this.map.viewportHeight : 1;
    this.setVirtualTop(this.virtualTop + event.deltaY * unit, false);
  }

  private render(): void {
    this.syncScrollTop();
    const rowCount = this.rowCount;
    const viewportHeight = this.map.viewportHeight;
    const first = Math.floor(this.virtualTop / ROW_HEIGHT);
    const offset = this.virtualTop - first * ROW_HEIGHT;
    const visible = Math.min(this.pool.length, Math.ceil((viewportHeight + offset) / ROW_HEIGHT), Math.max(0, rowCount - first));
    const active = this.selection.active;
    let activeId = '';
    // Rows sit at fixed offsets from a base row and only the layer moves, so scrolling by a few
    // rows restyles the layer and the rows that came into view, not every row.
    const baseRow = Math.floor(first / BASE_ROW_STEP) * BASE_ROW_STEP;
    if (baseRow !== this.baseRow) {
      this.baseRow = baseRow;
      for (const pooled of this.pool) pooled.top = NaN;
    }
    this.rowsInner.style.transform = `translateY(${-((first - baseRow) * ROW_HEIGHT + offset)}px)`;
    for (let row = first; row < first + visible; row++) {
      const pooled = this.pool[row % this.pool.length];
      const data = this.cache.get(row);
      if (pooled.row !== row || pooled.data !== data || pooled.version !== this.version) {
        this.fillRow(pooled, row);
      }
      if (pooled.element.hidden) pooled.element.hidden = false;
      const top = (row - baseRow) * ROW_HEIGHT;
      if (pooled.top !== top) {
        pooled.top = top;
        pooled.element.style.transform = `translateY(${top}px)`;
      }
      if (row === active) activeId = pooled.element.id;
    }
    // Pool slots not used this frame (end of the shard, or the viewport shrank).
    for (const pooled of this.pool) {
      if (pooled.row < first || pooled.row >= first + visible || this.pool[pooled.row % this.pool.length] !== pooled) {
        if (!pooled.element.hidden) pooled.element.hidden = true;
        pooled.row = -1;
      }
    }
    if (activeId !== this.renderedActiveId) {
      this.renderedActiveId = activeId;
      if (activeId) this.viewport.setAttribute('aria-activedescendant', activeId);
      else this.viewport.removeAttribute('aria-activedescendant');
    }
    if (first !== this.lastFirstRow) this.scrollDirection = first > this.lastFirstRow ? 1 : -1;
    this.lastFirstRow = first;
    this.cache.want(first, first + visible - 1, this.scrollDirection);
    const topRow = this.virtualTop / ROW_HEIGHT;
    if (this.pendingTopRow === undefined && (topRow !== this.store.state.topRow || this.renderedScrollLeft !== this.store.state.scrollLeft)) {
      this.store.update((s) => {
        s.topRow = topRow;
        s.scrollLeft = this.renderedScrollLeft;
      });
    }
  }

  private createPooledRow(): PooledRow {
    const element = el('div', { className: 'grid-row', attrs: { role: 'row' } });
    element.id = `grid-row-${this.pool.length}`;
    element.hidden = true;
    this.rowsInner.append(element);
    const pooled: PooledRow = { element, cells: [], row: -1, data: undefined, version: -1, top: NaN };
    this.buildCells(pooled);
    return pooled;
  }

  private buildCells(pooled: PooledRow): void {
    pooled.cells = this.columns.map((column, i) =>
      el('div', {
        className: `grid-cell${column.numeric ? ' numeric' : ''}${column.align === 'right' ? ' right' : ''}`,
        attrs: { role: 'gridcell', 'aria-colindex': String(i + 1) },
      }),
    );
    pooled.element.replaceChildren(...pooled.cells);
    pooled.row = -1;
  }

  private fillRow(pooled: PooledRow, row: number): void {
    const data = this.cache.get(row);
    const { element, cells } = pooled;
    element.setAttribute('aria-rowindex', String(row + 1));
    element.dataset.row = String(row);
    const selected = this.selection.has(row);
    element.setAttribute('aria-selected', String(selected));
    element.classList.toggle('selected', selected);
    element.classList.toggle('active', row === this.selection.active);
    element.classList.toggle('match', data !== undefined && this.matchRows.has(data.row));
    element.classList.toggle('odd', row % 2 === 1);
    element.classList.toggle('loading', !data);
    for (let i = 0; i < this.columns.length; i++) {
      const column = this.columns[i];
      // Row numbers are known without the data; the rest waits for the page.
      if (column.render) {
        column.render(cells[i], data);
        continue;
      }
      const text = data ? column.cell(data) : column.id === 'row' && this.identity ? formatCount(row + 1) : '';
      if (cells[i].textContent !== text) cells[i].textContent = text;
    }
    pooled.row = row;
    pooled.data = data;
    pooled.version = this.version;
  }

  private applyColumns(): void {
    this.columns = this.allColumns.filter((c) => !this.hidden.has(c.id));
    if (this.columns.length === 0) this.columns = this.allColumns.slice(0, 1);
    const widths = this.columns.map((c) => this.widthOf(c));
    this.element.style.setProperty('--grid-columns', widths.map((w) => `${w}px`).join(' '));
    const total = widths.reduce((a, b) => a + b, 0);
    this.element.style.setProperty('--grid-width', `${total}px`);
    this.viewport.setAttribute('aria-colcount', String(this.columns.length));
    this.headerRow.replaceChildren(...this.columns.map((column) => this.headerCell(column)));
    this.renderSortIndicators();
    for (const pooled of this.pool) this.buildCells(pooled);
    this.invalidate();
  }

  private widthOf(column: ColumnDef): number {
    return this.store.state.columns.widths[column.id] ?? column.defaultWidth;
  }

  private headerCell(column: ColumnDef): HTMLElement {
    const handle = el('div', { className: 'column-resize', attrs: { 'aria-hidden': 'true', title: 'Drag to resize; double-click to reset' } });
    const cell = el('div', { className: `grid-header-cell${column.align === 'right' ? ' right' : ''}${column.sortKey ? ' sortable' : ''}`, attrs: { title: column.description, 'data-column': column.id } }, [
      column.sortKey ? el('span', { className: 'sort-indicator', attrs: { 'aria-hidden': 'true' } }) : undefined,
      el('span', { className: 'grid-header-title', text: column.title }),
      handle,
    ]);
    const sortKey = column.sortKey;
    if (sortKey) {
      cell.addEventListener('click', (event) => {
        if (event.target !== handle) this.events.onSortClick(sortKey);
      });
    }
    handle.addEventListener('pointerdown', (event) => {
      event.preventDefault();
      handle.setPointerCapture(event.pointerId);
      const startX = event.clientX;
      const startWidth = this.widthOf(column);
      const move = (e: PointerEvent) => {
        const width = Math.max(MIN_COLUMN_WIDTH, Math.round(startWidth + e.clientX - startX));
        this.store.update((s) => (s.columns.widths[column.id] = width));
        this.applyWidths();
      };
      const up = () => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
        handle.removeEventListener('pointercancel', up);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
      handle.addEventListener('pointercancel', up);
    });
    handle.addEventListener('dblclick', () => {
      this.store.update((s) => delete s.columns.widths[column.id]);
      this.applyWidths();
    });
    return cell;
  }

  /** Width changes only touch two CSS variables; no row is rebuilt. */
  private applyWidths(): void {
    const widths = this.columns.map((c) => this.widthOf(c));
    this.element.style.setProperty('--grid-columns', widths.map((w) => `${w}px`).join(' '));
    this.element.style.setProperty('--grid-width', `${widths.reduce((a, b) => a + b, 0)}px`);
  }

  private toggleChooser(): void {
    if (this.chooser.isOpen) this.chooser.close();
    else this.chooser.open(this.allColumns, this.hidden);
  }

  private setColumnVisible(id: string, visible: boolean): void {
    if (visible) this.hidden.delete(id);
    else this.hidden.add(id);
    this.store.update((s) => (s.columns.hidden = [...this.hidden]));
    this.applyColumns();
  }

  private selectionChanged(): void {
    this.store.update(() => undefined);
    // Drawn now, not next frame: the selection must never lag the key or click that made it.
    this.version++;
    this.render();
    this.events.onActiveRowChange(this.selection.active);
    this.events.onSelectionChange();
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (this.rowCount === 0) return;
    const page = Math.max(1, Math.floor(this.map.viewportHeight / ROW_HEIGHT) - 1);
    const active = this.selection.active;
    const mod = event.ctrlKey || event.metaKey;
    let target: number;
    switch (event.key) {
      case 'ArrowDown': target = active < 0 ? 0 : active + 1; break;
      case 'ArrowUp': target = active < 0 ? 0 : active - 1; break;
      case 'PageDown': target = (active < 0 ? 0 : active) + page; break;
      case 'PageUp': target = (active < 0 ? 0 : active) - page; break;
      case 'Home': target = 0; break;
      case 'End': target = this.rowCount - 1; break;
      case 'a':
      case 'A':
        if (!mod) return;
        event.preventDefault();
        this.selection.selectAll(this.rowCount);
        this.selectionChanged();
        return;
      default:
        return;
    }
    event.preventDefault();
    target = Math.min(this.rowCount - 1, Math.max(0, target));
    if (event.shiftKey) this.selection.extendTo(target);
    else this.selection.selectOnly(target);
    this.selectionChanged();
    this.reveal(target);
  }

  private onMouseDown(event: MouseEvent): void {
    if (event.button !== 0) return;
    const rowElement = (event.target as HTMLElement).closest<HTMLElement>('.grid-row');
    if (!rowElement || rowElement.dataset.row === undefined) return;
    const row = Number(rowElement.dataset.row);
    if (event.shiftKey) {
      event.preventDefault(); // no text selection across rows
      this.selection.extendTo(row);
    } else if (event.ctrlKey || event.metaKey) {
      this.selection.toggle(row);
    } else {
      this.selection.selectOnly(row);
    }
    this.selectionChanged();
    this.focus();
  }
}
