import type { TensorF32 } from '../../models/sd-models.js';

/**
 * Slot arithmetic on float32 tensors whose first dimension is the batch ("slots", one per t_index).
 * Results are fresh tensors: nothing here aliases its inputs.
 */
export function zeros(dims: readonly number[]): TensorF32 {
  return { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims: [...dims] };
}

export function slotCount(t: TensorF32): number {
  return t.dims[0] ?? 0;
}

export function slotLength(t: TensorF32): number {
  return t.dims.slice(1).reduce((a, b) => a * b, 1);
}

/** Slots [from, to) as a copy. */
export function slots(t: TensorF32, from: number, to = from + 1): TensorF32 {
  const len = slotLength(t);
  return { data: t.data.slice(from * len, to * len), dims: [to - from, ...t.dims.slice(1)] };
}

export function concatSlots(parts: readonly TensorF32[]): TensorF32 {
  const first = parts[0];
  if (!first) throw new RangeError('concatSlots needs at least one tensor');
  const count = parts.reduce((n, p) => n + slotCount(p), 0);
  const out = zeros([count, ...first.dims.slice(1)]);
  let offset = 0;
  for (const p of parts) {
    out.data.set(p.data, offset);
    offset += p.data.length;
  }
  return out;
}

export function repeatSlots(t: TensorF32, times: number): TensorF32 {
  return concatSlots(Array.from({ length: times }, () => t));
}

/** Element-wise map where each slot i may use its own scalars: out = f(i, a, b). */
export function zipSlots(a: TensorF32, b: TensorF32, f: (slot: number, x: number, y: number) => number): TensorF32 {
  if (a.data.length !== b.data.length) throw new RangeError(`tensor sizes differ: [${a.dims}] vs [${b.dims}]`);
  const len = slotLength(a);
  const out = zeros(a.dims);
  for (let j = 0; j < out.data.length; j++) out.data[j] = f(Math.floor(j / len), a.data[j]!, b.data[j]!);
  return out;
}

/** out[i] = a[i]*x[i] + b[i]*y[i] with per-slot scalars. */
export function axpbySlots(a: readonly number[], x: TensorF32, b: readonly number[], y: TensorF32): TensorF32 {
  return zipSlots(x, y, (i, xv, yv) => a[i]! * xv + b[i]! * yv);
}

export function scaleSlots(a: readonly number[], x: TensorF32): TensorF32 {
  return zipSlots(x, x, (i, xv) => a[i]! * xv);
}
