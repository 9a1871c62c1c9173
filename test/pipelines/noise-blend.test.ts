import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blend, linearBlend, norm, normalizeWeights, slerp } from '../../src/pipelines/streamdiffusion/blend.js';
import { gaussianNoise, seedNoise } from '../../src/pipelines/streamdiffusion/noise.js';

const stats = (v: Float32Array) => {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, std: Math.sqrt(variance) };
};

test('seeded noise is reproducible, seed-specific, standard normal, and prefix-stable', () => {
  const a = gaussianNoise(2, 40_000);
  assert.deepEqual(gaussianNoise(2, 40_000), a);
  assert.notDeepEqual(gaussianNoise(3, 16), a.subarray(0, 16));
  assert.deepEqual(gaussianNoise(2, 7), a.subarray(0, 7));
  const { mean, std } = stats(a);
  assert.ok(Math.abs(mean) < 0.02 && Math.abs(std - 1) < 0.02, `mean ${mean} std ${std}`);
  // Recorded once: a change to the generator would silently change every seeded show.
  assert.deepEqual(Array.from(gaussianNoise(2, 4), (x) => x.toFixed(6)), GOLDEN_SEED_2);
});
const GOLDEN_SEED_2 = ['-1.007005', '2.772403', '-0.003364', '1.013330'];

test('weights are normalised to sum 1; all-zero weights count as equal', () => {
  assert.deepEqual(normalizeWeights([1, 3]), [0.25, 0.75]);
  assert.deepEqual(normalizeWeights([0, 0]), [0.5, 0.5]);
  const out = linearBlend([Float32Array.of(1, 0), Float32Array.of(0, 1)], [2, 6]);
  assert.deepEqual(Array.from(out), [0.25, 0.75]);
});

test('slerp: endpoints equal the inputs, midpoint of orthogonal unit vectors stays on the sphere, parallel falls back to lerp', () => {
  const a = gaussianNoise(1, 1000);
  const b = gaussianNoise(2, 1000);
  assert.deepEqual(slerp(a, b, 0), a);
  assert.deepEqual(slerp(a, b, 1), b);
  const x = Float32Array.of(1, 0);
  const y = Float32Array.of(0, 1);
  const mid = slerp(x, y, 0.5);
  assert.ok(Math.abs(norm(mid) - 1) < 1e-6 && Math.abs(mid[0]! - Math.SQRT1_2) < 1e-6);
  assert.deepEqual(Array.from(slerp(Float32Array.of(1, 2), Float32Array.of(2, 4), 0.5)), [1.5, 3]);
  assert.deepEqual(blend([x, y], [1, 1], 'slerp'), mid);
  assert.deepEqual(blend([x, y, x], [1, 1, 2], 'slerp'), linearBlend([x, y, x], [1, 1, 2]));
});

test('seed blending: one seed is its own noise; a linear blend keeps the norm; slerp of two seeds', () => {
  const dims = [2, 4, 8, 8];
  const count = 2 * 4 * 8 * 8;
  const one = seedNoise([{ seed: 5, weight: 3 }], 'linear', dims);
  assert.deepEqual(one.data, gaussianNoise(5, count));
  assert.deepEqual(one.dims, dims);
  const seeds = [{ seed: 5, weight: 1 }, { seed: 6, weight: 1 }, { seed: 7, weight: 2 }];
  const mixed = seedNoise(seeds, 'linear', dims);
  const meanNorm = seeds.reduce((a, s) => a + norm(gaussianNoise(s.seed, count)), 0) / seeds.length;
  assert.ok(Math.abs(norm(mixed.data) - meanNorm) < 1e-3 * meanNorm);
  assert.ok(Math.abs(stats(mixed.data).std - 1) < 0.1);
  const naive = norm(linearBlend(seeds.map((s) => gaussianNoise(s.seed, count)), [1, 1, 2]));
  assert.ok(naive < 0.8 * meanNorm, 'without rescaling a blend of independent noises shrinks');
  const sl = seedNoise([{ seed: 5, weight: 1 }, { seed: 6, weight: 0 }], 'slerp', dims);
  assert.deepEqual(sl.data, gaussianNoise(5, count));
});
