// @ts-check
/** Numbers as the schema means them: at its step or a precision fitting its range (never float32 noise). */

/** @typedef {{ kind?: string, type?: string, min?: number, max?: number, step?: number }} NumberShape */

/** @param {NumberShape} shape */
const isInteger = (shape) => shape.kind === 'integer' || shape.kind === 'int_list' || shape.type === 'integer';

/** @param {number} step */
function decimalsOf(step) {
  const text = String(step);
  return text.includes('e-') ? Number(text.split('e-')[1]) : (text.split('.')[1] ?? '').length;
}

/** Decimal places to show: the step's, else 3 for a 0..1 range, 2 up to 20, 1 beyond. @param {NumberShape} shape */
export function decimals(shape) {
  if (isInteger(shape)) return 0;
  if (shape.step) return decimalsOf(shape.step);
  if (shape.min === undefined || shape.max === undefined) return 3;
  const span = shape.max - shape.min;
  return span <= 1 ? 3 : span <= 20 ? 2 : 1;
}

/** The step a slider moves by. @param {NumberShape} shape */
export function sliderStep(shape) {
  return shape.step ?? 10 ** -decimals(shape);
}

/** A number at the shape's precision, trailing zeros dropped: 0.699999988 -> "0.7". @param {NumberShape} shape @param {unknown} value */
export function formatNumber(shape, value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value ?? '');
  return String(Number(value.toFixed(decimals(shape))));
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Typed text -> a number within the shape, or the reason it is not one. Never 0 for text or an empty field.
 * @param {NumberShape} shape @param {string} text
 * @returns {{ ok: true, value: number } | { ok: false, error: string }}
 */
export function parseNumber(shape, text) {
  const t = text.trim();
  if (t === '') return { ok: false, error: 'empty: type a number' };
  if (!NUMBER.test(t)) return { ok: false, error: `"${t}" is not a number` };
  const value = Number(t);
  if (isInteger(shape) && !Number.isInteger(value)) return { ok: false, error: `"${t}" is not a whole number` };
  const { min, max } = shape;
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) return { ok: false, error: `${t} is outside ${min ?? '…'}..${max ?? '…'}` };
  return { ok: true, value };
}
