/** The list of malformed lines (line number and parser message), fetched from the host when opened. */
import type { MessageClient } from '../client';
import { button } from '../controls';
import { el, formatCount } from '../dom';

export class MalformedList {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly summary: HTMLElement;
  private returnFocus: HTMLElement | undefined;

  constructor(private readonly client: MessageClient) {
    this.summary = el('span', { className: 'malformed-summary' });
    this.list = el('ol', { className: 'malformed-items', attrs: { 'aria-label': 'Malformed lines' } });
    const close = button({ label: '✕', title: 'Close', icon: true, onClick: () => this.close() });
    this.element = el('section', { className: 'malformed panel', attrs: { role: 'dialog', 'aria-label': 'Malformed lines' } }, [
      el('div', { className: 'panel-header' }, [el('span', { className: 'panel-title', text: 'Malformed lines' }), this.summary, close]),
      this.list,
    ]);
    this.element.hidden = true;
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
  }

  async open(returnFocus: HTMLElement): Promise<void> {
    this.returnFocus = returnFocus;
    this.element.hidden = false;
    this.summary.textContent = 'Loading…';
    this.list.replaceChildren();
    try {
      const { count, examples } = await this.client.request('malformed', {});
      this.summary.textContent = examples.length < count
        ? `first ${formatCount(examples.length)} of ${formatCount(count)}; they are not rows`
        : `${formatCount(count)}; they are not rows`;
      this.list.replaceChildren(
        ...examples.map((m) =>
          el('li', { className: 'malformed-item' }, [el('span', { className: 'malformed-line', text: `line ${formatCount(m.line)}` }), el('span', { className: 'malformed-error', text: m.error })]),
        ),
      );
      this.list.setAttribute('tabindex', '0');
      this.list.focus();
    } catch (error) {
      this.summary.textContent = (error as Error).message;
    }
  }

  close(): void {
    this.element.hidden = true;
    this.returnFocus?.focus();
  }
}
