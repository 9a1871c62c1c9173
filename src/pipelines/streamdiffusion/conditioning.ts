import type { Conditioning, TensorF32 } from '../../models/sd-models.js';
import { blend, type Interpolation } from './blend.js';
import { concatSlots, repeatSlots, slots } from './tensor.js';

/**
 * Entry-by-entry operations on a Conditioning record: whatever inputs a UNet takes (SDXL's text_embeds and
 * time_ids, LCM's timestep_cond, ControlNet residuals later), blending and the per-slot layout treat every
 * entry the same way, so the algorithm files never name them.
 */
export function mapConditioning(c: Conditioning, f: (t: TensorF32, name: string) => TensorF32): Conditioning {
  return Object.fromEntries(Object.entries(c).map(([name, t]) => [name, f(t, name)])) as Conditioning;
}

/** Every part's entries concatenated along the batch, in order; the parts must name the same entries. */
export function concatConditioning(parts: readonly Conditioning[]): Conditioning {
  const first = parts[0];
  if (!first) throw new RangeError('concatConditioning needs at least one record');
  return mapConditioning(first, (_, name) => concatSlots(parts.map((p) => entry(p, name))));
}

export function repeatConditioning(c: Conditioning, times: number): Conditioning {
  return mapConditioning(c, (t) => repeatSlots(t, times));
}

/** Slots [from, to) of every entry, as copies. */
export function sliceConditioning(c: Conditioning, from: number, to = from + 1): Conditioning {
  return mapConditioning(c, (t) => slots(t, from, to));
}

/** One record from a weighted list, each entry blended on its own (see blend.ts). */
export function blendConditioning(list: readonly Conditioning[], weights: readonly number[], how: Interpolation): Conditioning {
  const first = list[0];
  if (!first) throw new RangeError('blendConditioning needs at least one record');
  if (list.length === 1) return first;
  return mapConditioning(first, (t, name) => ({ data: blend(list.map((c) => entry(c, name).data), weights, how), dims: [...t.dims] }));
}

function entry(c: Conditioning, name: string): TensorF32 {
  const t = c[name];
  if (!t) throw new RangeError(`conditioning records differ: one has no ${name}`);
  return t;
}
