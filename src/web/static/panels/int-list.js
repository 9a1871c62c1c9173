// @ts-check
import { parseNumber } from '../format.js';
import { field } from './field.js';
import { el } from '../dom.js';
import { slider } from './widgets.js';

/** @typedef {import('../types').PageSpec} PageSpec */
/** @typedef {import('../types').ControlHooks} ControlHooks */

/**
 * A list of integers (t_index_list): one slider per entry, the list typed as "32, 45", and buttons to add or
 * remove an entry within the schema's item count. Nothing is sent for a list with an invalid item.
 * @param {PageSpec} spec @param {string} t @returns {import('./field.js').Parsed}
 */
function parseList(spec, t) {
  const items = t.split(',').map((s) => s.trim());
  const values = [];
  for (const item of items) {
    const n = parseNumber({ kind: 'integer', min: spec.min, max: spec.max }, item);
    if (!n.ok) return { ok: false, error: items.length > 1 ? `item ${values.length + 1}: ${n.error}` : n.error };
    values.push(n.value);
  }
  const [lo, hi] = [spec.minItems ?? 1, spec.maxItems ?? Infinity];
  if (values.length < lo || values.length > hi) return { ok: false, error: `${values.length} items: ${lo}..${hi} allowed` };
  return { ok: true, value: values };
}

/** @param {PageSpec} spec @param {unknown} value @param {ControlHooks} hooks */
export function intList(spec, value, hooks) {
  let list = /** @type {number[]} */ (value);
  const sliders = el('div', { className: 'sliders' });
  const typed = field(value, { className: 'list-text', parse: (t) => parseList(spec, t), show: (v) => /** @type {number[]} */ (v).join(', '), commit: hooks.send, invalid: hooks.invalid });
  typed.element.title = `${spec.min}..${spec.max}, ${spec.minItems ?? 1} to ${spec.maxItems ?? 'any number of'} items, e.g. 32, 45`;
  /** @type {ReturnType<typeof slider>[]} */
  let entries = [];
  const add = el('button', { className: 'add', textContent: '+ step', title: 'add a denoising step' });
  const remove = el('button', { className: 'remove', textContent: '− step', title: 'remove the last step' });
  add.onclick = () => hooks.send([...list, list[list.length - 1] ?? spec.min ?? 0]);
  remove.onclick = () => hooks.send(list.slice(0, -1));
  const render = () => {
    entries = list.map((v, i) => {
      const s = slider({ kind: 'integer', min: spec.min, max: spec.max }, v, (n) => hooks.send(list.map((x, j) => (j === i ? n : x))));
      s.element.prepend(el('span', { className: 'entry-label', textContent: `${i + 1}` }));
      return s;
    });
    sliders.replaceChildren(...entries.map((e) => e.element));
    add.disabled = list.length >= (spec.maxItems ?? Infinity);
    remove.disabled = list.length <= (spec.minItems ?? 1);
  };
  render();
  const buttons = el('div', { className: 'list-buttons' });
  buttons.append(typed.element, add, remove);
  const element = el('div', { className: 'int-list' });
  element.append(sliders, buttons);
  return {
    element,
    /** @param {unknown} v */
    update(v) {
      const next = /** @type {number[]} */ (v);
      const resized = next.length !== list.length;
      list = next;
      if (resized) render();
      else entries.forEach((e, i) => e.update(list[i]));
      typed.update(list);
    },
  };
}
