import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { norm } from '../../src/pipelines/streamdiffusion/blend.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { FakeSdModels } from './fake-sd-models.js';

/** Residual CFG (self, guidance above 1) on the boundary fake: the stock noise carries over from frame to frame. */
const SIZE = 32;
const params = (seed: unknown) => StreamDiffusionParams.parse({ prompt: 'a red fox', t_index_list: [10, 25, 40], guidance_scale: 1.5, delta: 0.7, cfg_type: 'self', seed });
const fade = (w: number) => [{ seed: 7, weight: 1 - w }, { seed: 8, weight: w }];

function inputFrame(k: number): Frame {
  const f = createFrame(SIZE, SIZE, k);
  for (let p = 0; p < SIZE * SIZE; p++) for (let c = 0; c < 4; c++) f.data[p * 4 + c] = (p * 7 + c * 50 + k * 31) % 256;
  return f;
}

function pipeline() {
  const models = new FakeSdModels();
  return { models, sd: new StreamDiffusion(models, { width: SIZE, height: SIZE }) };
}

const distance = (a: Float32Array, b: Float32Array) => norm(Float32Array.from(a, (v, i) => v - b[i]!));
const relative = (a: Float32Array, b: Float32Array) => distance(a, b) / norm(b);

test('a small seed-weight step is a small change of the stream: the stock noise and the buffer carry on', async () => {
  const steady = pipeline();
  const faded = pipeline();
  for (let k = 0; k < 4; k++) {
    await steady.sd.process([inputFrame(k)], params(7));
    await faded.sd.process([inputFrame(k)], params(7));
  }
  const stockBefore = faded.sd.state!.stockNoise;
  await steady.sd.process([inputFrame(4)], params(7));
  await faded.sd.process([inputFrame(4)], params(fade(0.01)));
  assert.ok(faded.sd.state!.stockNoise !== stockBefore);
  const stockStep = relative(faded.sd.state!.stockNoise.data, steady.sd.state!.stockNoise.data);
  const outputStep = relative(faded.models.decoded.at(-1)!.data, steady.models.decoded.at(-1)!.data);
  assert.ok(stockStep < 0.02, `1% of seed 8 moved the stock noise by ${(100 * stockStep).toFixed(2)}%`);
  assert.ok(outputStep < 0.02, `1% of seed 8 moved the output by ${(100 * outputStep).toFixed(2)}%`);
});

test('a crossfade from seed 7 to seed 8 drifts away from seed 7 in small steps, with no reset on the way', async () => {
  const steady = pipeline();
  const faded = pipeline();
  for (let k = 0; k < 4; k++) {
    await steady.sd.process([inputFrame(k)], params(7));
    await faded.sd.process([inputFrame(k)], params(7));
  }
  // Each step, how far the fade moved away from (or back towards) where seed 7 alone goes.
  let gap = new Float32Array(steady.models.decoded.at(-1)!.data.length);
  const jumps: number[] = [];
  for (let i = 1; i <= 20; i++) {
    await steady.sd.process([inputFrame(4 + i)], params(7));
    await faded.sd.process([inputFrame(4 + i)], params(fade(i / 20)));
    const out = steady.models.decoded.at(-1)!.data;
    const next = Float32Array.from(faded.models.decoded.at(-1)!.data, (v, j) => v - out[j]!);
    jumps.push(distance(next, gap) / norm(out));
    gap = next;
  }
  // A hard cut from 7 to 8, for scale: how far its first frame jumps from where seed 7 goes.
  const cut = pipeline();
  for (let k = 0; k < 4; k++) await cut.sd.process([inputFrame(k)], params(7));
  await cut.sd.process([inputFrame(5)], params(8));
  const hardCut = relative(cut.models.decoded.at(-1)!.data, steady.models.decoded[4]!.data);
  assert.ok(Math.max(...jumps) < hardCut / 2, `largest fade step ${Math.max(...jumps).toFixed(4)} vs the first frame of a hard cut ${hardCut.toFixed(4)}`);
  assert.ok(norm(gap) / norm(steady.models.decoded.at(-1)!.data) > hardCut, 'and the fade got further than that, step by step');
  const stock = faded.sd.state!.stockNoise;
  await faded.sd.process([inputFrame(25)], params(8));
  assert.ok(relative(faded.sd.state!.stockNoise.data, stock.data) < 1, 'seed 8 alone after [7: 0, 8: 1] continues the fade, no reset');
});
