import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSdliveError } from '../../src/errors.js';
import { createFrame, type Frame } from '../../src/io/frame.js';
import type { TensorF32 } from '../../src/models/sd-models.js';
import { frameToImage } from '../../src/pipelines/streamdiffusion/image.js';
import { gaussianNoise } from '../../src/pipelines/streamdiffusion/noise.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { embeddingId, FakeSdModels } from './fake-sd-models.js';
import { referenceEmbedding, type ReferenceSettings, ReferenceStream } from './reference.js';

const SIZE = 16;
const SLOT = 4 * (SIZE / 8) ** 2;
const CFG_TYPES = ['none', 'full', 'self', 'initialize'] as const;

function params(patch: Record<string, unknown> = {}): StreamDiffusionParams {
  return StreamDiffusionParams.parse({ prompt: 'a red fox', negative_prompt: 'blurry', t_index_list: [10, 25, 40], guidance_scale: 1.5, delta: 0.7, seed: 7, ...patch });
}

function inputFrame(k: number): Frame {
  const f = createFrame(SIZE, SIZE, k);
  for (let p = 0; p < SIZE * SIZE; p++) for (let c = 0; c < 4; c++) f.data[p * 4 + c] = (p * 7 + c * 50 + k * 31) % 256;
  return f;
}

function setup(random?: () => number) {
  const models = new FakeSdModels();
  return { models, sd: new StreamDiffusion(models, { width: SIZE, height: SIZE, random }) };
}

async function run(sd: StreamDiffusion, p: StreamDiffusionParams, frames: number, first = 0): Promise<Frame[]> {
  const out: Frame[] = [];
  for (let k = first; k < first + frames; k++) out.push(...(await sd.process([inputFrame(k)], p)));
  return out;
}

function reference(p: StreamDiffusionParams): ReferenceStream {
  const n = p.t_index_list.length;
  const noise = gaussianNoise(p.seed as number, n * SLOT);
  const slots = Array.from({ length: n }, (_, i) => Array.from(noise.subarray(i * SLOT, (i + 1) * SLOT)));
  const settings: ReferenceSettings = { tIndexList: p.t_index_list, numInferenceSteps: p.num_inference_steps, cfgType: p.cfg_type, guidance: p.guidance_scale, delta: p.delta, doAddNoise: p.do_add_noise };
  return new ReferenceStream(settings, slots, referenceEmbedding(p.prompt as string), referenceEmbedding(p.negative_prompt));
}

async function referenceLatent(models: FakeSdModels, k: number): Promise<number[]> {
  return Array.from((await models.vaeEncode(frameToImage(inputFrame(k)))).data);
}

function assertClose(actual: TensorF32, expected: number[], what: string): void {
  assert.equal(actual.data.length, expected.length, what);
  actual.data.forEach((v, j) => assert.ok(Math.abs(v - expected[j]!) < 1e-4 * Math.max(1, Math.abs(expected[j]!)), `${what}[${j}]: ${v} vs ${expected[j]}`));
}

/** The 50-step schedule, and shorter ones where LCM's skipping_step (50 // steps) is 2 and 12. */
const SCHEDULES = [
  { num_inference_steps: 50, t_index_list: [10, 25, 40] },
  { num_inference_steps: 25, t_index_list: [3, 12, 24] },
  { num_inference_steps: 4, t_index_list: [0, 2, 3] },
];

for (const cfg_type of CFG_TYPES) {
  // Guidance applies only above 1 (pipeline.py's guidance_scale > 1.0): 1 and below run without the negative.
  for (const guidance_scale of cfg_type === 'none' ? [1.5] : [1.5, 1, 0.6]) {
    for (const schedule of SCHEDULES) {
      const name = `cfg ${cfg_type} at guidance ${guidance_scale}, ${schedule.num_inference_steps} steps t_index ${schedule.t_index_list.join(',')}`;
      test(`${name} matches the reference pipeline.py frame by frame (incl. stock noise)`, async () => {
        const p = params({ cfg_type, guidance_scale, ...schedule });
        const { models, sd } = setup();
        const ref = reference(p);
        const scratch = new FakeSdModels();
        await run(sd, p, 6);
        assert.deepEqual(models.unetCalls[0]!.timesteps.slice(-3), ref.t, 'the UNet gets the reference sub_timesteps');
        for (let k = 0; k < 6; k++) assertClose(models.decoded[k]!, ref.frame(ref.noisy(await referenceLatent(scratch, k))), `frame ${k}`);
      });
    }
  }
}

