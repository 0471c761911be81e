/**
 * The one module that knows which UI component library renders buttons, fields and dropdowns
 * (@vscode/webview-ui-toolkit today). Everything else calls these factories, so swapping the
 * library (e.g. for @vscode-elements/elements) only touches this file.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

let registered = false;

export function registerControls(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeCheckbox(), vsCodeDropdown(), vsCodeOption(), vsCodeTextField());
}

export interface ButtonOptions {
  /** Text on the button, or a short glyph for icon buttons. */
  label: string;
  /** Tooltip and accessible name. */
  title: string;
  icon?: boolean;
  secondary?: boolean;
  className?: string;
  onClick(event: MouseEvent): void;
}

export function button(options: ButtonOptions): HTMLElement {
  const node = document.createElement('vscode-button');
  node.textContent = options.label;
  node.setAttribute('title', options.title);
  node.setAttribute('aria-label', options.title);
  if (options.icon) node.setAttribute('appearance', 'icon');
  else if (options.secondary) node.setAttribute('appearance', 'secondary');
  if (options.className) node.className = options.className;
  node.addEventListener('click', (event) => {
    if (!node.hasAttribute('disabled')) options.onClick(event);
  });
  return node;
}

export function setDisabled(control: HTMLElement, disabled: boolean): void {
  control.toggleAttribute('disabled', disabled);
}

/** An icon button that stays pressed (regex, case-sensitive). */
export function toggleButton(options: Omit<ButtonOptions, 'onClick' | 'icon'> & { pressed: boolean; onToggle(pressed: boolean): void }): HTMLElement {
  const node = button({
    ...options,
    icon: true,
    onClick: () => {
      const pressed = node.getAttribute('aria-pressed') !== 'true';
      setPressed(node, pressed);
      options.onToggle(pressed);
    },
  });
  node.classList.add('toggle');
  setPressed(node, options.pressed);
  return node;
}

export function setPressed(node: HTMLElement, pressed: boolean): void {
  node.setAttribute('aria-pressed', String(pressed));
  node.classList.toggle('pressed', pressed);
}

export interface TextFieldControl {
  element: HTMLElement;
  value: string;
  focus(): void;
}

export function textField(options: { placeholder: string; label: string; value: string; className?: string }): TextFieldControl {
  const node = document.createElement('vscode-text-field') as HTMLElement & { value: string };
  node.setAttribute('placeholder', options.placeholder);
  node.setAttribute('aria-label', options.label);
  node.setAttribute('value', options.value);
  if (options.className) node.className = options.className;
  return {
    element: node,
    get value() {
      return node.value ?? '';
    },
    set value(v: string) {
      node.value = v;
    },
    focus: () => node.focus(),
  };
}

export interface DropdownControl {
  element: HTMLElement;
  setOptions(options: Array<{ value: string; label: string }>, selected: string | undefined): void;
}

export function dropdown(options: { label: string; className?: string; onChange(value: string): void }): DropdownControl {
  const node = document.createElement('vscode-dropdown') as HTMLElement & { value: string };
  node.setAttribute('aria-label', options.label);
  node.setAttribute('title', options.label);
  if (options.className) node.className = options.className;
  let settingOptions = false;
  node.addEventListener('change', () => {
    if (!settingOptions) options.onChange(node.value);
  });
  return {
    element: node,
    setOptions(items, selected) {
      settingOptions = true;
      node.replaceChildren(
        ...items.map((item) => {
          const option = document.createElement('vscode-option') as HTMLElement & { value: string };
          option.setAttribute('value', item.value);
          option.textContent = item.label;
          if (item.value === selected) option.setAttribute('selected', '');
          return option;
        }),
      );
      if (selected !== undefined) node.value = selected;
      settingOptions = false;
    },
  };
}

export function checkbox(options: { label: string; checked: boolean; onChange(checked: boolean): void }): HTMLElement {
  const node = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  node.textContent = options.label;
  if (options.checked) node.setAttribute('checked', '');
  node.addEventListener('change', () => options.onChange(node.checked));
  return node;
}
