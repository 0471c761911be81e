/**
 * The shard editor's webview app: wires the message client, view state, grid, detail pane, search,
 * status line and the curation UI (toolbar, scores panel, sampler and compare panels, filter bar).
 *
 * Views: the grid shows view positions of the view `viewId` (0 = every row in row order). A sort or
 * filter is sent with setView; the answer's viewId is used for `rows` until the next viewChanged.
 */
import type { CurationSummary, HostCommand, ShardInfo, SortKey, ViewSpec } from '../extension/protocol';
import type { MessageClient } from './client';
import { ComparePanel } from './curation/compare-panel';
import { FilterBar } from './curation/filter-bar';
import type { ScoreRange } from './curation/histogram';
import { SamplerPanel } from './curation/sampler-panel';
import { ScoresPanel } from './curation/scores-panel';
import { CurationToolbar } from './curation/toolbar';
import { DetailPane } from './detail/detail';
import { el, formatCount } from './dom';
import { Grid } from './grid/grid';
import { RowCache } from './grid/row-cache';
import { MalformedList } from './panels/malformed';
import { SearchPanel } from './panels/search';
import { sanitizeViewSpec, type ViewStateStore } from './state';
import { StatusLine } from './status';

/** Selection events are sent after the selection rests this long (shift+arrow bursts send one). */
const SELECTION_DEBOUNCE_MS = 80;

/** Sorts whose first click goes high-to-low (scores, lengths); the row number starts low-to-high. */
const DESCENDING_FIRST: ReadonlySet<SortKey> = new Set(['askllm', 'density', 'chars']);

