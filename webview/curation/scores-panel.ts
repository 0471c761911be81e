/**
 * The "Scores" panel: P(yes) and density histograms of the whole shard (from the host's summary),
 * stacked kept / dropped / undecided once a sampler decides rows. Clicking bins filters the grid to
 * that score range. Without scores it says which command computes them, with a button for it.
 */
import type { CurationSummary, HostCommand, Histogram } from '../../extension/protocol';
import { button } from '../controls';
import { el, formatCount } from '../dom';
import { formatDensity, formatScore } from '../grid/columns';
import { Collapsible } from './collapsible';
import { HistogramView, type ScoreRange } from './histogram';

export interface ScoresPanelEvents {
  onRange(score: 'askllm' | 'density', range: ScoreRange): void;
  onCommand(command: HostCommand): void;
  onToggle(open: boolean): void;
}

interface Block {
  element: HTMLElement;
  caption: HTMLElement;
  view: HistogramView;
  empty: HTMLElement;
}

export class ScoresPanel {
  readonly section: Collapsible;
  private readonly askllm: Block;
  private readonly density: Block;
  private readonly legend: HTMLElement;

  constructor(private readonly events: ScoresPanelEvents, open: boolean) {
    this.section = new Collapsible('Scores', 'scores-panel', open, (o) => events.onToggle(o));
    this.askllm = this.block('askllm', 'Ask-LLM P(yes)', formatScore, [
      'No Ask-LLM scores yet. The local LLM judge (Ollama) rates each row: P(yes) to "is this informative for pre-training?".',
      [button({ label: 'Score All Rows', title: 'Score every row with Ask-LLM (runs in the background)', onClick: () => events.onCommand('scoreAll') }),
        button({ label: 'Score Selected', title: 'Score the selected rows with Ask-LLM', secondary: true, onClick: () => events.onCommand('scoreSelected') })],
    ]);
    this.density = this.block('density', 'Density', formatDensity, [
      'No density yet. Density (RACE sketch over embeddings) shows which rows are redundant and which are rare.',
      [button({ label: 'Compute Density', title: 'Embed every row and compute its density', onClick: () => events.onCommand('computeDensity') })],
    ]);
    this.legend = el('div', { className: 'histogram-legend', attrs: { 'aria-hidden': 'true' } }, [
      el('span', { className: 'legend-item kept', text: 'kept' }),
      el('span', { className: 'legend-item dropped', text: 'dropped' }),
      el('span', { className: 'legend-item undecided', text: 'undecided' }),
    ]);
    this.legend.hidden = true;
    this.section.actions.append(this.legend);
    this.section.body.append(el('div', { className: 'histograms' }, [this.askllm.element, this.density.element]));
  }

  private block(score: 'askllm' | 'density', title: string, formatValue: (v: number) => string, emptyState: [string, HTMLElement[]]): Block {
    const view = new HistogramView({ label: `${title} histogram`, formatValue, onSelect: (range) => this.events.onRange(score, range) });
    const caption = el('span', { className: 'histogram-caption' });
    const empty = el('div', { className: 'empty-state' }, [el('p', { text: emptyState[0] }), el('div', { className: 'button-row' }, emptyState[1])]);
    const element = el('div', { className: `histogram-block ${score}` }, [
      el('div', { className: 'histogram-title' }, [el('span', { text: title }), caption]),
      view.element,
      empty,
    ]);
    // Nothing until the first summary says whether there are scores.
    view.element.hidden = true;
    empty.hidden = true;
    return { element, caption, view, empty };
  }

  setSummary(summary: CurationSummary): void {
    const split = summary.stats.kept + summary.stats.dropped > 0;
    this.legend.hidden = !split;
    this.fill(this.askllm, summary.stats.askllm?.histogram, split, summary.rowCount);
    this.fill(this.density, summary.stats.density?.histogram, split, summary.rowCount);
  }

  setRanges(askllm: ScoreRange | undefined, density: ScoreRange | undefined): void {
    this.askllm.view.setSelected(askllm);
    this.density.view.setSelected(density);
  }

  private fill(block: Block, histogram: Histogram | undefined, split: boolean, rowCount: number): void {
    const has = histogram !== undefined && histogram.edges.length > 1;
    block.view.element.hidden = !has;
    block.empty.hidden = has;
    block.view.setData(has ? histogram : undefined, split);
    if (!has) {
      block.caption.textContent = '';
      return;
    }
    const missing = histogram.missing.kept + histogram.missing.dropped + histogram.missing.undecided;
    block.caption.textContent = missing ? `${formatCount(rowCount - missing)} of ${formatCount(rowCount)} rows` : `${formatCount(rowCount)} rows`;
  }
}
