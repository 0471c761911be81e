/** A titled section whose body folds away; its header is a real button with aria-expanded. */
import { el } from '../dom';

export class Collapsible {
  readonly element: HTMLElement;
  readonly body: HTMLElement;
  /** Extra controls shown at the right of the header. */
  readonly actions: HTMLElement;
  private readonly toggle: HTMLButtonElement;

  constructor(title: string, className: string, open: boolean, private readonly onToggle: (open: boolean) => void) {
    const id = `${className}-body`;
    this.toggle = el('button', { className: 'section-toggle', attrs: { type: 'button', 'aria-controls': id } }, [
      el('span', { className: 'section-chevron', attrs: { 'aria-hidden': 'true' } }),
      el('span', { className: 'section-title', text: title }),
    ]);
    this.actions = el('span', { className: 'section-actions' });
    this.body = el('div', { className: 'section-body', attrs: { id } });
    this.element = el('section', { className: `section ${className}`, attrs: { 'aria-label': title } }, [el('div', { className: 'section-header' }, [this.toggle, this.actions]), this.body]);
    this.toggle.addEventListener('click', () => this.setOpen(!this.open, true));
    this.setOpen(open, false);
  }

  get open(): boolean {
    return this.toggle.getAttribute('aria-expanded') === 'true';
  }

  setOpen(open: boolean, byUser: boolean): void {
    this.toggle.setAttribute('aria-expanded', String(open));
    this.element.classList.toggle('open', open);
    this.body.hidden = !open;
    if (byUser) this.onToggle(open);
  }
}