test('each cfg type sends the UNet the documented batch: sizes, per-slot timesteps, which embeddings', async () => {
  const [c, u] = [embeddingId('a red fox'), embeddingId('blurry')];
  const t = [799, 499, 199];
  const expected = {
    none: { timesteps: t, ids: [c, c, c] },
    self: { timesteps: t, ids: [c, c, c] },
    full: { timesteps: [...t, ...t], ids: [u, u, u, c, c, c] },
    initialize: { timesteps: [799, ...t], ids: [u, c, c, c] },
  };
  for (const cfg_type of CFG_TYPES) {
    const { models, sd } = setup();
    await run(sd, params({ cfg_type }), 1);
    const call = models.unetCalls[0]!;
    assert.deepEqual({ timesteps: call.timesteps, ids: call.embeddingIds }, expected[cfg_type], cfg_type);
    assert.deepEqual(call.dims, [expected[cfg_type].timesteps.length, 4, 2, 2]);
    assert.equal(models.encodeCount, cfg_type === 'full' || cfg_type === 'initialize' ? 2 : 1, `${cfg_type}: the negative is encoded only when used`);
  }
  const { models, sd } = setup();
  await run(sd, params({ cfg_type: 'full', guidance_scale: 1 }), 1);
  assert.deepEqual(models.unetCalls[0]!.embeddingIds, [c, c, c], 'no negative pass at guidance <= 1');
});

test("Stream Batch latency: a frame's content reaches the output n-1 frames later, and only there", async () => {
  const p = params({ cfg_type: 'self' });
  const a = setup();
  const b = setup();
  await run(a.sd, p, 6);
  for (let k = 0; k < 6; k++) await b.sd.process([inputFrame(k === 1 ? 99 : k)], p);
  const differs = a.models.decoded.map((x, k) => x.data.some((v, j) => v !== b.models.decoded[k]!.data[j]));
  assert.deepEqual(differs, [false, false, false, true, false, false], 'input 1 shows in output 1 + (3 - 1)');
  assert.equal(a.models.unetCalls.length, 6, 'one UNet call per frame');
});

for (const cfg_type of CFG_TYPES) {
  test(`sequential (use_denoising_batch off, cfg ${cfg_type}) computes what Stream Batch outputs n-1 frames later`, async () => {
    const batch = setup();
    const seq = setup();
    await run(batch.sd, params({ cfg_type }), 6);
    await run(seq.sd, params({ cfg_type, use_denoising_batch: false }), 4);
    for (let k = 2; k < 6; k++) assertClose(batch.models.decoded[k]!, Array.from(seq.models.decoded[k - 2]!.data), `frame ${k}`);
    const perStep = { none: [1, 1, 1], self: [1, 1, 1], full: [2, 2, 2], initialize: [2, 1, 1] }[cfg_type];
    assert.deepEqual(seq.models.unetCalls.slice(0, 3).map((call) => call.dims[0]), perStep, 'n calls per frame, one slot each (plus negatives)');
    assert.deepEqual(seq.models.unetCalls.slice(0, 3).map((call) => call.timesteps.at(-1)), [799, 499, 199]);
  });
}

test('do_add_noise off re-noises the buffer without the noise term (reference)', async () => {
  const p = params({ do_add_noise: false, cfg_type: 'initialize' });
  const { models, sd } = setup();
  const ref = reference(p);
  await run(sd, p, 4);
  const scratch = new FakeSdModels();
  for (let k = 0; k < 4; k++) assertClose(models.decoded[k]!, ref.frame(ref.noisy(await referenceLatent(scratch, k))), `frame ${k}`);
});

