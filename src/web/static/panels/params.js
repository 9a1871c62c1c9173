// @ts-check
import { controlFor } from './controls.js';
import { LearnButtons } from './learn.js';
import { el } from '../dom.js';

/** @typedef {import('../types').PageSpec} PageSpec */
/** @typedef {import('../channel.js').Channel} Channel */
/** @typedef {{ channel: Channel, specs: PageSpec[], midi: boolean }} PanelContext */

/** What a performer reaches for during a show, in this order; everything else is grouped and folded away. */
export const PERFORM_KEYS = ['prompt', 'prompt_interpolation', 't_index_list', 'seed', 'guidance_scale', 'delta', 'paused', 'blackout', 'fade'];

/** The label: name, unit, "reload" for load-time parameters; the description as its tooltip. @param {PageSpec} spec */
function labelOf(spec) {
  const label = el('label', { className: 'name', textContent: spec.label ?? spec.key });
  label.title = `${spec.key}: ${spec.description}`;
  if (spec.unit) label.append(el('span', { className: 'unit', textContent: ` (${spec.unit})` }));
  if (spec.phase === 'load') label.append(el('span', { className: 'load', textContent: 'reloads the model' }));
  return label;
}

/**
 * One parameter: label, control, learn button, help line, and a note for what was not applied: an invalid
 * entry, or the engine's refusal (the control then shows the engine's value again).
 * @param {PageSpec} spec @param {Channel} channel @param {LearnButtons} learn @param {boolean} help
 */
function paramRow(spec, channel, learn, help) {
  const div = el('div', { className: 'param' });
  div.dataset.key = spec.key;
  const note = el('div', { className: 'note' });
  const say = (/** @type {string} */ text, /** @type {string} */ kind) => {
    note.textContent = text;
    note.dataset.kind = kind;
  };
  const control = controlFor(spec, channel.values[spec.key], {
    send: (value) => (say('', ''), void channel.set(spec.key, value)),
    invalid: (message) => say(message, 'invalid'),
  });
  channel.on(spec.key, (value) => control.update(value));
  channel.onRefused((key, message) => {
    if (key !== spec.key) return;
    control.update(channel.values[spec.key]);
    say(`not applied: ${message.replace(/^rejected: /, '')}`, 'refused');
  });
  const button = learn.create(spec, note);
  div.append(labelOf(spec), control.element, ...(button ? [button] : []));
  if (help && spec.description) div.append(el('div', { className: 'help', textContent: spec.description }));
  div.append(note);
  return div;
}

/** The performer's controls, large and first. */
export const performPanel = {
  id: 'perform',
  title: 'Perform',
  /** @param {HTMLElement} section @param {PanelContext} ctx */
  mount(section, { channel, specs, midi }) {
    const learn = new LearnButtons(channel, midi);
    const byKey = new Map(specs.map((s) => [s.key, s]));
    for (const key of PERFORM_KEYS) {
      const spec = byKey.get(key);
      if (spec) section.append(paramRow(spec, channel, learn, spec.kind === 'int_list'));
    }
    section.dataset.learn = midi ? 'on' : 'off';
  },
};

/** Every other schema parameter, in the schema's groups, each group folded (its state kept in this browser). */
export const paramsPanel = {
  id: 'params',
  title: 'More parameters',
  /** @param {HTMLElement} section @param {PanelContext} ctx */
  mount(section, { channel, specs, midi }) {
    const learn = new LearnButtons(channel, midi);
    /** @type {Map<string, HTMLDetailsElement>} */
    const groups = new Map();
    // Structured values (modulators) have a panel of their own.
    for (const spec of specs.filter((s) => !PERFORM_KEYS.includes(s.key) && s.kind !== 'json')) {
      const group = groups.get(spec.group) ?? folded(spec.group);
      if (!groups.has(spec.group)) section.append(group);
      groups.set(spec.group, group);
      group.append(paramRow(spec, channel, learn, true));
    }
  },
};

/** @param {string} name */
function folded(name) {
  const details = el('details', { className: 'group' });
  details.dataset.group = name;
  const stored = `sdlive.group.${name}`;
  details.open = window.localStorage.getItem(stored) === 'open';
  details.ontoggle = () => window.localStorage.setItem(stored, details.open ? 'open' : 'closed');
  details.append(el('summary', { textContent: name }));
  return details;
}
