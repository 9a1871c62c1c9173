import { SdliveError } from '../../errors.js';
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

/** out[i] = a[i]*x[i] + b[i]*y[i] with per-slot scalars: the one hot loop every slot update goes through. */
export function axpbySlots(a: readonly number[], x: TensorF32, b: readonly number[], y: TensorF32): TensorF32 {
  if (x.data.length !== y.data.length) throw new RangeError(`tensor sizes differ: [${x.dims}] vs [${y.dims}]`);
  const len = slotLength(x);
  const out = zeros(x.dims);
  const [xd, yd, od] = [x.data, y.data, out.data];
  for (let i = 0; i < slotCount(x); i++) {
    const [ai, bi] = [a[i]!, b[i]!];
    for (let j = i * len, end = j + len; j < end; j++) od[j] = ai * xd[j]! + bi * yd[j]!;
  }
  return out;
}

export function scaleSlots(a: readonly number[], x: TensorF32): TensorF32 {
  return axpbySlots(a, x, a.map(() => 0), x);
}

/** NaN or Inf must never reach the stream state or a frame (fp16 overflow is the usual source). */
export function assertFinite(t: TensorF32, what: string): void {
  const d = t.data;
  for (let j = 0; j < d.length; j++) {
    if (!Number.isFinite(d[j]!)) throw new SdliveError('SDL_ERR_NONFINITE', `${what} [${t.dims}] has a non-finite value at ${j}`);
  }
}