for (const cfg_type of ['full', 'initialize'] as const) {
  test(`a prompt change mid-stream (cfg ${cfg_type}) re-encodes only the new text and keeps the buffers`, async () => {
    const before = params({ cfg_type });
    const after = params({ cfg_type, prompt: 'a blue whale' });
    const { models, sd } = setup();
    const ref = reference(before);
    const scratch = new FakeSdModels();
    await run(sd, before, 3);
    await run(sd, after, 3, 3);
    await run(sd, before, 1, 6);
    for (let k = 0; k < 7; k++) {
      if (k === 3) ref.cond = referenceEmbedding('a blue whale');
      if (k === 6) ref.cond = referenceEmbedding('a red fox');
      assertClose(models.decoded[k]!, ref.frame(ref.noisy(await referenceLatent(scratch, k))), `frame ${k}`);
    }
    assert.equal(models.encodeCount, 3, 'fox, blurry, whale; the fox again comes from the cache');
    assert.ok(models.unetCalls.every((call) => call.dims[0] === models.unetCalls[0]!.dims[0]));
    assert.equal(models.unetCalls[3]!.embeddingIds.at(-1), embeddingId('a blue whale'));
    assert.equal(models.unetCalls[3]!.embeddingIds[0], embeddingId('blurry'));
  });
}

test('prompt lists: weight changes never re-encode; two-prompt slerp endpoints equal the single prompts', async () => {
  const { models, sd } = setup();
  const list = (w: number) => params({ prompt: [{ text: 'a red fox', weight: 1 - w }, { text: 'a blue whale', weight: w }], prompt_interpolation: 'slerp', cfg_type: 'none' });
  for (const w of [0, 0.3, 0.6, 1]) await sd.process([inputFrame(0)], list(w));
  assert.equal(models.encodeCount, 2);
  const ids = models.unetCalls.map((call) => call.embeddingIds[0]);
  assert.equal(ids[0], embeddingId('a red fox'));
  assert.equal(ids[3], embeddingId('a blue whale'));
  assert.ok(ids[1] !== ids[0] && ids[1] !== ids[3]);
});

test('a seed change redraws init_noise and zeroes stock_noise but keeps the latent buffer', async () => {
  const { sd } = setup();
  await run(sd, params(), 3);
  const before = sd.state!;
  const buffer = before.latentBuffer.data.slice();
  assert.ok(before.stockNoise.data.some((v) => v !== 0));
  await sd.process([inputFrame(3)], params({ seed: 8, guidance_scale: 1 }));
  const afterSeed = sd.state!;
  assert.notDeepEqual(afterSeed.initNoise.data, before.initNoise.data);
  assert.deepEqual(afterSeed.initNoise.data, gaussianNoise(8, 3 * SLOT));
  assert.notDeepEqual(afterSeed.latentBuffer.data, new Float32Array(2 * SLOT), 'the buffer was not reset');
  assert.notDeepEqual(buffer, new Float32Array(2 * SLOT));
  const stockBefore = afterSeed.stockNoise;
  await sd.process([inputFrame(4)], params({ seed: 8, t_index_list: [5, 30, 45], guidance_scale: 1 }));
  assert.equal(sd.state!.initNoise, afterSeed.initNoise, 'new t_index values of the same length keep the state');
  assert.notEqual(sd.state!.stockNoise, stockBefore);
});

test('a t_index_list length change resizes the buffers, keeping the overlapping slots', async () => {
  const { sd } = setup();
  await run(sd, params(), 3);
  const buffer = sd.state!.latentBuffer.data.slice();
  await sd.process([inputFrame(3)], params({ t_index_list: [10, 25] }));
  assert.equal(sd.state!.latentBuffer.dims[0], 1);
  assert.deepEqual(sd.state!.initNoise.dims, [2, 4, 2, 2]);
  const grown = params({ t_index_list: [10, 25, 40, 45] });
  const out = await sd.process([inputFrame(4)], grown);
  assert.equal(sd.state!.latentBuffer.dims[0], 3);
  assert.deepEqual(sd.state!.initNoise.data, gaussianNoise(7, 4 * SLOT), 'noise draws are prefix-stable');
  assert.equal(out.length, 1);
  assert.notDeepEqual(buffer.subarray(0, SLOT), new Float32Array(SLOT));
});

