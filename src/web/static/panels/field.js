// @ts-check
/**
 * A typed-in field (number, text, list, prompt): a change is sent on Enter or when the field is left, only when
 * it is valid; an invalid entry is marked until corrected, and Escape or leaving the field shows the engine's
 * value again. While someone types, engine pushes wait: the field never jumps under the fingers.
 */

import { el } from '../dom.js';

/** @typedef {{ ok: true, value: unknown } | { ok: false, error: string }} Parsed */
/**
 * @typedef {object} FieldOptions
 * @property {(text: string) => Parsed} parse text -> a value or why it is none
 * @property {(value: unknown) => string} show a value as the field's text
 * @property {(value: unknown) => void} commit a valid value typed in
 * @property {(message: string) => void} invalid the reason an entry is not sent ('' once it is valid)
 * @property {boolean} [multiline] a textarea: Enter applies, Shift+Enter is a new line
 * @property {string} [className]
 * @property {string} [placeholder]
 * @property {string} [inputMode]
 */

/** @param {unknown} value @param {FieldOptions} o */
export function field(value, o) {
  const input = o.multiline ? el('textarea') : el('input', { type: 'text' });
  if (input instanceof HTMLTextAreaElement) input.rows = 2;
  if (o.className) input.className = o.className;
  if (o.placeholder) input.placeholder = o.placeholder;
  if (o.inputMode) input.inputMode = o.inputMode;
  let shown = o.show(value);
  let committed = shown;
  input.value = shown;
  const editing = () => document.activeElement === input && input.value !== committed;
  const mark = (/** @type {string} */ message) => {
    input.classList.toggle('invalid', message !== '');
    input.setAttribute('aria-invalid', String(message !== ''));
  };
  const revert = () => {
    input.value = committed = shown;
    mark('');
  };
  const check = () => {
    const parsed = o.parse(input.value);
    mark(parsed.ok ? '' : parsed.error);
    o.invalid(parsed.ok ? '' : parsed.error);
    return parsed;
  };
  const apply = () => {
    if (input.value === committed) return;
    const parsed = check();
    if (!parsed.ok) {
      revert();
      o.invalid(`not sent: ${parsed.error}`);
      return;
    }
    committed = input.value;
    o.commit(parsed.value);
  };
  input.oninput = check;
  input.onblur = apply;
  input.onkeydown = (e) => {
    if (e.key === 'Escape') {
      revert();
      o.invalid('');
    } else if (e.key === 'Enter' && !(o.multiline && e.shiftKey)) {
      e.preventDefault();
      apply();
    }
  };
  return {
    element: input,
    /** @param {unknown} v */
    update(v) {
      shown = o.show(v);
      if (!editing()) revert();
    },
  };
}
