/**
 * The status line: format, rows (with indexing progress), file size, malformed lines (opens their
 * list), the selection size and the text-field chooser.
 */
import type { ShardFormat, ShardInfo } from '../extension/protocol';
import { dropdown, type DropdownControl } from './controls';
import { el, formatBytes, formatCount } from './dom';
import { stringColumns } from './grid/columns';

const FORMAT_NAMES: Record<ShardFormat, string> = {
  jsonl: 'JSONL',
  'jsonl.gz': 'JSONL (gzip)',
  'arrow-file': 'Arrow IPC file',
  'arrow-stream': 'Arrow IPC stream',
};

export interface StatusEvents {
  onShowMalformed(anchor: HTMLElement): void;
  onTextFieldChange(field: string): void;
}

export class StatusLine {
  readonly element: HTMLElement;
  private readonly format = el('span', { className: 'status-item status-format' });
  private readonly rows = el('span', { className: 'status-item status-rows' });
  private readonly size = el('span', { className: 'status-item status-size' });
  private readonly malformed: HTMLButtonElement;
  private readonly selection = el('span', { className: 'status-item status-selection' });
  private readonly message = el('span', { className: 'status-item status-message', attrs: { role: 'status' } });
  private readonly note = el('span', { className: 'status-item status-note', attrs: { role: 'status' } });
  private noteTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly textField: DropdownControl;
  private info: ShardInfo | undefined;

  constructor(events: StatusEvents) {
    this.malformed = el('button', { className: 'status-item status-link status-malformed', attrs: { type: 'button' } });
    this.malformed.hidden = true;
    this.malformed.addEventListener('click', () => events.onShowMalformed(this.malformed));
    this.textField = dropdown({ label: 'Text field', className: 'status-text-field', onChange: (value) => events.onTextFieldChange(value) });
    const chooser = el('label', { className: 'status-item status-chooser' }, [el('span', { text: 'Text field' }), this.textField.element]);
    this.element = el('footer', { className: 'status', attrs: { 'aria-label': 'Shard status' } }, [
      this.format, this.rows, this.size, this.malformed, this.selection, this.note, this.message, el('span', { className: 'status-spacer' }), chooser,
    ]);
  }

  setInfo(info: ShardInfo): void {
    this.info = info;
    this.format.textContent = FORMAT_NAMES[info.format] ?? info.format;
    this.format.title = info.fileName;
    this.size.textContent = formatBytes(info.bytes);
    this.size.title = `${formatCount(info.bytes)} bytes on disk`;
    this.malformed.hidden = info.malformedCount === 0;
    this.malformed.textContent = `${formatCount(info.malformedCount)} malformed line${info.malformedCount === 1 ? '' : 's'}`;
    this.malformed.title = 'Show the malformed lines (they are not rows)';
    if (info.indexed) this.rows.textContent = `${formatCount(info.rowCount)} rows`;
    else this.setIndexing(info.rowCount, undefined);
    const candidates = stringColumns(info);
    if (info.textField !== undefined && !candidates.includes(info.textField)) candidates.unshift(info.textField);
    this.textField.setOptions(candidates.map((name) => ({ value: name, label: name })), info.textField);
    this.textField.element.toggleAttribute('disabled', candidates.length < 2);
  }

  setIndexing(rows: number, fraction: number | undefined): void {
    if (this.info?.indexed) return;
    this.rows.textContent = `indexing… ${formatCount(rows)} rows${fraction === undefined ? '' : `, ${Math.floor(fraction * 100)}%`}`;
  }

  setSelection(count: number): void {
    this.selection.textContent = count > 1 ? `${formatCount(count)} selected` : '';
  }

  /** What an action just did ("Kept 3 rows by hand."); fades after a few seconds. */
  setNote(text: string): void {
    this.note.textContent = text;
    clearTimeout(this.noteTimer);
    this.noteTimer = setTimeout(() => (this.note.textContent = ''), 6000);
  }

  /** A transient problem (a failed page read); cleared by the next successful action. */
  setMessage(text: string): void {
    if (this.message.textContent !== text) this.message.textContent = text;
  }
}
