// @ts-check
// One control per parameter kind. Each returns { element, update(value) }; hooks.send(value) sends a change.
import { entryFields } from '../values.js';
import { weightedList } from './entries.js';
import { field } from './field.js';
import { intList } from './int-list.js';
import { el } from '../dom.js';
import { numberField, slider } from './widgets.js';

/** @typedef {import('../types').PageSpec} PageSpec */
/** @typedef {import('../types').Control} Control */
/** @typedef {import('../types').ControlHooks} ControlHooks */

/** @param {PageSpec} spec @param {unknown} value @param {ControlHooks} hooks @returns {Control} */
function numeric(spec, value, hooks) {
  if (spec.min === undefined || spec.max === undefined) return numberField(spec, value, hooks);
  return slider(spec, value, hooks.send);
}

/** @param {PageSpec} _spec @param {unknown} value @param {ControlHooks} hooks @returns {Control} */
function checkbox(_spec, value, hooks) {
  const input = el('input', { type: 'checkbox', checked: Boolean(value) });
  input.onchange = () => hooks.send(input.checked);
  return { element: input, update: (v) => (input.checked = Boolean(v)) };
}

/** @param {PageSpec} spec @param {unknown} value @param {ControlHooks} hooks @returns {Control} */
function select(spec, value, hooks) {
  const input = el('select');
  for (const v of spec.values ?? []) input.append(el('option', { value: v, textContent: v }));
  input.value = String(value);
  input.onchange = () => hooks.send(input.value);
  return { element: input, update: (v) => (input.value = String(v)) };
}

/** @param {PageSpec} _spec @param {unknown} value @param {ControlHooks} hooks @returns {Control} */
function text(_spec, value, hooks) {
  return field(value, { className: 'text', parse: (t) => ({ ok: true, value: t }), show: (v) => String(v ?? ''), commit: hooks.send, invalid: hooks.invalid });
}

/** A list typed as "cuda, cpu": every item must be one of the schema's values. @param {PageSpec} spec @param {unknown} value @param {ControlHooks} hooks @returns {Control} */
function enumList(spec, value, hooks) {
  const allowed = spec.values ?? [];
  /** @param {string} t @returns {import('./field.js').Parsed} */
  const parse = (t) => {
    const items = t.split(',').map((s) => s.trim()).filter(Boolean);
    const wrong = items.find((i) => !allowed.includes(i));
    if (wrong !== undefined) return { ok: false, error: `"${wrong}" is not one of ${allowed.join(', ')}` };
    return items.length ? { ok: true, value: items } : { ok: false, error: 'empty: name at least one' };
  };
  const control = field(value, { className: 'list-text', parse, show: (v) => /** @type {string[]} */ (v).join(', '), commit: hooks.send, invalid: hooks.invalid });
  control.element.title = `from: ${allowed.join(', ')}`;
  return control;
}

/** @type {Record<string, (spec: PageSpec, value: unknown, hooks: ControlHooks) => Control>} */
const BY_KIND = { number: numeric, integer: numeric, boolean: checkbox, enum: select, string: text, int_list: intList, enum_list: enumList };

/** @param {PageSpec} spec @param {unknown} value @param {ControlHooks} hooks @returns {Control} */
export function controlFor(spec, value, hooks) {
  const fields = entryFields(spec);
  if (fields) return weightedList(spec, fields, value, hooks);
  return (BY_KIND[spec.kind] ?? text)(spec, value, hooks);
}