export class App {
  private readonly cache: RowCache;
  private readonly grid: Grid;
  private readonly detail: DetailPane;
  private readonly search: SearchPanel;
  private readonly status: StatusLine;
  private readonly malformed: MalformedList;
  private readonly toolbar: CurationToolbar;
  private readonly scores: ScoresPanel;
  private readonly sampler: SamplerPanel;
  private readonly compare: ComparePanel;
  private readonly filterBar: FilterBar;
  private info: ShardInfo | undefined;
  private view: ViewSpec;
  private viewId = 0;
  /** Set while a setView is on its way: row requests wait for its viewId. */
  private viewPending: Promise<void> | undefined;
  private viewToken = 0;
  /** After viewChanged: the row to keep focused once its new position is known. */
  private refocusRow: number | undefined;
  private selectionTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: MessageClient,
    private readonly store: ViewStateStore,
    reportError: (error: unknown) => void,
  ) {
    this.view = { ...store.state.view };
    this.cache = new RowCache(
      async (start, count) => {
        while (this.viewPending) await this.viewPending;
        return (await client.request('rows', { start, count, viewId: this.viewId })).rows;
      },
      () => this.onPageLoaded(),
      (error) => {
        this.status.setMessage(`Could not read rows: ${error.message}`);
        reportError(error);
      },
    );
    this.detail = new DetailPane(this.cache, {
      onShowNearest: () => this.runCommand('showNearest'),
      onJump: (row) => void this.jumpToRow(row),
    });
    this.grid = new Grid(store, this.cache, {
      onActiveRowChange: (row) => {
        this.detail.show(row);
        this.status.setSelection(this.grid.selection.size);
      },
      onSelectionChange: () => this.selectionChanged(),
      onSortClick: (key) => this.toggleSort(key),
    });
    this.search = new SearchPanel(client, store, {
      onJump: (row) => void this.jumpToRow(row),
      onMatchesChange: (matches) => this.grid.setMatches(matches),
      activeRow: () => this.focusedRow() ?? -1,
    });
    this.status = new StatusLine({
      onShowMalformed: (anchor) => void this.malformed.open(anchor),
      onTextFieldChange: (field) => void this.setTextField(field),
    });
    this.malformed = new MalformedList(client);
    this.toolbar = new CurationToolbar({
      onCommand: (command) => this.runCommand(command),
      onFingerprint: (key) => void this.setFingerprint(key),
    });
    const panels = store.state.panels;
    this.scores = new ScoresPanel({
      onRange: (score, range) => this.filterRange(score, range),
      onCommand: (command) => this.runCommand(command),
      onToggle: (open) => store.update((s) => (s.panels.scores = open)),
    }, panels.scores);
    this.sampler = new SamplerPanel({
      onPreview: async (spec, seed) => this.applySummary((await client.request('setSampler', { spec, seed })).summary),
      onCommand: (command) => this.runCommand(command),
      onChange: (spec, seed) => store.update((s) => (s.sampler = { spec, seed })),
      onToggle: (open) => store.update((s) => (s.panels.sampler = open)),
    }, store.state.sampler, panels.sampler);
    this.compare = new ComparePanel({
      onCompare: (a, b, seed) => client.request('compare', { a, b, seed }),
      onBrowse: (filter) => void this.setView({ ...this.view, compare: filter }),
      onChange: (a, b, seed) => store.update((s) => (s.compare = { a, b, seed })),
      onToggle: (open) => store.update((s) => (s.panels.compare = open)),
    }, store.state.compare, panels.compare);
    this.filterBar = new FilterBar({
      onDecisionFilter: (decision) => void this.setView({ ...this.view, decision }),
      onClear: (part) => {
        const view = { ...this.view };
        delete view[part];
        void this.setView(view);
      },
      onOverride: (decision) => void this.override(decision),
    });
    this.filterBar.setSelectionSize(this.grid.selection.size);

    const sidebar = el('aside', { className: 'sidebar', attrs: { 'aria-label': 'Sampler' } }, [this.sampler.section.element, this.compare.section.element]);
    const center = el('div', { className: 'center' }, [this.scores.section.element, this.filterBar.element, this.grid.element]);
    root.replaceChildren(
      el('div', { className: 'toolbar' }, [this.search.element, el('span', { className: 'spacer' }), this.toolbar.element]),
      el('div', { className: 'main' }, [sidebar, center, this.detail.element]),
      this.malformed.element,
      this.status.element,
    );
    root.classList.add('loading');

    client.on('shardInfo', ({ info }) => this.applyInfo(info));
    client.on('indexProgress', ({ rows, bytesDone, bytesTotal }) => {
      if (this.info?.indexed) return;
      this.grid.setRowCount(rows, false);
      this.status.setIndexing(rows, bytesTotal > 0 ? bytesDone / bytesTotal : undefined);
    });
    client.on('shardError', ({ message }) => this.showShardError(message));
    client.on('summary', ({ summary }) => this.applySummary(summary));
    client.on('annotationsChanged', ({ rows }) => {
      if (!rows) this.cache.refresh();
      else {
        const changed = new Set(rows);
        this.cache.refresh((r) => changed.has(r.row));
      }
    });
    client.on('viewChanged', ({ viewId, rowCount }) => this.onViewChanged(viewId, rowCount));
    client.on('nearestRows', ({ row, rows }) => this.detail.setNearest(row, rows));
    document.addEventListener('keydown', (event) => this.onGlobalKey(event));
  }

  private applyInfo(info: ShardInfo): void {
    const previous = this.info;
    this.info = info;
    this.root.classList.remove('loading');
    const reset = previous !== undefined && (previous.textField !== info.textField || JSON.stringify(previous.columns) !== JSON.stringify(info.columns));
    if (reset) this.cache.clear();
    this.detail.setTextField(info.textField);
    this.grid.setShard(info);
    this.status.setInfo(info);
    if (this.viewId === 0) {
      this.filterBar.setView(this.view, info.rowCount, info.rowCount);
    }
    if (!previous) {
      this.status.setSelection(this.grid.selection.size);
      this.detail.show(this.grid.selection.active);
      this.search.restore();
      void this.loadKinds();
      this.sampler.restore();
      this.compare.suggest(this.store.state.sampler.spec);
      // A saved sort / filter: the host builds the view again; the saved position is kept.
      if (Object.keys(this.view).length && info.indexed) void this.setView(this.view, true);
    } else if (reset) {
      this.detail.refresh();
    }
  }

  private async loadKinds(): Promise<void> {
    try {
      this.sampler.setKinds((await this.client.request('samplerKinds', {})).kinds);
    } catch (error) {
      this.status.setMessage(`Could not load the sampler steps: ${(error as Error).message}`);
    }
  }

  private applySummary(summary: CurationSummary): void {
    this.toolbar.setSummary(summary);
    this.scores.setSummary(summary);
    this.sampler.setSummary(summary);
  }

  // ---- views ----

  /** Sends a sort / filter to the host and shows its rows from the top (or the saved place on restore). */
  private async setView(view: ViewSpec, restore = false): Promise<void> {
    if (!this.info) return;
    const token = ++this.viewToken;
    this.view = view;
    this.store.update((s) => (s.view = sanitizeViewSpec(view)));
    this.scores.setRanges(view.askllmRange, view.densityRange);
    let settle!: () => void;
    this.viewPending = new Promise((resolve) => (settle = resolve));
    this.cache.clear();
    try {
      const { viewId, rowCount } = await this.client.request('setView', { view });
      if (token !== this.viewToken) return;
      this.viewId = viewId;
      this.viewPending = undefined;
      this.grid.setView(rowCount, viewId === 0, view.sort, restore);
      this.filterBar.setView(view, rowCount, this.info.rowCount);
      this.status.setMessage('');
    } catch (error) {
      if (token !== this.viewToken) return;
      this.status.setMessage(`Could not show these rows: ${(error as Error).message}`);
      this.viewPending = undefined;
    } finally {
      // Row requests waiting for this view go on (with the newest viewId when another view followed).
      settle();
    }
  }

  private onViewChanged(viewId: number, rowCount: number): void {
    // A setView on its way answers with the newest view itself.
    if (this.viewPending || !this.info) return;
    this.refocusRow = this.focusedRow();
    this.viewId = viewId;
    this.grid.setViewRowCount(rowCount);
    this.cache.refresh();
    this.filterBar.setView(this.view, rowCount, this.info.rowCount);
  }

  private onPageLoaded(): void {
    this.status.setMessage('');
    this.grid.queueRender();
    this.detail.update();
    if (this.refocusRow !== undefined && this.cache.settled) {
      const position = this.cache.positionOf(this.refocusRow);
      this.refocusRow = undefined;
      if (position >= 0 && position !== this.grid.selection.active) this.grid.moveActive(position);
    }
  }

  private toggleSort(key: SortKey): void {
    const current = this.view.sort ?? { key: 'row' as SortKey, descending: false };
    const sort = current.key === key ? { key, descending: !current.descending } : { key, descending: DESCENDING_FIRST.has(key) };
    const { sort: _previous, ...unsorted } = this.view;
    // Row order ascending is the shard's own order: no sort at all.
    void this.setView(sort.key === 'row' && !sort.descending ? unsorted : { ...unsorted, sort });
  }

  private filterRange(score: 'askllm' | 'density', range: ScoreRange): void {
    void this.setView({ ...this.view, [score === 'askllm' ? 'askllmRange' : 'densityRange']: range });
  }

  /** Select row number `row`; in a sorted or filtered view that does not hold it in cache, go back to all rows first. */
  private async jumpToRow(row: number): Promise<void> {
    if (this.viewId === 0) {
      this.grid.selectRow(row);
      return;
    }
    const position = this.cache.positionOf(row);
    if (position >= 0) {
      this.grid.selectRow(position);
      return;
    }
    await this.setView({});
    this.grid.selectRow(row);
    this.status.setMessage(`Showing all rows in row order to reach row ${formatCount(row + 1)}.`);
  }

  // ---- selection, decisions, commands ----

  /** The row number of the active position, when known. */
  private focusedRow(): number | undefined {
    const active = this.grid.selection.active;
    if (active < 0) return undefined;
    const data = this.cache.get(active);
    if (data) return data.row;
    return this.viewId === 0 ? active : undefined;
  }

  private selectionChanged(): void {
    this.filterBar.setSelectionSize(this.grid.selection.size);
    clearTimeout(this.selectionTimer);
    this.selectionTimer = setTimeout(() => {
      this.client.post({ type: 'selection', selection: { viewId: this.viewId, ranges: this.grid.selectionRanges() }, focusedRow: this.focusedRow() ?? null });
    }, SELECTION_DEBOUNCE_MS);
  }

  private async override(decision: 'keep' | 'drop' | null): Promise<void> {
    const ranges = this.grid.selectionRanges();
    if (!ranges.length) {
      this.status.setMessage('Select rows first (click, shift+click, ctrl+click).');
      return;
    }
    try {
      const { changed } = await this.client.request('setOverride', { selection: { viewId: this.viewId, ranges }, decision });
      const verb = decision === 'keep' ? 'Kept' : decision === 'drop' ? 'Dropped' : 'Cleared the manual decision of';
      this.status.setMessage('');
      this.status.setNote(`${verb} ${formatCount(changed)} row${changed === 1 ? '' : 's'}${decision ? ' by hand' : ''}.`);
    } catch (error) {
      this.status.setMessage((error as Error).message);
    }
  }

  private runCommand(command: HostCommand): void {
    // Commands act on the host's copy of the selection: make sure it is the current one.
    if (this.selectionTimer !== undefined) {
      clearTimeout(this.selectionTimer);
      this.client.post({ type: 'selection', selection: { viewId: this.viewId, ranges: this.grid.selectionRanges() }, focusedRow: this.focusedRow() ?? null });
      this.selectionTimer = undefined;
    }
    this.client.post({ type: 'runCommand', command });
  }

  private async setFingerprint(key: string): Promise<void> {
    try {
      this.applySummary((await this.client.request('setFingerprint', { key })).summary);
    } catch (error) {
      this.status.setMessage((error as Error).message);
    }
  }

  private async setTextField(field: string): Promise<void> {
    if (field === this.info?.textField) return;
    try {
      const { info } = await this.client.request('setTextField', { field });
      this.applyInfo(info);
    } catch (error) {
      this.status.setMessage((error as Error).message);
      if (this.info) this.status.setInfo(this.info);
    }
  }

  private showShardError(message: string): void {
    this.root.classList.remove('loading');
    this.root.replaceChildren(
      el('div', { className: 'shard-error', attrs: { role: 'alert' } }, [
        el('div', { className: 'shard-error-title', text: 'This shard cannot be shown' }),
        el('div', { className: 'shard-error-message', text: message }),
      ]),
    );
  }

  private onGlobalKey(event: KeyboardEvent): void {
    const mod = event.ctrlKey || event.metaKey;
    const target = event.target as HTMLElement;
    if (mod && (event.key === 'f' || event.key === 'F')) {
      event.preventDefault();
      this.search.focus();
    } else if (event.key === 'F3') {
      event.preventDefault();
      this.search.step(event.shiftKey ? -1 : 1);
    } else if (event.key === 'Escape' && target.closest?.('.search')) {
      this.grid.focus();
    } else if (!mod && !event.altKey && target.closest?.('[role=grid]')) {
      // Decision keys act on the grid's selection only: typing in a field never triggers them.
      const decision = ({ k: 'keep', d: 'drop', c: null } as Record<string, 'keep' | 'drop' | null | undefined>)[event.key.toLowerCase()];
      if (decision !== undefined) {
        event.preventDefault();
        void this.override(decision);
      }
    }
  }
}
