import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFrame } from '../../src/io/frame.js';
import { frameToImage, imageToFrame } from '../../src/pipelines/streamdiffusion/image.js';
import { cosineSimilarity, SimilarityFilter, skipProbability } from '../../src/pipelines/streamdiffusion/similarity-filter.js';

const settings = { threshold: 0.98, maxSkipFrames: 2 };

test('skip probability: 0 below the threshold, 1 for identical inputs, never with threshold 1', () => {
  assert.equal(skipProbability(1, 0.98), 1);
  assert.equal(skipProbability(0.98, 0.98), 0);
  assert.equal(skipProbability(0.5, 0.98), 0);
  assert.ok(Math.abs(skipProbability(0.99, 0.98) - 0.5) < 1e-9);
  assert.equal(skipProbability(1, 1), 0);
  assert.ok(Math.abs(cosineSimilarity(Float32Array.of(1, 0), Float32Array.of(1, 1)) - Math.SQRT1_2) < 1e-9);
});

test('identical inputs are skipped until max_skip_frames is exceeded, then one is processed and the count resets', () => {
  const filter = new SimilarityFilter(() => 0.5);
  const x = Float32Array.of(0.1, 0.2, 0.3);
  const decisions = Array.from({ length: 9 }, () => filter.shouldSkip(x, settings));
  // first is processed (nothing to compare), then skips 1..3 (count 0,1,2 <= 2), then a forced process.
  assert.deepEqual(decisions, [false, true, true, true, false, true, true, true, false]);
});

test('the draw decides: skip when skip_prob >= u; comparison is against the last PROCESSED input', () => {
  const draws = [0.9, 0.1, 0.01];
  const filter = new SimilarityFilter(() => draws.shift() ?? 0);
  const a = Float32Array.of(1, 0, 0, 0);
  const near = Float32Array.of(1, 0.15, 0, 0); // cos ~0.989: skip_prob ~0.44
  assert.equal(filter.shouldSkip(a, settings), false);
  assert.equal(filter.shouldSkip(near, settings), false, 'u = 0.9 > 0.44: processed, becomes the reference');
  assert.equal(filter.shouldSkip(near, settings), true, 'identical to the reference: skip_prob 1 >= u = 0.1');
  const far = Float32Array.of(0, 1, 0, 0);
  assert.equal(filter.shouldSkip(far, settings), false, 'skip_prob 0 < u = 0.01');
});

test('frames become [-1,1] NCHW RGB tensors and back, alpha dropped then 255, values clamped and rounded', () => {
  const frame = createFrame(2, 1, 42);
  frame.data.set([0, 128, 255, 7, 255, 0, 64, 0]);
  const img = frameToImage(frame);
  assert.deepEqual(img.dims, [1, 3, 1, 2]);
  assert.deepEqual(Array.from(img.data, (v) => Number(v.toFixed(4))), [-1, 1, 0.0039, -1, 1, -0.498]);
  const back = imageToFrame(img, 42);
  assert.deepEqual(Array.from(back.data), [0, 128, 255, 255, 255, 0, 64, 255]);
  assert.equal(back.timestamp, 42);
  const clamped = imageToFrame({ data: Float32Array.of(3, -3, 0, 0, 0, 0), dims: [1, 3, 1, 2] }, 0);
  assert.deepEqual(Array.from(clamped.data), [255, 128, 128, 255, 0, 128, 128, 255]);
});
