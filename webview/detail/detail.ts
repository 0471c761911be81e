/**
 * The row detail pane: the active row's full text (whitespace kept) and every other field, nested
 * values pretty-printed as JSON. All dataset content goes in through textContent.
 */
import type { JsonValue, RowView } from '../../extension/protocol';
import { el, formatCount } from '../dom';
import { charLength } from '../grid/columns';
import type { RowCache } from '../grid/row-cache';

export class DetailPane {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly body: HTMLElement;
  private row = -1;
  private textField: string | undefined;

  constructor(private readonly cache: RowCache) {
    this.title = el('div', { className: 'detail-title', text: 'No row selected' });
    this.body = el('div', { className: 'detail-body' });
    this.element = el('section', { className: 'detail', attrs: { role: 'region', 'aria-label': 'Row detail' } }, [this.title, this.body]);
  }

  setTextField(name: string | undefined): void {
    this.textField = name;
  }

  /** Show `row` (-1: nothing), fetching it if it is not cached. */
  show(row: number): void {
    this.row = row;
    if (row < 0) {
      this.title.textContent = 'No row selected';
      this.body.replaceChildren(el('p', { className: 'hint', text: 'Select a row to read its full text and fields.' }));
      return;
    }
    const cached = this.cache.get(row);
    if (cached) {
      this.render(cached);
      return;
    }
    this.title.textContent = `Row ${formatCount(row + 1)}`;
    this.body.replaceChildren(el('p', { className: 'hint', text: 'Loading…' }));
    void this.cache.load(row).then((data) => {
      if (this.row === row && data) this.render(data);
    });
  }

  /** Re-render after the cache was reset (text field changed). */
  refresh(): void {
    this.show(this.row);
  }

  private render(data: RowView): void {
    this.title.textContent = `Row ${formatCount(data.row + 1)}`;
    const text = el('div', { className: 'detail-text', text: data.text, attrs: { tabindex: '0', 'aria-label': 'Text' } });
    const fields = Object.entries(data.fields).map(([name, value]) =>
      el('div', { className: 'detail-field' }, [el('div', { className: 'detail-field-name', text: name }), el('div', { className: 'detail-field-value', text: formatValue(value) })]),
    );
    this.body.replaceChildren(
      el('div', { className: 'detail-section-title' }, [
        el('span', { text: this.textField ?? 'text' }),
        el('span', { className: 'detail-meta', text: `${formatCount(charLength(data.text))} chars` }),
      ]),
      text,
      el('div', { className: 'detail-section-title', text: 'Fields' }),
      fields.length ? el('div', { className: 'detail-fields' }, fields) : el('p', { className: 'hint', text: 'No other fields.' }),
    );
    this.body.scrollTop = 0;
  }
}

function formatValue(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
