// One control per parameter kind. Each returns { element, update(value) }; onChange(value) sends a change.

const el = (tag, props = {}) => Object.assign(document.createElement(tag), props);
const busy = (input) => document.activeElement === input && input.dataset.dragging === '1';

function range(spec, value, onChange) {
  const input = el('input', { type: 'range', min: spec.min, max: spec.max, step: spec.kind === 'integer' ? (spec.step ?? 1) : 'any', value });
  const out = el('output', { textContent: value });
  input.onpointerdown = () => (input.dataset.dragging = '1');
  input.onpointerup = () => (input.dataset.dragging = '0');
  input.oninput = () => {
    out.textContent = input.value;
    onChange(Number(input.value));
  };
  const element = el('div', { className: 'value' });
  element.append(input, out);
  return { element, update: (v) => {
    out.textContent = v;
    if (!busy(input)) input.value = v;
  } };
}

function numberBox(spec, value, onChange) {
  const input = el('input', { type: 'number', value, step: spec.kind === 'integer' ? 1 : 'any' });
  input.onchange = () => onChange(Number(input.value));
  return { element: input, update: (v) => (input.value = v) };
}

function checkbox(_spec, value, onChange) {
  const input = el('input', { type: 'checkbox', checked: value });
  input.onchange = () => onChange(input.checked);
  return { element: input, update: (v) => (input.checked = v) };
}

function select(spec, value, onChange) {
  const input = el('select');
  for (const v of spec.values) input.append(el('option', { value: v, textContent: v }));
  input.value = value;
  input.onchange = () => onChange(input.value);
  return { element: input, update: (v) => (input.value = v) };
}

function text(_spec, value, onChange) {
  const input = el('input', { type: 'text', value });
  input.onchange = () => onChange(input.value);
  return { element: input, update: (v) => (input.value = v) };
}

/** A list typed as "32, 45" (int_list) or "cuda, cpu" (enum_list). */
function list(spec, value, onChange) {
  const input = el('input', { type: 'text', value: value.join(', '), title: spec.values ? `from: ${spec.values.join(', ')}` : `${spec.min}..${spec.max}` });
  input.onchange = () => {
    const items = input.value.split(',').map((s) => s.trim()).filter(Boolean);
    onChange(spec.kind === 'int_list' ? items.map(Number) : items);
  };
  return { element: input, update: (v) => (input.value = v.join(', ')) };
}

const ROW = { prompt: { field: 'text', blank: '' }, seed: { field: 'seed', blank: 0 } };

/** A weighted list editor (prompts, seeds): rows of value + weight, add and remove. */
function weightedList(spec, value, onChange) {
  const { field, blank } = ROW[spec.kind];
  const element = el('div', { className: 'rows' });
  let rows = [];
  const send = () => onChange(rows.length === 1 && rows[0].weight === 1 ? rows[0][field] : rows.map((r) => ({ ...r })));
  const render = () => {
    element.replaceChildren(...rows.map((r, i) => {
      const line = el('div', { className: 'row' });
      const main = spec.kind === 'prompt' ? el('textarea', { rows: 2, value: r.text }) : el('input', { type: 'number', step: 1, value: r.seed });
      main.onchange = () => ((r[field] = spec.kind === 'prompt' ? main.value : Number(main.value)), send());
      const weight = el('input', { type: 'number', min: 0, max: 10, step: 0.05, value: r.weight, title: 'weight' });
      weight.onchange = () => ((r.weight = Number(weight.value)), send());
      const remove = el('button', { textContent: '−', title: 'remove', disabled: rows.length === 1 });
      remove.onclick = () => (rows.splice(i, 1), render(), send());
      line.append(main, weight, remove);
      return line;
    }), addButton);
  };
  const addButton = el('button', { textContent: '+ add', title: `add a ${spec.kind}` });
  addButton.onclick = () => (rows.push({ [field]: blank, weight: 1 }), render(), send());
  const update = (v) => {
    if (element.contains(document.activeElement)) return;
    rows = Array.isArray(v) ? v.map((r) => ({ ...r })) : [{ [field]: v, weight: 1 }];
    render();
  };
  update(value);
  return { element, update };
}

const BY_KIND = { boolean: checkbox, enum: select, string: text, int_list: list, enum_list: list, prompt: weightedList, seed: weightedList };

export function controlFor(spec, value, onChange) {
  if (spec.kind === 'number' || spec.kind === 'integer') return (spec.min !== undefined && spec.max !== undefined ? range : numberBox)(spec, value, onChange);
  return (BY_KIND[spec.kind] ?? text)(spec, value, onChange);
}
