import type { Conditioning, ModelDialect, TensorF32 } from '../../models/sd-models.js';
import { blend, type Interpolation } from './blend.js';
import { concatSlots, repeatSlots, slots } from './tensor.js';

/**
 * Entry-by-entry operations on a Conditioning record: whatever inputs a UNet takes (SDXL's text_embeds and
 * time_ids, LCM's timestep_cond), blending and the per-slot layout treat every entry the same way, so the
 * algorithm files never name them. ControlNet residuals are not conditioning: they are computed per UNet call from
 * its sample and timestep (UnetInputs.residuals, controlnet.ts).
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

/**
 * diffusers' LatentConsistencyModelPipeline.get_guidance_scale_embedding of w = scale - 1: w*1000 times
 * exp(-i * ln(10000) / (half - 1)) for i < half, sines then cosines, a zero at the end for an odd width; [1, width].
 */
export function guidanceScaleEmbedding(scale: number, width: number): TensorF32 {
  const w = (scale - 1) * 1000;
  const half = Math.floor(width / 2);
  const step = Math.log(10000) / (half - 1);
  const data = new Float32Array(width);
  for (let i = 0; i < half; i++) {
    const angle = w * Math.exp(-i * step);
    data[i] = Math.sin(angle);
    data[half + i] = Math.cos(angle);
  }
  return { data, dims: [1, width] };
}

/** SDXL's add_time_ids: [original h, w, crop top, left, target h, w] for the generation size, uncropped; [1, 6]. */
export function sdxlTimeIds(width: number, height: number): TensorF32 {
  return { data: Float32Array.of(height, width, 0, 0, height, width), dims: [1, 6] };
}

/** The UNet inputs that come from the parameters, not the prompt ([1, ...], alike for cond and uncond). */
export function callConditioning(dialect: ModelDialect, size: { width: number; height: number }, guidanceScale: number): Readonly<Record<string, TensorF32>> {
  return {
    ...(dialect.family === 'sdxl' ? { time_ids: sdxlTimeIds(size.width, size.height) } : {}),
    ...(dialect.timestepCondWidth > 0 ? { timestep_cond: guidanceScaleEmbedding(guidanceScale, dialect.timestepCondWidth) } : {}),
  };
}
