/**
 * The curation toolbar: buttons that run the extension's commands (so the palette and the UI do
 * the same thing), the Ask-LLM scores on show (model + short prompt fingerprint; a chooser when
 * several exist) and the density run's embedder.
 */
import type { CurationSummary, FingerprintView, HostCommand } from '../../extension/protocol';
import { button, dropdown, type DropdownControl } from '../controls';
import { el, formatCount } from '../dom';

export interface CurationToolbarEvents {
  onCommand(command: HostCommand): void;
  onFingerprint(key: string): void;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 8);
}

export function fingerprintLabel(f: FingerprintView): string {
  return `${f.model} · prompt ${shortSha(f.promptSha256)}`;
}

export class CurationToolbar {
  readonly element: HTMLElement;
  private readonly fingerprint: HTMLElement;
  private readonly chooser: DropdownControl;
  private readonly density: HTMLElement;

  constructor(events: CurationToolbarEvents) {
    const command = (label: string, title: string, name: HostCommand, secondary = true) => button({ label, title, secondary, className: `command-${name}`, onClick: () => events.onCommand(name) });
    this.fingerprint = el('span', { className: 'toolbar-info fingerprint' });
    this.chooser = dropdown({ label: 'Ask-LLM scores shown (model and prompt)', className: 'fingerprint-chooser', onChange: (key) => events.onFingerprint(key) });
    this.chooser.element.hidden = true;
    this.density = el('span', { className: 'toolbar-info density-run' });
    this.element = el('div', { className: 'curation-toolbar', attrs: { role: 'toolbar', 'aria-label': 'Curation' } }, [
      command('Score Selected', 'Score the selected rows with Ask-LLM', 'scoreSelected'),
      command('Score All', 'Score every row with Ask-LLM', 'scoreAll'),
      command('Model…', 'Choose the Ask-LLM model (Ollama)', 'selectModel'),
      this.fingerprint,
      this.chooser.element,
      el('span', { className: 'toolbar-separator', attrs: { 'aria-hidden': 'true' } }),
      command('Compute Density', 'Embed every row and compute its density', 'computeDensity'),
      this.density,
      el('span', { className: 'toolbar-separator', attrs: { 'aria-hidden': 'true' } }),
      command('Export…', 'Export the kept rows with a recipe', 'export', false),
    ]);
  }

  setSummary(summary: CurationSummary): void {
    const { shown, available } = summary.askllm;
    this.chooser.element.hidden = available.length < 2;
    this.fingerprint.hidden = available.length >= 2;
    if (available.length >= 2) {
      this.chooser.setOptions(available.map((f) => ({ value: f.key, label: `${fingerprintLabel(f)} (${formatCount(f.scored)})` })), shown?.key);
    }
    this.fingerprint.textContent = shown ? fingerprintLabel(shown) : 'not scored';
    this.fingerprint.title = shown
      ? `Ask-LLM scores of ${shown.model}${shown.modelDigest ? ` (digest ${shortSha(shown.modelDigest)})` : ''} with prompt ${shown.promptSha256}: ${formatCount(shown.scored)} rows scored, ${formatCount(shown.failed)} failed`
      : 'No Ask-LLM scores yet';
    const d = summary.density;
    this.density.textContent = d.embedder ? `${d.embedder}` : 'no density';
    this.density.title = d.embedder ? `Density of ${formatCount(d.rows)} rows; embedder ${d.embedder}${d.method ? `, ${d.method}` : ''}${d.createdAt ? `, computed ${d.createdAt}` : ''}` : 'No density computed yet';
  }
}
