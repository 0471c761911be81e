/**
 * One score histogram drawn on a canvas (CSP-safe, crisp on HiDPI: the backing store follows
 * devicePixelRatio). Bars are stacked kept / dropped / undecided when a sampler decides rows.
 * Hover names the bin's range and counts; click picks a bin as a score filter, shift+click extends
 * it to a run of bins. Bins span equal widths of the plot (on the log axis for density), so bin i
 * occupies [i, i + 1) / bins of the canvas width.
 */
import type { Histogram } from '../../extension/protocol';
import { el, formatCount } from '../dom';

export interface ScoreRange {
  min: number;
  max: number;
}

export interface HistogramOptions {
  /** Accessible name, e.g. "P(yes) histogram". */
  label: string;
  formatValue(value: number): string;
  onSelect(range: ScoreRange): void;
}

const SPLITS = ['kept', 'dropped', 'undecided'] as const;
const GAP_PX = 1;

export class HistogramView {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLElement;
  private readonly axis: HTMLElement;
  private histogram: Histogram | undefined;
  private split = false;
  private selected: ScoreRange | undefined;
  private anchorBin = -1;
  private hoverBin = -1;

  constructor(private readonly options: HistogramOptions) {
    this.canvas = el('canvas', { className: 'histogram-canvas', attrs: { role: 'img', 'aria-label': options.label, tabindex: '0' } });
    this.tooltip = el('div', { className: 'histogram-tooltip', attrs: { role: 'tooltip' } });
    this.tooltip.hidden = true;
    this.axis = el('div', { className: 'histogram-axis', attrs: { 'aria-hidden': 'true' } });
    this.element = el('div', { className: 'histogram' }, [el('div', { className: 'histogram-plot' }, [this.canvas, this.tooltip]), this.axis]);
    this.canvas.addEventListener('mousemove', (event) => this.onHover(event));
    this.canvas.addEventListener('mouseleave', () => {
      this.hoverBin = -1;
      this.tooltip.hidden = true;
      this.draw();
    });
    this.canvas.addEventListener('click', (event) => this.onClick(event));
    new ResizeObserver(() => this.draw()).observe(this.canvas);
    // Theme switches change the CSS variables the bars are painted with.
    new MutationObserver(() => this.draw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  get bins(): number {
    return this.histogram ? this.histogram.edges.length - 1 : 0;
  }

  setData(histogram: Histogram | undefined, split: boolean): void {
    this.histogram = histogram && histogram.edges.length > 1 ? histogram : undefined;
    this.split = split;
    this.renderAxis();
    this.describe();
    this.draw();
  }

  /** The active filter on this score (highlights its bins); undefined: none. */
  setSelected(range: ScoreRange | undefined): void {
    this.selected = range;
    if (!range) this.anchorBin = -1;
    this.draw();
  }

  private total(bin: number): number {
    const h = this.histogram!;
    return h.kept[bin] + h.dropped[bin] + h.undecided[bin];
  }

  private binAt(event: MouseEvent): number {
    const rect = this.canvas.getBoundingClientRect();
    const bins = this.bins;
    if (!bins || rect.width <= 0) return -1;
    return Math.min(bins - 1, Math.max(0, Math.floor(((event.clientX - rect.left) / rect.width) * bins)));
  }

  private binRange(first: number, last: number): ScoreRange {
    const edges = this.histogram!.edges;
    return { min: edges[first], max: edges[last + 1] };
  }

  private onHover(event: MouseEvent): void {
    const bin = this.binAt(event);
    if (bin < 0) return;
    if (bin !== this.hoverBin) {
      this.hoverBin = bin;
      const h = this.histogram!;
      const { min, max } = this.binRange(bin, bin);
      const lines = [`${this.options.formatValue(min)} – ${this.options.formatValue(max)}`, `${formatCount(this.total(bin))} rows`];
      if (this.split) lines.push(`kept ${formatCount(h.kept[bin])} · dropped ${formatCount(h.dropped[bin])}${h.undecided[bin] ? ` · undecided ${formatCount(h.undecided[bin])}` : ''}`);
      this.tooltip.replaceChildren(...lines.map((line) => el('div', { text: line })));
      this.tooltip.hidden = false;
      this.draw();
    }
    const plot = this.canvas.getBoundingClientRect();
    const x = event.clientX - plot.left;
    // Keep the tooltip inside the plot: flip to the left of the cursor in the right half.
    this.tooltip.style.left = x < plot.width / 2 ? `${x + 12}px` : '';
    this.tooltip.style.right = x < plot.width / 2 ? '' : `${plot.width - x + 12}px`;
  }

  private onClick(event: MouseEvent): void {
    const bin = this.binAt(event);
    if (bin < 0) return;
    if (event.shiftKey && this.anchorBin >= 0) {
      this.options.onSelect(this.binRange(Math.min(this.anchorBin, bin), Math.max(this.anchorBin, bin)));
    } else {
      this.anchorBin = bin;
      this.options.onSelect(this.binRange(bin, bin));
    }
  }

  private renderAxis(): void {
    const h = this.histogram;
    if (!h) {
      this.axis.replaceChildren();
      return;
    }
    const edges = h.edges;
    const mid = h.scale === 'log' ? Math.sqrt(edges[0] * edges[edges.length - 1]) : (edges[0] + edges[edges.length - 1]) / 2;
    this.axis.replaceChildren(
      el('span', { text: this.options.formatValue(edges[0]) }),
      el('span', { text: `${this.options.formatValue(mid)}${h.scale === 'log' ? ' (log scale)' : ''}` }),
      el('span', { text: this.options.formatValue(edges[edges.length - 1]) }),
    );
  }

  /** A text summary for screen readers (the canvas itself is an image). */
  private describe(): void {
    const h = this.histogram;
    if (!h) {
      this.canvas.setAttribute('aria-label', `${this.options.label}: no values`);
      return;
    }
    let peak = 0;
    for (let i = 1; i < this.bins; i++) if (this.total(i) > this.total(peak)) peak = i;
    const range = this.binRange(peak, peak);
    const rows = h.kept.reduce((a, b) => a + b, 0) + h.dropped.reduce((a, b) => a + b, 0) + h.undecided.reduce((a, b) => a + b, 0);
    this.canvas.setAttribute('aria-label', `${this.options.label}: ${formatCount(rows)} rows in ${this.bins} bins from ${this.options.formatValue(h.edges[0])} to ${this.options.formatValue(h.edges[this.bins])}; most rows between ${this.options.formatValue(range.min)} and ${this.options.formatValue(range.max)}`);
  }

  private draw(): void {
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssWidth = canvas.clientWidth;
    const cssHeight = canvas.clientHeight;
    const width = Math.round(cssWidth * dpr);
    const height = Math.round(cssHeight * dpr);
    if (canvas.width !== width) canvas.width = width;
    if (canvas.height !== height) canvas.height = height;
    const ctx = canvas.getContext('2d');
    if (!ctx || width === 0 || height === 0) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssWidth, cssHeight);
    const style = getComputedStyle(canvas);
    const color = (name: string) => style.getPropertyValue(name).trim() || style.color;
    const colors = { kept: color('--kept-color'), dropped: color('--dropped-color'), undecided: color(this.split ? '--undecided-color' : '--bar-color') };
    ctx.fillStyle = color('--baseline-color');
    ctx.fillRect(0, cssHeight - 1, cssWidth, 1);
    const h = this.histogram;
    if (!h) return;
    const bins = this.bins;
    let max = 0;
    for (let i = 0; i < bins; i++) max = Math.max(max, this.total(i));
    if (max === 0) return;
    const binWidth = cssWidth / bins;
    const plotHeight = cssHeight - 2;
    const selectedFirst = this.selected ? h.edges.findIndex((e) => e >= this.selected!.min - 1e-12) : -1;
    const selectedEnd = this.selected ? h.edges.findIndex((e) => e >= this.selected!.max - 1e-12) : -1;
    for (let i = 0; i < bins; i++) {
      const x = i * binWidth;
      const inSelection = this.selected !== undefined && i >= selectedFirst && i < selectedEnd;
      ctx.globalAlpha = this.selected === undefined || inSelection ? 1 : 0.35;
      if (i === this.hoverBin) {
        ctx.fillStyle = color('--hover-color');
        ctx.fillRect(x, 0, binWidth, cssHeight - 1);
      }
      const segments: Array<[string, number]> = this.split ? SPLITS.map((split) => [colors[split], h[split][i]]) : [[colors.undecided, this.total(i)]];
      let y = cssHeight - 1;
      for (const [fill, count] of segments) {
        if (count === 0) continue;
        // Heights rounded to device pixels, so stacked segments do not blur into each other.
        const segment = Math.max(1 / dpr, Math.round((count / max) * plotHeight * dpr) / dpr);
        ctx.fillStyle = fill;
        ctx.fillRect(x + GAP_PX / 2, y - segment, Math.max(1 / dpr, binWidth - GAP_PX), segment);
        y -= segment;
      }
    }
    ctx.globalAlpha = 1;
  }
}
