/**
 * Compare two samplers (their own verdicts, overrides left out): rows each keeps, rows both keep,
 * the Jaccard overlap, and buttons that show the rows only A / only B / both keep in the grid.
 */
import type { SamplerComparisonView, ViewSpec } from '../../extension/protocol';
import { button, textField, type TextFieldControl } from '../controls';
import { el, formatCount } from '../dom';
import { Collapsible } from './collapsible';

export interface ComparePanelEvents {
  onCompare(a: string, b: string, seed: number): Promise<SamplerComparisonView>;
  onBrowse(filter: NonNullable<ViewSpec['compare']>): void;
  onChange(a: string, b: string, seed: number): void;
  onToggle(open: boolean): void;
}

export class ComparePanel {
  readonly section: Collapsible;
  private readonly a: TextFieldControl;
  private readonly b: TextFieldControl;
  private readonly seed: TextFieldControl;
  private readonly result: HTMLElement;
  private readonly problem: HTMLElement;

  constructor(private readonly events: ComparePanelEvents, initial: { a: string; b: string; seed: number }, open: boolean) {
    this.section = new Collapsible('Compare samplers', 'compare-panel', open, (o) => events.onToggle(o));
    this.a = textField({ placeholder: 'e.g. askllm-top:0.3', label: 'Sampler A', value: initial.a, className: 'compare-a' });
    this.b = textField({ placeholder: 'e.g. density-ips:0.3', label: 'Sampler B', value: initial.b, className: 'compare-b' });
    this.seed = textField({ placeholder: '0', label: 'Seed for both', value: String(initial.seed), className: 'compare-seed' });
    this.problem = el('div', { className: 'sampler-problem', attrs: { role: 'alert' } });
    this.result = el('div', { className: 'compare-result', attrs: { 'aria-live': 'polite' } });
    for (const field of [this.a, this.b, this.seed]) field.element.addEventListener('input', () => events.onChange(this.a.value, this.b.value, this.seedValue() ?? 0));
    const run = button({ label: 'Compare', title: 'Run both samplers over the whole shard and compare what they keep', className: 'compare-run', onClick: () => void this.run() });
    this.section.body.append(
      el('label', { className: 'field-label' }, [el('span', { className: 'compare-tag a', text: 'A' }), this.a.element]),
      el('label', { className: 'field-label' }, [el('span', { className: 'compare-tag b', text: 'B' }), this.b.element]),
      el('label', { className: 'field-label seed-label' }, [el('span', { text: 'Seed' }), this.seed.element]),
      el('div', { className: 'button-row' }, [run]),
      this.problem,
      this.result,
    );
  }

  /** Offer the current sampler as A when the user has not typed one. */
  suggest(spec: string): void {
    if (!this.a.value && spec) this.a.value = spec;
  }

  private seedValue(): number | undefined {
    const text = this.seed.value.trim();
    return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
  }

  private async run(): Promise<void> {
    const seed = this.seedValue();
    if (seed === undefined) {
      this.problem.textContent = 'The seed must be a whole number ≥ 0.';
      return;
    }
    if (!this.a.value.trim() || !this.b.value.trim()) {
      this.problem.textContent = 'Write a sampler spec for both A and B.';
      return;
    }
    this.problem.textContent = '';
    this.result.replaceChildren(el('p', { className: 'hint', text: 'Comparing…' }));
    try {
      const c = await this.events.onCompare(this.a.value.trim(), this.b.value.trim(), seed);
      this.show(c);
    } catch (error) {
      this.result.replaceChildren();
      this.problem.textContent = (error as Error).message;
    }
  }

  private show(c: SamplerComparisonView): void {
    const browse = (filter: NonNullable<ViewSpec['compare']>, label: string, count: number, title: string) =>
      button({ label: `${label} (${formatCount(count)})`, title, secondary: true, className: `compare-browse ${filter}`, onClick: () => this.events.onBrowse(filter) });
    this.result.replaceChildren(
      el('dl', { className: 'compare-figures' }, [
        figure('A keeps', formatCount(c.a)),
        figure('B keeps', formatCount(c.b)),
        figure('both keep', formatCount(c.both)),
        figure('Jaccard overlap', c.jaccard.toFixed(3)),
      ]),
      el('div', { className: 'overlap-bar', attrs: { 'aria-hidden': 'true' } }, overlapSegments(c)),
      el('div', { className: 'button-row' }, [
        browse('onlyA', 'Only A', c.onlyA, 'Show the rows only sampler A keeps'),
        browse('onlyB', 'Only B', c.onlyB, 'Show the rows only sampler B keeps'),
        browse('both', 'Both', c.both, 'Show the rows both samplers keep'),
      ]),
    );
  }
}

function figure(name: string, value: string): HTMLElement {
  return el('div', { className: 'figure' }, [el('dt', { text: name }), el('dd', { text: value })]);
}

/** Only-A | both | only-B as proportional segments (widths set from JS). */
function overlapSegments(c: SamplerComparisonView): HTMLElement[] {
  const union = Math.max(1, c.onlyA + c.both + c.onlyB);
  return (['onlyA', 'both', 'onlyB'] as const).map((part) => {
    const segment = el('span', { className: `overlap ${part}` });
    segment.style.width = `${(100 * c[part]) / union}%`;
    return segment;
  });
}
