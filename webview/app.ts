/**
 * The shard editor's webview app: wires the message client, view state, grid, detail pane, search
 * and status line together. New panels (histograms, sampler) attach here.
 */
import type { ShardInfo } from '../extension/protocol';
import type { MessageClient } from './client';
import { DetailPane } from './detail/detail';
import { el } from './dom';
import { Grid } from './grid/grid';
import { RowCache } from './grid/row-cache';
import { MalformedList } from './panels/malformed';
import { SearchPanel } from './panels/search';
import type { ViewStateStore } from './state';
import { StatusLine } from './status';

export class App {
  private readonly cache: RowCache;
  private readonly grid: Grid;
  private readonly detail: DetailPane;
  private readonly search: SearchPanel;
  private readonly status: StatusLine;
  private readonly malformed: MalformedList;
  private readonly main: HTMLElement;
  private info: ShardInfo | undefined;

  constructor(
    private readonly root: HTMLElement,
    private readonly client: MessageClient,
    store: ViewStateStore,
    reportError: (error: unknown) => void,
  ) {
    this.cache = new RowCache(
      async (start, count) => (await client.request('rows', { start, count })).rows,
      () => {
        this.status.setMessage('');
        this.grid.queueRender();
      },
      (error) => {
        this.status.setMessage(`Could not read rows: ${error.message}`);
        reportError(error);
      },
    );
    this.detail = new DetailPane(this.cache);
    this.grid = new Grid(store, this.cache, {
      onActiveRowChange: (row) => {
        this.detail.show(row);
        this.status.setSelection(this.grid.selection.size);
      },
    });
    this.search = new SearchPanel(client, store, {
      onJump: (row) => this.grid.selectRow(row),
      onMatchesChange: (matches) => this.grid.setMatches(matches),
      activeRow: () => this.grid.selection.active,
    });
    this.status = new StatusLine({
      onShowMalformed: (anchor) => void this.malformed.open(anchor),
      onTextFieldChange: (field) => void this.setTextField(field),
    });
    this.malformed = new MalformedList(client);
    this.main = el('div', { className: 'main' }, [this.grid.element, this.detail.element]);
    root.replaceChildren(
      el('div', { className: 'toolbar' }, [this.search.element]),
      this.main,
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
    if (!previous) {
      this.status.setSelection(this.grid.selection.size);
      this.detail.show(this.grid.selection.active);
      this.search.restore();
    } else if (reset) {
      this.detail.refresh();
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
    if (mod && (event.key === 'f' || event.key === 'F')) {
      event.preventDefault();
      this.search.focus();
    } else if (event.key === 'F3') {
      event.preventDefault();
      this.search.step(event.shiftKey ? -1 : 1);
    } else if (event.key === 'Escape' && (event.target as HTMLElement).closest?.('.search')) {
      this.grid.focus();
    }
  }
}
