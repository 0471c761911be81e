/**
 * The sampler panel: a pipeline of steps built with controls or typed as spec text (the two stay in
 * sync), a seed, and a live preview over the whole shard (setSampler, debounced): rows and characters
 * kept (tokens estimated), mean scores of kept vs dropped rows, and rows entering / kept per step.
 * The spec is validated here with the same parser the host uses, so typos are named at once.
 */
import type { CurationSummary, HostCommand, StepKindInfo } from '../../extension/protocol';
import { parseSamplerSpec, scoresNeeded } from '../../extension/core/curate/spec';
import { button, dropdown, textField, type TextFieldControl } from '../controls';
import { el, formatCount } from '../dom';
import { formatDensity, formatScore } from '../grid/columns';
import { Collapsible } from './collapsible';

const PREVIEW_DELAY_MS = 300;

export interface SamplerPanelEvents {
  /** Send the sampler to the host (null: none); resolves with the new summary or rejects with the host's message. */
  onPreview(spec: string | null, seed: number): Promise<void>;
  onCommand(command: HostCommand): void;
  onChange(spec: string, seed: number): void;
  onToggle(open: boolean): void;
}

interface StepDraft {
  kind: string;
  argument: string;
}

export class SamplerPanel {
  readonly section: Collapsible;
  private readonly stepList: HTMLElement;
  private readonly specField: TextFieldControl;
  private readonly seedField: TextFieldControl;
  private readonly problem: HTMLElement;
  private readonly result: HTMLElement;
  private kinds: StepKindInfo[] = [];
  private steps: StepDraft[] = [];
  private spec: string;
  private seed: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private summary: CurationSummary | undefined;
  /** The spec + seed last sent to the host (so a summary for an older one is not shown as current). */
  private sent: string | undefined;

  constructor(private readonly events: SamplerPanelEvents, initial: { spec: string; seed: number }, open: boolean) {
    this.section = new Collapsible('Sampler', 'sampler-panel', open, (o) => events.onToggle(o));
    this.spec = initial.spec;
    this.seed = initial.seed;
    this.stepList = el('ol', { className: 'sampler-steps', attrs: { 'aria-label': 'Sampler steps' } });
    const addStep = button({ label: '+ Add step', title: 'Add a step to the pipeline', secondary: true, className: 'sampler-add', onClick: () => this.addStep() });
    this.specField = textField({ placeholder: 'e.g. askllm-min:0.2,density-ips:0.5', label: 'Sampler spec', value: this.spec, className: 'sampler-spec' });
    this.seedField = textField({ placeholder: '0', label: 'Seed', value: String(this.seed), className: 'sampler-seed' });
    this.problem = el('div', { className: 'sampler-problem', attrs: { role: 'alert' } });
    this.result = el('div', { className: 'sampler-result', attrs: { 'aria-live': 'polite' } });
    this.specField.element.addEventListener('input', () => this.onSpecText(this.specField.value));
    this.seedField.element.addEventListener('input', () => this.onSeedText(this.seedField.value));
    this.section.body.append(
      this.stepList,
      el('div', { className: 'button-row' }, [addStep]),
      el('label', { className: 'field-label' }, [el('span', { text: 'Spec' }), this.specField.element]),
      el('label', { className: 'field-label seed-label' }, [el('span', { text: 'Seed' }), this.seedField.element]),
      this.problem,
      this.result,
      el('div', { className: 'button-row' }, [button({ label: 'Export…', title: 'Export the kept rows with a recipe of how they were chosen', onClick: () => events.onCommand('export') })]),
    );
    this.stepsFromText(this.spec);
  }

  /** The step kinds from the host (labels, arguments, coverage flag). */
  setKinds(kinds: StepKindInfo[]): void {
    this.kinds = kinds;
    this.renderSteps();
  }

  /** Sends the restored sampler once the shard is open. */
  restore(): void {
    if (this.spec.trim()) this.schedule(0);
  }

  setSummary(summary: CurationSummary): void {
    this.summary = summary;
    this.renderResult();
  }

  private kindInfo(kind: string): StepKindInfo | undefined {
    return this.kinds.find((k) => k.kind === kind);
  }

  private onSpecText(text: string): void {
    this.spec = text;
    this.stepsFromText(text);
    this.changed();
  }

