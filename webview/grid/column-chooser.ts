/** The column chooser menu: one checkbox per column; at least one column stays visible. */
import { checkbox } from '../controls';
import { el } from '../dom';
import type { ColumnDef } from './columns';

export class ColumnChooser {
  readonly element: HTMLElement;
  private closeOnOutside = (event: MouseEvent): void => {
    if (!this.element.contains(event.target as Node) && !this.anchor.contains(event.target as Node)) this.close();
  };

  constructor(
    private readonly anchor: HTMLElement,
    private readonly onToggle: (id: string, visible: boolean) => void,
  ) {
    this.element = el('div', { className: 'menu column-chooser', attrs: { role: 'menu', 'aria-label': 'Columns' } });
    this.element.hidden = true;
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        this.close();
        this.anchor.focus();
      }
    });
  }

  get isOpen(): boolean {
    return !this.element.hidden;
  }

  open(columns: ColumnDef[], hidden: ReadonlySet<string>): void {
    const visibleCount = () => columns.filter((c) => !hidden.has(c.id)).length;
    this.element.replaceChildren(
      el('div', { className: 'menu-title', text: 'Columns' }),
      ...columns.map((column) => {
        const item = el('div', { className: 'menu-item', attrs: { role: 'menuitemcheckbox', 'aria-checked': String(!hidden.has(column.id)), 'data-column': column.id } });
        const box = checkbox({
          label: column.id === 'row' ? '# (row number)' : column.title,
          checked: !hidden.has(column.id),
          onChange: (checked) => {
            if (!checked && visibleCount() <= 1) {
              (box as HTMLElement & { checked: boolean }).checked = true;
              return;
            }
            item.setAttribute('aria-checked', String(checked));
            this.onToggle(column.id, checked);
          },
        });
        item.append(box);
        return item;
      }),
    );
    this.element.hidden = false;
    document.addEventListener('mousedown', this.closeOnOutside, true);
    (this.element.querySelector('vscode-checkbox') as HTMLElement | null)?.focus();
  }

  close(): void {
    this.element.hidden = true;
    document.removeEventListener('mousedown', this.closeOnOutside, true);
  }
}
