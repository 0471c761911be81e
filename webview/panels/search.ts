/**
 * The search box: substring or regex, case-sensitive or not, run by the host over the whole shard.
 * Matches stream in with `searchProgress` events; Enter / Shift+Enter (or the arrows) walk them,
 * selecting and revealing each matching row.
 */
import type { SearchQuery, ToWebviewMessage } from '../../extension/protocol';
import { MAX_SEARCH_MATCHES } from '../../extension/protocol';
import type { MessageClient } from '../client';
import { button, setDisabled, textField, toggleButton, type TextFieldControl } from '../controls';
import { el, formatCount } from '../dom';
import type { ViewStateStore } from '../state';

type SearchProgress = Extract<ToWebviewMessage, { type: 'searchProgress' }>;

export interface SearchEvents {
  /** Select and reveal this row. */
  onJump(row: number): void;
  onMatchesChange(matches: ReadonlySet<number>): void;
  /** The row the next/previous match is counted from when no match is current. */
  activeRow(): number;
}

export class SearchPanel {
  readonly element: HTMLElement;
  private readonly field: TextFieldControl;
  private readonly caseToggle: HTMLElement;
  private readonly regexToggle: HTMLElement;
  private readonly prevButton: HTMLElement;
  private readonly nextButton: HTMLElement;
  private readonly cancelButton: HTMLElement;
  private readonly countLabel: HTMLElement;
  private readonly progressLabel: HTMLElement;
  private readonly errorLabel: HTMLElement;
  private query: SearchQuery;
  /** The query the current results belong to. */
  private ranQuery: SearchQuery | undefined;
  private searchId = Date.now() % 1_000_000_000;
  private running = false;
  /** Enter on a new query jumps to the first match as soon as it arrives. */
  private jumpOnFirstMatch = false;
  private matches: number[] = [];
  private matchSet = new Set<number>();
  private current = -1;
  private scanned = 0;
  private total = 0;

  constructor(
    private readonly client: MessageClient,
    private readonly store: ViewStateStore,
    private readonly events: SearchEvents,
  ) {
    this.query = { ...store.state.search };
    this.field = textField({ placeholder: 'Search rows', label: 'Search rows (Enter: next match, Shift+Enter: previous)', value: this.query.pattern, className: 'search-field' });
    this.caseToggle = toggleButton({ label: 'Aa', title: 'Match case', pressed: this.query.caseSensitive, onToggle: (on) => this.changeOption({ caseSensitive: on }) });
    this.regexToggle = toggleButton({ label: '.*', title: 'Use regular expression', pressed: this.query.regex, onToggle: (on) => this.changeOption({ regex: on }) });
    this.prevButton = button({ label: '↑', title: 'Previous match (Shift+Enter)', icon: true, onClick: () => this.step(-1) });
    this.nextButton = button({ label: '↓', title: 'Next match (Enter)', icon: true, onClick: () => this.step(1) });
    this.cancelButton = button({ label: 'Cancel', title: 'Cancel search', secondary: true, className: 'search-cancel', onClick: () => this.cancel() });
    this.countLabel = el('span', { className: 'search-count', attrs: { 'aria-live': 'polite' } });
    this.progressLabel = el('span', { className: 'search-progress' });
    this.errorLabel = el('span', { className: 'search-error', attrs: { role: 'alert' } });
    this.element = el('div', { className: 'search', attrs: { role: 'search' } }, [
      this.field.element, this.caseToggle, this.regexToggle, this.prevButton, this.nextButton,
      this.countLabel, this.progressLabel, this.cancelButton, this.errorLabel,
    ]);
    this.field.element.addEventListener('keydown', (event) => this.onKeyDown(event));
    this.field.element.addEventListener('input', () => {
      this.query.pattern = this.field.value;
      this.store.update((s) => (s.search = { ...this.query }));
    });
    client.on('searchProgress', (message) => this.onProgress(message));
    this.updateUi();
  }

  focus(): void {
    this.field.focus();
  }

  /** Re-run the restored query (after a reload) without moving the selection. */
  restore(): void {
    if (this.query.pattern) void this.run();
  }

