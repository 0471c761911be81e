/**
 * The row detail pane: the active row's curation facts (Ask-LLM score and its provenance, density,
 * decision), its full text (whitespace kept), every other field (nested values as JSON), and the
 * rows nearest to it by embedding. All dataset content goes in through textContent.
 */
import type { JsonValue, NearestRowView, RowAnnotationsView, RowView } from '../../extension/protocol';
import { button } from '../controls';
import { shortSha } from '../curation/toolbar';
import { el, formatCount } from '../dom';
import { charLength, formatDensity, oneLine } from '../grid/columns';
import type { RowCache } from '../grid/row-cache';

export interface DetailEvents {
  /** Ask the host for the rows nearest to the focused row (runCommand showNearest). */
  onShowNearest(): void;
  /** Select and reveal this row (a row number). */
  onJump(row: number): void;
}

export class DetailPane {
  readonly element: HTMLElement;
  private readonly title: HTMLElement;
  private readonly body: HTMLElement;
  private row = -1;
  private textField: string | undefined;
  /** The nearest rows last received, for the row they belong to. */
  private nearest: { row: number; rows: NearestRowView[] } | undefined;
  private nearestPending = -1;
  private rendered: RowView | undefined;

  constructor(private readonly cache: RowCache, private readonly events: DetailEvents) {
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

  /** Re-render when the cache now holds a newer copy of the row (new scores, new decision). */
  update(): void {
    if (this.row < 0) return;
    const cached = this.cache.get(this.row);
    if (cached && cached !== this.rendered) this.render(cached);
  }

  /** Re-render after the cache was reset (text field changed). */
  refresh(): void {
    this.show(this.row);
  }

  /** The host's answer to "Show Nearest Rows". */
  setNearest(row: number, rows: NearestRowView[]): void {
    this.nearest = { row, rows };
    this.nearestPending = -1;
    this.refresh();
  }

  private render(data: RowView): void {
    this.rendered = data;
    this.title.textContent = `Row ${formatCount(data.row + 1)}`;
    const text = el('div', { className: 'detail-text', text: data.text, attrs: { tabindex: '0', 'aria-label': 'Text' } });
    const fields = Object.entries(data.fields).map(([name, value]) =>
      el('div', { className: 'detail-field' }, [el('div', { className: 'detail-field-name', text: name }), el('div', { className: 'detail-field-value', text: formatValue(value) })]),
    );
    const previousScroll = this.body.scrollTop;
    const sameRow = this.body.dataset.row === String(data.row);
    this.body.dataset.row = String(data.row);
    this.body.replaceChildren(
      ...this.curation(data),
      el('div', { className: 'detail-section-title' }, [
        el('span', { text: this.textField ?? 'text' }),
        el('span', { className: 'detail-meta', text: `${formatCount(charLength(data.text))} chars` }),
      ]),
      text,
      el('div', { className: 'detail-section-title', text: 'Fields' }),
      fields.length ? el('div', { className: 'detail-fields' }, fields) : el('p', { className: 'hint', text: 'No other fields.' }),
    );
    // A refresh of the same row (new scores arrived) keeps the reader's place.
    this.body.scrollTop = sameRow ? previousScroll : 0;
  }

  private curation(data: RowView): Node[] {
    const a = data.annotations;
    const nodes: Node[] = [];
    if (a) {
      nodes.push(el('div', { className: 'detail-section-title', text: 'Ask-LLM' }), facts(askllmFacts(a)));
      nodes.push(el('div', { className: 'detail-section-title', text: 'Density' }), facts([
        ['density', a.density === null ? 'not computed' : formatDensity(a.density)],
        ['IPS weight', a.ipsWeight === null ? '–' : a.ipsWeight.toPrecision(3)],
      ]));
      nodes.push(el('div', { className: 'detail-section-title', text: 'Decision' }), facts([
        ['decision', a.decision],
        ['source', a.decisionSource === 'override' ? 'manual override' : a.decisionSource === 'sampler' ? 'sampler' : '–'],
        ['override', a.override ?? 'none'],
      ]));
    }
    const nearestButton = button({ label: 'Show nearest rows', title: 'The rows closest to this one by embedding (needs a density run)', secondary: true, className: 'show-nearest', onClick: () => {
      this.nearestPending = data.row;
      this.events.onShowNearest();
      this.refresh();
    } });
    nodes.push(el('div', { className: 'detail-section-title', text: 'Nearest rows' }));
    if (this.nearest && this.nearest.row === data.row) {
      const list = el('ol', { className: 'nearest-rows', attrs: { 'aria-label': `Rows nearest to row ${formatCount(data.row + 1)}` } },
        this.nearest.rows.map((n) => {
          const item = el('li', {}, [
            el('button', { className: 'nearest-row', attrs: { type: 'button', title: `Go to row ${formatCount(n.row + 1)}`, 'data-row': String(n.row) } }, [
              el('span', { className: 'nearest-number', text: `#${formatCount(n.row + 1)}` }),
              el('span', { className: 'nearest-similarity', text: n.similarity.toFixed(3) }),
              el('span', { className: 'nearest-preview', text: oneLine(n.preview) }),
            ]),
          ]);
          item.firstElementChild!.addEventListener('click', () => this.events.onJump(n.row));
          return item;
        }));
      nodes.push(this.nearest.rows.length ? list : el('p', { className: 'hint', text: 'No other rows.' }));
    } else {
      nodes.push(el('div', { className: 'button-row' }, [nearestButton, this.nearestPending === data.row ? el('span', { className: 'hint', text: 'Searching…' }) : undefined]));
    }
    return nodes;
  }
}

function askllmFacts(a: RowAnnotationsView): Array<[string, string]> {
  const s = a.askllm;
  if (!s) return a.askllmFailure ? [['P(yes)', 'failed'], ['reason', a.askllmFailure]] : [['P(yes)', 'not scored']];
  return [
    ['P(yes)', s.pYes.toFixed(4)],
    ['P(no)', s.pNo.toFixed(4)],
    ['normalised', s.normalized === null ? '–' : s.normalized.toFixed(4)],
    ['model', s.model],
    ['model digest', s.modelDigest ? shortSha(s.modelDigest) : 'unknown'],
    ['prompt', shortSha(s.promptSha256)],
    ['truncated', s.truncated ? 'yes' : 'no'],
    ['off-format', s.offFormat ? 'yes (neither yes nor no in the top answers)' : 'no'],
  ];
}

function facts(items: Array<[string, string]>): HTMLElement {
  return el('dl', { className: 'detail-facts' }, items.map(([name, value]) => el('div', { className: 'detail-fact' }, [el('dt', { text: name }), el('dd', { text: value })])));
}

function formatValue(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
