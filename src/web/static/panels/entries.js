// @ts-check
import { field } from './field.js';
import { el } from '../dom.js';
import { numberField } from './widgets.js';

/** @typedef {import('../types').PageSpec} PageSpec */
/** @typedef {import('../types').EntryField} EntryField */
/** @typedef {import('../types').ControlHooks} ControlHooks */
/** @typedef {Record<string, unknown>} Entry */

/**
 * The editor of a weighted list (prompts, seeds): one row per entry, its main field (text, seed) and the
 * other fields (weight). A row added with "+ add" stays local until its main field is filled in; one entry at
 * its default weight is sent as the plain value (a prompt, a seed). The fields come from `spec.entry.fields`.
 * @param {PageSpec} spec @param {EntryField[]} fields @param {unknown} value @param {ControlHooks} hooks
 */
export function weightedList(spec, fields, value, hooks) {
  const [main, ...rest] = /** @type {[EntryField, ...EntryField[]]} */ (fields);
  const defaults = Object.fromEntries(rest.map((f) => [f.name, f.default ?? 1]));
  const element = el('div', { className: 'rows' });
  /** @type {Entry[]} */
  let rows = [];
  /** @type {Entry[]} */
  let drafts = [];
  /** @type {{ update(entry: Entry): void }[]} */
  let shown = [];
  let lineCount = 0;
  let waiting = false;

  const plain = (/** @type {Entry[]} */ list) => list.length === 1 && rest.every((f) => list[0]?.[f.name] === defaults[f.name]);
  const send = (/** @type {Entry[]} */ list) => hooks.send(plain(list) ? list[0]?.[main.name] : list);
  const fromValue = (/** @type {unknown} */ v) => (Array.isArray(v) ? v.map((r) => ({ ...r })) : [{ ...defaults, [main.name]: v }]);

  /** @param {Entry} entry @param {boolean} draft @param {number} i its index once in the list */
  const line = (entry, draft, i) => {
    const set = (/** @type {string} */ name, /** @type {unknown} */ v) => {
      entry[name] = v;
      if (drafts.includes(entry)) {
        if (name !== main.name) return;
        drafts.splice(drafts.indexOf(entry), 1);
        return send([...rows, entry]);
      }
      // A row just added and sent, which the engine has not confirmed yet, is still this entry.
      const list = rows.length > i ? rows : [...rows, entry];
      send(list.map((r, j) => (j === i ? { ...r, [name]: v } : r)));
    };
    const controls = fields.map((f) => fieldControl(f, entry[f.name], { send: (v) => set(f.name, v), invalid: hooks.invalid }));
    const remove = el('button', { className: 'remove', textContent: '−', title: `remove this ${spec.key}`, disabled: !draft && rows.length === 1 });
    remove.onclick = () => (draft ? (drafts.splice(drafts.indexOf(entry), 1), render()) : send(rows.filter((_, j) => j !== i)));
    const div = el('div', { className: draft ? 'row draft' : 'row' });
    div.append(...controls.map((c) => c.element), remove);
    return { div, update: (/** @type {Entry} */ e) => controls.forEach((c, k) => c.update(e[fields[k]?.name ?? ''])) };
  };

  const addButton = el('button', { className: 'add', textContent: '+ add', title: `add a ${spec.key}: it applies once its ${main.name} is entered` });
  addButton.onclick = () => {
    drafts.push({ ...defaults, [main.name]: main.type === 'string' ? '' : undefined });
    render();
    /** @type {HTMLElement | null} */ (element.querySelector('.row.draft:last-of-type textarea, .row.draft:last-of-type input'))?.focus();
  };
  const render = () => {
    const lines = [...rows.map((r, i) => line(r, false, i)), ...drafts.map((d, i) => line(d, true, rows.length + i))];
    shown = lines.slice(0, rows.length);
    lineCount = lines.length;
    addButton.disabled = rows.length + drafts.length >= (spec.maxItems ?? Infinity);
    element.replaceChildren(...lines.map((l) => l.div), addButton);
  };
  const update = (/** @type {unknown} */ v) => {
    const next = fromValue(v);
    rows = next;
    const resized = lineCount !== rows.length + drafts.length || shown.length !== rows.length;
    if (!resized) return shown.forEach((s, i) => s.update(/** @type {Entry} */ (rows[i])));
    const typing = document.activeElement instanceof HTMLInputElement || document.activeElement instanceof HTMLTextAreaElement;
    if (typing && element.contains(document.activeElement)) waiting = true;
    else render();
  };
  element.addEventListener('focusout', (e) => {
    if (waiting && !element.contains(/** @type {Node | null} */ (e.relatedTarget))) {
      waiting = false;
      render();
    }
  });
  rows = fromValue(value);
  render();
  return { element, update };
}

/** @param {EntryField} f @param {unknown} value @param {ControlHooks} hooks */
function fieldControl(f, value, hooks) {
  if (f.type === 'string') {
    return field(value, { multiline: true, className: f.name, placeholder: `type a ${f.name}, Enter applies`, parse: (t) => (t.trim() ? { ok: true, value: t } : { ok: false, error: `empty ${f.name}` }), show: (v) => String(v ?? ''), commit: hooks.send, invalid: hooks.invalid });
  }
  const control = numberField({ type: f.type, min: f.min, max: f.max }, value, hooks, f.name);
  control.element.title = f.name;
  control.element.setAttribute('aria-label', f.name);
  if (value === undefined) /** @type {HTMLInputElement} */ (control.element).placeholder = f.name;
  return control;
}
