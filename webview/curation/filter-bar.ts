/**
 * The line above the grid: which rows it shows (decision filter, score-range and compare chips, each
 * with × to clear), how many, and Keep / Drop / Clear for the selected rows (also keys k, d, c).
 */
import type { DecisionFilter, ViewSpec } from '../../extension/protocol';
import { button, dropdown, type DropdownControl } from '../controls';
import { el, formatCount } from '../dom';
import { formatDensity, formatScore } from '../grid/columns';

export interface FilterBarEvents {
  onDecisionFilter(filter: DecisionFilter | undefined): void;
  onClear(part: 'askllmRange' | 'densityRange' | 'compare' | 'sort' | 'searchMatches'): void;
  onOverride(decision: 'keep' | 'drop' | null): void;
}

const SORT_NAMES = { row: 'row', chars: 'chars', askllm: 'P(yes)', density: 'density' } as const;
const DECISION_OPTIONS = [
  { value: 'all', label: 'All rows' },
  { value: 'keep', label: 'Kept' },
  { value: 'drop', label: 'Dropped' },
  { value: 'undecided', label: 'Undecided' },
  { value: 'override', label: 'Overridden by hand' },
];
const COMPARE_NAMES = { onlyA: 'only A keeps', onlyB: 'only B keeps', both: 'both keep' } as const;

export class FilterBar {
  readonly element: HTMLElement;
  private readonly decision: DropdownControl;
  private readonly chips: HTMLElement;
  private readonly count: HTMLElement;
  private readonly overrideButtons: HTMLElement[];

  constructor(private readonly events: FilterBarEvents) {
    this.decision = dropdown({ label: 'Show rows by decision', className: 'decision-filter', onChange: (value) => events.onDecisionFilter(value === 'all' ? undefined : (value as DecisionFilter)) });
    this.decision.setOptions(DECISION_OPTIONS, 'all');
    this.chips = el('div', { className: 'chips', attrs: { role: 'list', 'aria-label': 'Active filters' } });
    this.count = el('span', { className: 'view-count', attrs: { 'aria-live': 'polite' } });
    this.overrideButtons = [
      button({ label: 'Keep', title: 'Keep the selected rows by hand (k)', secondary: true, className: 'override-keep', onClick: () => events.onOverride('keep') }),
      button({ label: 'Drop', title: 'Drop the selected rows by hand (d)', secondary: true, className: 'override-drop', onClick: () => events.onOverride('drop') }),
      button({ label: 'Clear', title: 'Clear the manual decision of the selected rows (c)', secondary: true, className: 'override-clear', onClick: () => events.onOverride(null) }),
    ];
    this.element = el('div', { className: 'filter-bar' }, [
      this.decision.element, this.chips, this.count, el('span', { className: 'spacer' }),
      el('span', { className: 'selection-actions', attrs: { role: 'group', 'aria-label': 'Decide the selected rows' } }, this.overrideButtons),
    ]);
  }

  setView(view: ViewSpec, rowCount: number, shardRows: number): void {
    this.decision.setOptions(DECISION_OPTIONS, view.decision ?? 'all');
    const chips: HTMLElement[] = [];
    if (view.sort && !(view.sort.key === 'row' && !view.sort.descending)) chips.push(this.chip('sort', `sorted by ${SORT_NAMES[view.sort.key]} ${view.sort.descending ? '↓' : '↑'}`));
    if (view.askllmRange) chips.push(this.chip('askllmRange', `P(yes) ${formatScore(view.askllmRange.min)}–${formatScore(view.askllmRange.max)}`));
    if (view.densityRange) chips.push(this.chip('densityRange', `density ${formatDensity(view.densityRange.min)}–${formatDensity(view.densityRange.max)}`));
    if (view.compare) chips.push(this.chip('compare', `compare: ${COMPARE_NAMES[view.compare]}`));
    if (view.searchMatches) chips.push(this.chip('searchMatches', 'search matches'));
    this.chips.replaceChildren(...chips);
    const filtered = view.askllmRange || view.densityRange || view.decision || view.compare || view.searchMatches;
    this.count.textContent = filtered ? `${formatCount(rowCount)} of ${formatCount(shardRows)} rows` : `${formatCount(rowCount)} rows`;
  }

  setSelectionSize(size: number): void {
    for (const b of this.overrideButtons) b.toggleAttribute('disabled', size === 0);
  }

  private chip(part: Parameters<FilterBarEvents['onClear']>[0], text: string): HTMLElement {
    const clear = el('button', { className: 'chip-clear', text: '×', attrs: { type: 'button', title: `Clear: ${text}`, 'aria-label': `Clear filter ${text}` } });
    clear.addEventListener('click', () => this.events.onClear(part));
    return el('span', { className: `chip chip-${part}`, attrs: { role: 'listitem' } }, [el('span', { className: 'chip-text', text: `${part === 'sort' ? '' : 'filter: '}${text}` }), clear]);
  }
}