  private onSeedText(text: string): void {
    const seed = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
    if (!Number.isSafeInteger(seed)) {
      this.problem.textContent = 'The seed must be a whole number ≥ 0.';
      return;
    }
    this.seed = seed;
    this.changed();
  }

  /** Rebuild the step rows from spec text; malformed steps stay editable as they are. */
  private stepsFromText(text: string): void {
    this.steps = text.trim() === '' ? [] : text.split(',').map((raw) => {
      const colon = raw.indexOf(':');
      return { kind: (colon < 0 ? raw : raw.slice(0, colon)).trim().toLowerCase(), argument: colon < 0 ? '' : raw.slice(colon + 1).trim() };
    });
    this.renderSteps();
  }

  private textFromSteps(): string {
    return this.steps.map((s) => `${s.kind}:${s.argument}`).join(',');
  }

  private stepsChanged(): void {
    this.spec = this.textFromSteps();
    this.specField.value = this.spec;
    this.renderSteps();
    this.changed();
  }

  private addStep(): void {
    const kind = this.kinds[0];
    this.steps.push({ kind: kind?.kind ?? 'random', argument: kind?.example.split(':')[1] ?? '0.5' });
    this.stepsChanged();
  }

  private renderSteps(): void {
    this.stepList.replaceChildren(
      ...this.steps.map((step, i) => {
        const info = this.kindInfo(step.kind);
        const kind = dropdown({
          label: `Step ${i + 1} kind`,
          className: 'sampler-step-kind',
          onChange: (value) => {
            const next = this.kindInfo(value);
            const wasThreshold = this.kindInfo(step.kind)?.argument === 'threshold';
            step.kind = value;
            // A fraction is not a threshold: switch to the new kind's example value when the meaning changes.
            if (next && (next.argument === 'threshold') !== wasThreshold) step.argument = next.example.split(':')[1];
            this.stepsChanged();
          },
        });
        const options: Array<{ value: string; label: string }> = this.kinds.map((k) => ({ value: k.kind, label: k.label }));
        if (!info) options.push({ value: step.kind, label: step.kind || '(missing)' });
        kind.setOptions(options, step.kind);
        const argument = textField({
          placeholder: info?.argument === 'threshold' ? 'P(yes), e.g. 0.2' : 'fraction or count',
          label: `Step ${i + 1} ${info?.argument === 'threshold' ? 'threshold' : 'fraction or row count'}`,
          value: step.argument,
          className: 'sampler-step-argument',
        });
        argument.element.addEventListener('input', () => {
          step.argument = argument.value;
          this.spec = this.textFromSteps();
          this.specField.value = this.spec;
          this.changed();
        });
        const move = (delta: number) => {
          const j = i + delta;
          if (j < 0 || j >= this.steps.length) return;
          [this.steps[i], this.steps[j]] = [this.steps[j], this.steps[i]];
          this.stepsChanged();
        };
        const up = button({ label: '↑', title: `Move step ${i + 1} up`, icon: true, onClick: () => move(-1) });
        const down = button({ label: '↓', title: `Move step ${i + 1} down`, icon: true, onClick: () => move(1) });
        const remove = button({ label: '✕', title: `Remove step ${i + 1}`, icon: true, onClick: () => {
          this.steps.splice(i, 1);
          this.stepsChanged();
        } });
        up.toggleAttribute('disabled', i === 0);
        down.toggleAttribute('disabled', i === this.steps.length - 1);
        const item = el('li', { className: 'sampler-step', attrs: { 'data-kind': step.kind } }, [
          el('span', { className: 'sampler-step-number', text: String(i + 1) }), kind.element, argument.element, up, down, remove,
        ]);
        if (info) item.title = info.description;
        if (info && !info.coveragePreserving && info.needs === 'density') {
          item.append(el('span', { className: 'warning-tag', text: 'not coverage-preserving', attrs: { title: 'Keeps or drops whole regions of the data: the kept rows no longer cover every kind of document.' } }));
        }
        return item;
      }),
    );
    if (!this.steps.length) this.stepList.append(el('li', { className: 'hint', text: 'No steps: every row is undecided. Add a step or type a spec.' }));
  }

