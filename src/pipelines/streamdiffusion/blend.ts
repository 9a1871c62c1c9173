/**
 * Blending of weighted lists (prompt embeddings, seed noises), as the Daydream fork of StreamDiffusion does it:
 * weights normalised to sum 1, a weighted linear sum, or slerp between exactly two entries. All accumulation is
 * float64 (fp16/fp32 acos near +-1 is where NaNs come from); results are float32.
 */
export type Interpolation = 'linear' | 'slerp';

/** Where sin(angle) is this small (parallel or opposite vectors) slerp degenerates; lerp is used instead. */
const SLERP_MIN_SIN = 1e-4;

/** Weights scaled to sum 1; all-zero weights count as equal. */
export function normalizeWeights(weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  return sum > 0 ? weights.map((w) => w / sum) : weights.map(() => 1 / weights.length);
}

export function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

export function linearBlend(vectors: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const w = normalizeWeights(weights);
  const out = new Float32Array(vectors[0]!.length);
  for (let j = 0; j < out.length; j++) {
    let acc = 0;
    for (let k = 0; k < vectors.length; k++) acc += w[k]! * vectors[k]![j]!;
    out[j] = acc;
  }
  return out;
}

/** Spherical interpolation over the whole flattened vectors; t = 0 gives a, t = 1 gives b. */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0;
  for (let j = 0; j < a.length; j++) dot += a[j]! * b[j]!;
  const cos = Math.min(1, Math.max(-1, dot / (norm(a) * norm(b) || 1)));
  const theta = Math.acos(cos);
  const [wa, wb] = Math.sin(theta) < SLERP_MIN_SIN
    ? [1 - t, t]
    : [Math.sin((1 - t) * theta) / Math.sin(theta), Math.sin(t * theta) / Math.sin(theta)];
  return Float32Array.from(a, (x, j) => wa * x + wb * b[j]!);
}

/** One vector from a weighted list: slerp when asked for and there are exactly two, else the linear sum. */
export function blend(vectors: readonly Float32Array[], weights: readonly number[], how: Interpolation): Float32Array {
  if (vectors.length === 1) return vectors[0]!;
  if (how === 'slerp' && vectors.length === 2) return slerp(vectors[0]!, vectors[1]!, normalizeWeights(weights)[1]!);
  return linearBlend(vectors, weights);
}
