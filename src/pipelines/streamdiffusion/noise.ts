import type { TensorF32 } from '../../models/sd-models.js';
import type { SeedEntry } from './schema.js';
import { blend, type Interpolation, linearBlend, norm } from './blend.js';

/**
 * Seeded Gaussian noise that is the same on every run and machine: xoshiro128** (seeded through splitmix32)
 * feeding Box-Muller in float64, stored as float32. Tensors are drawn in memory order, so the first k slots
 * of an n-slot draw equal a k-slot draw.
 */
function splitmix32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

function xoshiro128ss(seed: number): () => number {
  const init = splitmix32(seed);
  let [a, b, c, d] = [init(), init(), init(), init()] as [number, number, number, number];
  return () => {
    const t = b << 9;
    let r = Math.imul(b, 5);
    r = Math.imul((r << 7) | (r >>> 25), 9);
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return r >>> 0;
  };
}

/** Uniform doubles in [0, 1) with 53 random bits. */
export function uniformSource(seed: number): () => number {
  const next = xoshiro128ss(seed);
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}

export function gaussianNoise(seed: number, count: number): Float32Array {
  const uniform = uniformSource(seed);
  const out = new Float32Array(count);
  for (let j = 0; j < count; j += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    out[j] = radius * Math.cos(angle);
    if (j + 1 < count) out[j + 1] = radius * Math.sin(angle);
  }
  return out;
}

/**
 * One noise tensor from a weighted seed list: one draw per seed, then slerp (two seeds) or a linear sum
 * rescaled to the mean of the individual norms, so the blend stays unit-Gaussian.
 */
export function seedNoise(seeds: readonly SeedEntry[], how: Interpolation, dims: readonly number[]): TensorF32 {
  const count = dims.reduce((a, b) => a * b, 1);
  const draws = seeds.map((s) => gaussianNoise(s.seed, count));
  const weights = seeds.map((s) => s.weight);
  if (draws.length === 1 || (how === 'slerp' && draws.length === 2)) return { data: blend(draws, weights, how), dims: [...dims] };
  const sum = linearBlend(draws, weights);
  const scale = draws.reduce((acc, d) => acc + norm(d), 0) / draws.length / (norm(sum) || 1);
  return { data: sum.map((x) => x * scale), dims: [...dims] };
}

/**
 * Whether the seed list `after` continues `before` (a weight change over the same seeds, a step of a crossfade):
 * some seed is heard in both. Then only the init noise is blended again; any other change is a cut.
 */
export function continuesSeeds(before: readonly SeedEntry[], after: readonly SeedEntry[]): boolean {
  const heard = new Set(before.filter((s) => s.weight > 0).map((s) => s.seed));
  return after.some((s) => s.weight > 0 && heard.has(s.seed));
}