  /** F3 / Shift+F3 from anywhere. */
  step(direction: 1 | -1): void {
    if (!this.matches.length) return;
    if (this.current < 0) {
      // No current match yet: start from the active row, wrapping around.
      const from = this.events.activeRow();
      if (direction > 0) {
        const next = this.matches.findIndex((row) => row > from);
        this.current = next < 0 ? 0 : next;
      } else {
        const next = this.matches.findLastIndex((row) => row < from);
        this.current = next < 0 ? this.matches.length - 1 : next;
      }
    } else {
      this.current = (this.current + direction + this.matches.length) % this.matches.length;
    }
    this.events.onJump(this.matches[this.current]);
    this.updateUi();
  }

  private onKeyDown(event: KeyboardEvent): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      this.query.pattern = this.field.value;
      if (this.ranQuery && sameQuery(this.ranQuery, this.query)) this.step(event.shiftKey ? -1 : 1);
      else void this.run(true);
    } else if (event.key === 'Escape' && this.running) {
      event.preventDefault();
      this.cancel();
    }
  }

  private changeOption(change: Partial<SearchQuery>): void {
    Object.assign(this.query, change);
    this.store.update((s) => (s.search = { ...this.query }));
    if (this.query.pattern) void this.run();
  }

  /** Starts a new search over the whole shard (cancelling the running one). */
  private async run(jumpToFirst = false): Promise<void> {
    if (this.running) this.cancel();
    const query = { ...this.query };
    this.store.update((s) => (s.search = { ...query }));
    this.matches = [];
    this.matchSet = new Set();
    this.current = -1;
    this.scanned = 0;
    this.total = 0;
    this.errorLabel.textContent = '';
    this.events.onMatchesChange(this.matchSet);
    if (!query.pattern) {
      this.ranQuery = undefined;
      this.updateUi();
      return;
    }
    const searchId = ++this.searchId;
    this.ranQuery = query;
    this.running = true;
    this.jumpOnFirstMatch = jumpToFirst;
    this.updateUi();
    try {
      await this.client.request('search', { searchId, query });
    } catch (error) {
      if (searchId !== this.searchId) return;
      this.running = false;
      this.errorLabel.textContent = (error as Error).message;
      this.updateUi();
    }
  }

  private cancel(): void {
    if (!this.running) return;
    const searchId = this.searchId;
    this.running = false;
    this.progressLabel.textContent = '';
    this.updateUi();
    this.client.request('cancelSearch', { searchId }).catch(() => undefined);
  }

  private onProgress(message: SearchProgress): void {
    if (message.searchId !== this.searchId || !this.ranQuery) return;
    this.scanned = message.scanned;
    this.total = message.total;
    if (message.matches.length) {
      for (const row of message.matches) {
        this.matches.push(row);
        this.matchSet.add(row);
      }
      this.events.onMatchesChange(this.matchSet);
      if (this.jumpOnFirstMatch) {
        // A new search starts at its first match in row order, so "1 of N" is the first row found.
        this.jumpOnFirstMatch = false;
        this.current = 0;
        this.events.onJump(this.matches[0]);
      }
    }
    if (message.done) this.running = false;
    if (message.error) this.errorLabel.textContent = message.error;
    this.updateUi();
  }

  private updateUi(): void {
    const n = this.matches.length;
    const hasQuery = this.ranQuery !== undefined;
    this.countLabel.textContent = !hasQuery
      ? ''
      : n === 0
        ? this.running ? 'Searching…' : 'No results'
        : `${this.current < 0 ? '–' : formatCount(this.current + 1)} of ${formatCount(n)}${n >= MAX_SEARCH_MATCHES ? '+' : ''}${this.running ? '…' : ''}`;
    this.progressLabel.textContent = this.running && this.total > 0 ? `${Math.floor((100 * this.scanned) / this.total)}% scanned` : '';
    this.cancelButton.hidden = !this.running;
    setDisabled(this.prevButton, n === 0);
    setDisabled(this.nextButton, n === 0);
  }
}

function sameQuery(a: SearchQuery, b: SearchQuery): boolean {
  return a.pattern === b.pattern && a.regex === b.regex && a.caseSensitive === b.caseSensitive;
}
