/** A decoded OSC argument as the control layer sees it (type tags collapsed to JS values). */
export type OscArg = number | string | boolean | null | Uint8Array;

export type ControlFailure = 'unknown_address' | 'bad_type' | 'out_of_range' | 'rejected' | 'malformed' | 'oversize' | 'not_allowed';

/** A control message that cannot be applied; reported as feedback and counted, never thrown past the server. */
export class ControlError extends Error {
  constructor(readonly reason: ControlFailure, message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

export interface NumberBounds {
  min?: number;
  max?: number;
  /** Values snap to multiples of step (integers have step 1). */
  step?: number;
}

const describe = (a: OscArg | undefined) => (a === undefined ? 'nothing' : a instanceof Uint8Array ? 'a blob' : JSON.stringify(a));

export function asNumber(a: OscArg | undefined): number {
  if (typeof a === 'number' && Number.isFinite(a)) return a;
  if (typeof a === 'boolean') return a ? 1 : 0;
  if (typeof a === 'string' && a.trim() !== '' && Number.isFinite(Number(a))) return Number(a);
  throw new ControlError('bad_type', `expected a number, got ${describe(a)}`);
}

const TRUE_WORDS = new Set(['true', 'on', 'yes', '1']);
const FALSE_WORDS = new Set(['false', 'off', 'no', '0']);

export function asBoolean(a: OscArg | undefined): boolean {
  if (typeof a === 'boolean') return a;
  if (typeof a === 'number' && Number.isFinite(a)) return a >= 0.5;
  if (typeof a === 'string' && TRUE_WORDS.has(a.toLowerCase())) return true;
  if (typeof a === 'string' && FALSE_WORDS.has(a.toLowerCase())) return false;
  throw new ControlError('bad_type', `expected a boolean, got ${describe(a)}`);
}

export function asString(a: OscArg | undefined): string {
  if (typeof a === 'string') return a;
  throw new ControlError('bad_type', `expected a string, got ${describe(a)}`);
}

/** Clamps into the schema's range and snaps to its step: a fader overshoot lands on the limit, not nowhere. */
export function fitNumber(x: number, b: NumberBounds): number {
  const clamped = Math.min(b.max ?? Infinity, Math.max(b.min ?? -Infinity, x));
  if (!b.step) return clamped;
  const base = b.min ?? 0;
  const snapped = base + Math.round((clamped - base) / b.step) * b.step;
  return snapped > (b.max ?? Infinity) ? snapped - b.step : snapped;
}

export const clamp01 = (x: number) => Math.min(1, Math.max(0, x));
