// @ts-check
// The building blocks of the controls: a slider, a validated number field.
import { decimals, formatNumber, parseNumber, sliderStep } from '../format.js';
import { el } from '../dom.js';
import { field } from './field.js';

/** @typedef {import('../types').ControlHooks} ControlHooks */
/** @typedef {import('../format.js').NumberShape} NumberShape */


/**
 * A slider that shows the engine's value; while it is held, pushes wait and the held position is sent.
 * @param {NumberShape} shape @param {unknown} value @param {(v: number) => void} send
 */
export function slider(shape, value, send) {
  const input = el('input', { type: 'range', min: String(shape.min), max: String(shape.max), step: String(sliderStep(shape)) });
  const out = el('output');
  let engine = value;
  const show = () => {
    out.textContent = formatNumber(shape, engine);
    if (input.dataset.dragging !== '1') input.value = formatNumber(shape, engine);
  };
  input.onpointerdown = () => (input.dataset.dragging = '1');
  input.onpointerup = input.onpointercancel = () => ((input.dataset.dragging = '0'), show());
  input.oninput = () => {
    out.textContent = formatNumber(shape, Number(input.value));
    send(Number(input.value));
  };
  show();
  const element = el('div', { className: 'value' });
  element.append(input, out);
  return { element, update: (/** @type {unknown} */ v) => ((engine = v), show()) };
}

/** A number typed in: only a number within the schema's range is sent. @param {NumberShape} shape @param {unknown} value @param {ControlHooks} hooks */
export function numberField(shape, value, hooks, className = 'number') {
  return field(value, {
    className, inputMode: decimals(shape) ? 'decimal' : 'numeric',
    parse: (t) => parseNumber(shape, t), show: (v) => formatNumber(shape, v), commit: hooks.send, invalid: hooks.invalid,
  });
}
