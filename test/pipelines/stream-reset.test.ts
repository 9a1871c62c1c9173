import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { renderTestPattern } from '../../src/io/test-pattern.js';
import { silentLogger } from '../../src/log.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import type { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';

/** Warm-up flags and the stream state reset on the tiny model (real sessions, CPU, 256x256). */
const params = (patch: Record<string, unknown>) => StreamDiffusionParams.parse({ model: 'builtin:tiny', execution_providers: ['cpu'], width: 256, height: 256, ...patch });

const pipeline = (await streamDiffusion.load(params({}), { log: silentLogger })) as StreamDiffusion;
after(() => pipeline.dispose());

async function warmupFlags(p: StreamDiffusionParams, frames: number): Promise<boolean[]> {
  const flags: boolean[] = [];
  for (let i = 0; i < frames; i++) flags.push((await pipeline.process([{ ...renderTestPattern(256, 256, i, 30), timestamp: i }], p)).warmup === true);
  return flags;
}

test('Stream Batch marks its first n-1 results as warm-up, again after reset() and for the new slots of a longer t_index_list', async () => {
  const three = params({ t_index_list: [10, 20, 30] });
  assert.deepEqual(await warmupFlags(three, 4), [true, true, false, false]);
  assert.ok(pipeline.state!.stockNoise.data.some((v) => v !== 0) && pipeline.state!.latentBuffer.data.some((v) => v !== 0));
  const initNoise = pipeline.state!.initNoise;
  pipeline.reset();
  assert.ok(pipeline.state!.latentBuffer.data.every((v) => v === 0), 'latent buffer zeroed');
  assert.ok(pipeline.state!.stockNoise.data.every((v) => v === 0), 'stock noise zeroed');
  assert.equal(pipeline.state!.initNoise, initNoise, "the seed's noise stays");
  assert.deepEqual(await warmupFlags(three, 3), [true, true, false]);
  // Four slots keep the two buffered latents and warm up only the new buffer slot.
  assert.deepEqual(await warmupFlags(params({ t_index_list: [10, 20, 30, 40] }), 2), [true, false]);
  assert.deepEqual(await warmupFlags(params({ t_index_list: [10, 20, 30, 40], use_denoising_batch: false }), 1), [false], 'sequential steps need no warm-up');
  assert.equal(pipeline.provider, 'cpu');
});