  private changed(): void {
    this.events.onChange(this.spec, this.seed);
    this.schedule(PREVIEW_DELAY_MS);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    const text = this.spec.trim();
    if (text) {
      try {
        parseSamplerSpec(text);
      } catch (error) {
        this.problem.textContent = (error as Error).message;
        return;
      }
    }
    this.problem.textContent = '';
    this.timer = setTimeout(() => void this.preview(text || null), delay);
  }

  private async preview(spec: string | null): Promise<void> {
    const key = `${spec}\u0000${this.seed}`;
    this.sent = key;
    this.result.classList.add('pending');
    try {
      await this.events.onPreview(spec, this.seed);
    } catch (error) {
      if (this.sent === key) this.problem.textContent = (error as Error).message;
    } finally {
      if (this.sent === key) this.result.classList.remove('pending');
    }
  }

  private renderResult(): void {
    const summary = this.summary;
    if (!summary) return;
    const stats = summary.stats;
    const parts: Node[] = [];
    if (summary.samplerError) {
      const needed = safeScoresNeeded(this.spec);
      const buttons: HTMLElement[] = [];
      if (needed.includes('askllm')) buttons.push(button({ label: 'Score All Rows', title: 'Score every row with Ask-LLM', onClick: () => this.events.onCommand('scoreAll') }));
      if (needed.includes('density')) buttons.push(button({ label: 'Compute Density', title: 'Compute the density of every row', onClick: () => this.events.onCommand('computeDensity') }));
      parts.push(el('div', { className: 'sampler-error', attrs: { role: 'alert' } }, [el('p', { text: summary.samplerError }), buttons.length ? el('div', { className: 'button-row' }, buttons) : undefined]));
    }
    const decided = stats.kept + stats.dropped;
    if (decided > 0) {
      const pct = (n: number) => `${((100 * n) / Math.max(1, stats.rowCount)).toFixed(1)}%`;
      const rows: Array<[string, string, string]> = [
        ['rows', `${formatCount(stats.kept)} (${pct(stats.kept)})`, formatCount(stats.dropped)],
      ];
      if (stats.chars) rows.push(['characters', formatCount(stats.chars.kept), formatCount(stats.chars.dropped)]);
      if (stats.keptTokensEstimate !== undefined) rows.push(['tokens', `≈ ${formatCount(stats.keptTokensEstimate)}`, '']);
      if (stats.askllm) rows.push(['mean P(yes)', mean(stats.askllm.kept.mean, formatScore), mean(stats.askllm.dropped.mean, formatScore)]);
      if (stats.density) rows.push(['mean density', mean(stats.density.kept.mean, formatDensity), mean(stats.density.dropped.mean, formatDensity)]);
      parts.push(table('Kept and dropped rows', ['', 'kept', 'dropped'], rows, 'sampler-stats'));
      if (stats.undecided) parts.push(el('p', { className: 'hint', text: `${formatCount(stats.undecided)} rows undecided.` }));
    } else if (!summary.samplerError) {
      parts.push(el('p', { className: 'hint', text: summary.sampler ? 'The sampler keeps no rows.' : 'No sampler chosen: rows are undecided unless kept or dropped by hand.' }));
    }
    if (summary.sampler?.steps.length) {
      parts.push(table('Rows per step', ['step', 'entering', 'kept'], summary.sampler.steps.map((s) => [s.step, formatCount(s.entering), formatCount(s.kept)]), 'sampler-steps-table'));
    }
    if (summary.overrides.keep + summary.overrides.drop > 0) {
      parts.push(el('p', { className: 'hint', text: `By hand: ${formatCount(summary.overrides.keep)} kept, ${formatCount(summary.overrides.drop)} dropped (overrides win over the sampler).` }));
    }
    this.result.replaceChildren(...parts);
  }
}

function safeScoresNeeded(spec: string): string[] {
  try {
    return scoresNeeded(parseSamplerSpec(spec));
  } catch {
    return [];
  }
}

function mean(value: number | null, format: (v: number) => string): string {
  return value === null ? '–' : format(value);
}

function table(label: string, head: string[], rows: string[][], className: string): HTMLElement {
  return el('table', { className: `stats-table ${className}`, attrs: { 'aria-label': label } }, [
    el('thead', {}, [el('tr', {}, head.map((h) => el('th', { text: h, attrs: { scope: 'col' } })))]),
    el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c, i) => el(i === 0 ? 'th' : 'td', { text: c, attrs: i === 0 ? { scope: 'row' } : {} }))))),
  ]);
}