test('a fixed seed gives identical bytes on two pipelines; txt2img ignores the input and never encodes it', async () => {
  const p = params({ cfg_type: 'self' });
  const a = await run(setup().sd, p, 4);
  const b = await run(setup().sd, p, 4);
  assert.deepEqual(a.map((f) => f.data), b.map((f) => f.data));
  assert.ok(a.every((f) => f.width === SIZE && f.height === SIZE && f.data.every((v, j) => j % 4 !== 3 || v === 255)));
  const t2i = params({ mode: 'txt2img', cfg_type: 'none' });
  const { models, sd } = setup();
  const ref = reference(t2i);
  await run(sd, t2i, 4);
  assert.equal(models.vaeEncodeCount, 0);
  for (let k = 0; k < 4; k++) assertClose(models.decoded[k]!, ref.frame(ref.noise[0]!), `txt2img frame ${k}`);
});

test('the similarity filter returns the previous output for a static input without running the model', async () => {
  const p = params({ similarity_filter: true, similarity_max_skip_frames: 1 });
  const { models, sd } = setup(() => 0.5);
  const outs: Frame[] = [];
  for (let k = 0; k < 4; k++) outs.push(...(await sd.process([inputFrame(0)], p)));
  assert.equal(models.unetCalls.length, 2, 'processed, skipped, skipped, forced');
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
  await sd.process([inputFrame(50)], p);
  assert.equal(models.unetCalls.length, 3, 'a different input is processed');
});

test('a frame of the wrong size is a coded pipeline error; dispose releases the models', async () => {
  const { models, sd } = setup();
  await assert.rejects(sd.process([createFrame(8, 8)], params()), (e) => isSdliveError(e, 'SDL_ERR_PIPELINE') && /16x16/.test(e.message));
  assert.deepEqual(sd.prepare(), { width: SIZE, height: SIZE, batch: 1 });
  await sd.dispose();
  assert.equal(models.disposed, true);
});

test('a failed or non-finite UNet step leaves the stream state as it was: later frames continue as if it never happened', async () => {
  const p = params({ cfg_type: 'self' });
  const { models, sd } = setup();
  const ref = reference(p);
  const scratch = new FakeSdModels();
  await run(sd, p, 2);
  models.nextUnetFault = 'throw';
  await assert.rejects(sd.process([inputFrame(2)], p), /fake unet failure/);
  models.nextUnetFault = 'nan';
  await assert.rejects(sd.process([inputFrame(3)], p), (e) => isSdliveError(e, 'SDL_ERR_NONFINITE'));
  await run(sd, p, 2, 4);
  const fed = [0, 1, 4, 5];
  assert.equal(models.decoded.length, fed.length, 'nothing non-finite was decoded');
  for (let k = 0; k < fed.length; k++) assertClose(models.decoded[k]!, ref.frame(ref.noisy(await referenceLatent(scratch, fed[k]!))), `output ${k}`);
});

test('process() reports per-stage milliseconds, the UNet summed over the sequential steps', async () => {
  const { sd } = setup();
  const result = await sd.process([inputFrame(0)], params({ use_denoising_batch: false }));
  assert.deepEqual(Object.keys(result.stages ?? {}).sort(), ['decode', 'encode', 'postprocess', 'preprocess', 'text', 'unet']);
  assert.ok(Object.values(result.stages!).every((ms) => ms >= 0 && Number.isFinite(ms)));
  const t2i = await sd.process([inputFrame(0)], params({ mode: 'txt2img' }));
  assert.equal(t2i.stages!.encode, undefined);
});
