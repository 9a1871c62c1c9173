import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isSdliveError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { TINY_VARIANT_NAMES, type SdModels } from '../../src/models/index.js';
import { FEEDBACK_BORDERS } from '../../src/models/processors/feedback-graph.js';
import { sessionsCreated } from '../../src/models/providers.js';
import type { Pipeline } from '../../src/pipelines/pipeline.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { OutputPool } from '../../src/engine/output-pool.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { paramSpecs } from '../../src/schema/param-spec.js';
import { barsFrame } from '../helpers/bars.js';

/** End to end on the generated tiny models (real onnxruntime sessions on the CPU). */
const SIZE = 256;

function params(patch: Record<string, unknown> = {}): StreamDiffusionParams {
  return StreamDiffusionParams.parse({ model: 'builtin:tiny', execution_providers: ['cpu'], width: SIZE, height: SIZE, ...patch });
}

const bars = (k: number) => barsFrame(SIZE, k);

async function outputs(pipeline: Pipeline<StreamDiffusionParams>, p: StreamDiffusionParams, frames: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let k = 0; k < frames; k++) {
    const [frame] = await pipeline.process([bars(k)], p);
    assert.ok(frame && frame.width === SIZE && frame.height === SIZE && frame.data.length === SIZE * SIZE * 4);
    out.push(frame.data);
  }
  return out;
}

const loaded: Pipeline<StreamDiffusionParams>[] = [];
async function load(p: StreamDiffusionParams): Promise<Pipeline<StreamDiffusionParams>> {
  const pipeline = await streamDiffusion.load(p, { log: silentLogger });
  loaded.push(pipeline);
  return pipeline;
}
after(async () => {
  for (const p of loaded) await p.dispose().catch(() => undefined);
});

/** Mean absolute difference of the colour channels of two RGBA frames, in 8-bit levels. */
function meanColourDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) if (j % 4 !== 3) sum += Math.abs(a[j]! - b[j]!);
  return sum / ((a.length / 4) * 3);
}

test('builtin:tiny on CPU: frames in, frames out, identical bytes for a fixed seed', async () => {
  const p = params({ cfg_type: 'self' });
  const a = await outputs(await load(p), p, 3);
  const b = await outputs(await load(p), p, 3);
  assert.deepEqual(a, b);
  assert.ok(a[2]!.some((v, j) => j % 4 !== 3 && v !== a[2]![0]), 'not a flat frame');
});

test('a seed fixes the noise: same seed same noise and picture, another seed another; a seed change applies on the next frame without a reload', async () => {
  // One denoising step: the frame processed with a seed shows that seed's noise (no Stream Batch delay).
  const seeded = (seed: number) => params({ cfg_type: 'none', t_index_list: [30], seed });
  const [a, b, other] = (await Promise.all([load(seeded(2)), load(seeded(2)), load(seeded(3))])) as [StreamDiffusion, StreamDiffusion, StreamDiffusion];
  const [outA, outB, outOther] = [await outputs(a, seeded(2), 2), await outputs(b, seeded(2), 2), await outputs(other, seeded(3), 2)];
  assert.deepEqual(a.state!.initNoise.data, b.state!.initNoise.data, 'same seed, same noise');
  assert.deepEqual(outA, outB, 'same seed, same bytes');
  const noiseDiff = a.state!.initNoise.data.reduce((max, v, j) => Math.max(max, Math.abs(v - other.state!.initNoise.data[j]!)), 0);
  assert.ok(noiseDiff > 1, `seeds 2 and 3 draw different noise (largest difference ${noiseDiff})`);
  const pictureDiff = meanColourDifference(outA[1]!, outOther[1]!);
  assert.ok(pictureDiff > 1, `seeds 2 and 3 give different pictures (mean difference ${pictureDiff.toFixed(2)} levels)`);

  const created = sessionsCreated();
  const [changed] = await a.process([bars(2)], seeded(3));
  const [kept] = await b.process([bars(2)], seeded(2));
  const [fresh] = await other.process([bars(2)], seeded(3));
  assert.deepEqual(a.state!.initNoise.data, other.state!.initNoise.data, 'the changed pipeline now draws seed 3\'s noise');
  assert.ok(meanColourDifference(changed!.data, kept!.data) > 1, 'the next frame already shows the new seed');
  assert.deepEqual(changed!.data, fresh!.data, 'and equals a pipeline that ran seed 3 all along');
  assert.equal(sessionsCreated(), created, 'a seed change is not a reload');
});

/** One changed value per runtime parameter, applied one after another (each valid on top of the ones before). */
const RUNTIME_CHANGES: [string, unknown][] = [
  ['prompt', 'a neon city, (rain:1.3)'], ['negative_prompt', 'blurry'], ['cfg_type', 'full'], ['guidance_scale', 1.6],
  ['delta', 0.5], ['cfg_type', 'initialize'], ['t_index_list', [20, 40]], ['num_inference_steps', 45],
  ['seed', [{ seed: 1, weight: 1 }, { seed: 2, weight: 1 }]], ['seed_interpolation', 'slerp'], ['use_denoising_batch', false],
  ['do_add_noise', false], ['mode', 'txt2img'], ['prompt', [{ text: 'a', weight: 1 }, { text: 'b', weight: 2 }]],
  ['prompt_interpolation', 'slerp'], ['mode', 'img2img'], ['similarity_filter', true], ['similarity_threshold', 0.5],
  ['similarity_max_skip_frames', 3], ['fps_cap', 24], ['morph', 0.5], ['paused', true], ['use_denoising_batch', true],
  ['quantize', 'beat'], ['beats_per_bar', 3], ['modulators', [{ kind: 'lfo', name: 'wobble', target: 'delta', depth: 0.1 }]],
  ...[1, 2, 3].flatMap((n): [string, unknown][] => [[`controlnet_${n}_scale`, 0.5], [`controlnet_${n}_enabled`, false], [`controlnet_${n}_source`, 'canny']]),
  ['canny_low_threshold', 0.05], ['canny_high_threshold', 0.3], ['blackout', true], ['fade', 0.3], ['fade_to', 'input'],
  ['feedback', 0.5], ['feedback_decay', 0.8], ['feedback_zoom', 1.1], ['feedback_pan_x', 0.1], ['feedback_pan_y', -0.1],
  ['feedback_rotate', 5], ['feedback_border', 'reflection'], ['feedback_safe', false], ['latent_feedback', 0.3],
];

test('no runtime parameter change creates a session or resets the stream; a fresh load does create them', async () => {
  const runtimeKeys = paramSpecs(StreamDiffusionParams).filter((s) => s.phase === 'runtime').map((s) => s.key);
  assert.deepEqual([...new Set(RUNTIME_CHANGES.map(([key]) => key))].sort(), runtimeKeys.sort(), 'every runtime parameter is changed');
  const pipeline = (await load(params())) as StreamDiffusion;
  await pipeline.process([bars(0)], params());
  // The image feedback sessions are made on first use, one per border mode (the second frame with feedback on).
  for (const border of FEEDBACK_BORDERS) for (const k of [0, 1]) await pipeline.process([bars(k)], params({ feedback: 0.5, feedback_border: border }));
  const created = sessionsCreated();
  let patch: Record<string, unknown> = {};
  for (const [key, value] of RUNTIME_CHANGES) {
    patch = { ...patch, [key]: value };
    const [frame] = await pipeline.process([bars(1)], params(patch));
    assert.ok(frame, key);
    assert.equal(sessionsCreated(), created, `changing ${key} created a session`);
  }
  assert.ok(pipeline.state!.latentBuffer.data.some((v) => v !== 0), 'the buffer was never reset');
  await load(params({ width: 320 }));
  assert.ok(sessionsCreated() - created >= 6, `a load creates the four model sessions and the two pixel processors (${sessionsCreated() - created})`);
});

for (const variant of TINY_VARIANT_NAMES) {
  test(`dialect variant builtin:tiny-${variant} produces frames (Stream Batch with full CFG, and txt2img)`, async () => {
    const p = params({ model: `builtin:tiny-${variant}`, cfg_type: 'full', t_index_list: [10, 30] });
    const pipeline = await load(p);
    const frames = await outputs(pipeline, p, 2);
    assert.ok(frames[1]!.some((v, j) => j % 4 !== 3 && v !== frames[1]![0]));
    assert.equal((await outputs(pipeline, params({ ...p, mode: 'txt2img' }), 1)).length, 1);
  });
}

test('a broken model folder is a clear SDL_ERR_MODEL_LOAD naming what is missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdlive-broken-'));
  try {
    await assert.rejects(load(params({ model: dir })), (e) => isSdliveError(e, 'SDL_ERR_MODEL_LOAD') && /missing/.test(e.message));
    await assert.rejects(load(params({ model: join(dir, 'nope') })), (e) => isSdliveError(e, 'SDL_ERR_MODEL_LOAD') && /does not exist/.test(e.message));
    await assert.rejects(load(params({ model: 'builtin:tiny-nope' })), (e) => isSdliveError(e, 'SDL_ERR_MODEL_LOAD') && /builtin:tiny/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pixels go through the processor sessions (to_tensor, to_frame) and equal the JS conversion within 1 LSB', async () => {
  const p = params({ cfg_type: 'self' });
  const real = (await load(p)) as StreamDiffusion;
  const js = new StreamDiffusion(withoutProcessors(real.models), { width: SIZE, height: SIZE });
  for (let k = 0; k < 3; k++) {
    const [a, b] = [await real.process([bars(k)], p), await js.process([bars(k)], p)];
    assert.ok(a[0]!.data.every((v, j) => Math.abs(v - b[0]!.data[j]!) <= 1), `frame ${k}`);
    assert.deepEqual(Object.keys(a.stages!).sort(), ['decode', 'encode', 'text', 'to_frame', 'to_tensor', 'unet']);
  }
});

test('a NaN in the decoded image is SDL_ERR_NONFINITE from the processor flag; the last frame returned stays intact', async () => {
  const p = params({ cfg_type: 'self', similarity_filter: true, similarity_threshold: 0, similarity_max_skip_frames: 100 });
  const real = (await load(p)) as StreamDiffusion;
  let poison = false;
  const models = Object.create(real.models) as SdModels;
  models.vaeDecode = async (latents, into) => {
    const image = await real.models.vaeDecode(latents, into);
    if (poison) image.data[image.data.length >> 1] = NaN;
    return image;
  };
  const sd = new StreamDiffusion(models, { width: SIZE, height: SIZE, random: () => 0.99999 });
  const [good] = await sd.process([bars(0)], p);
  const kept = good!.data.slice();
  poison = true;
  await assert.rejects(sd.process([bars(5)], p), (e) => isSdliveError(e, 'SDL_ERR_NONFINITE'));
  await assert.rejects(sd.process([bars(9)], p), (e) => isSdliveError(e, 'SDL_ERR_NONFINITE'));
  assert.deepEqual(good!.data, kept, 'the NaN frames were written elsewhere');
  // The same input as the last one that went through the filter: skipped, so it shows the last good output.
  const [skipped] = await sd.process([bars(9)], p);
  assert.equal(skipped, good, 'a skipped frame shows the last good output');
  assert.deepEqual(skipped!.data, kept);
});

test('handed-over outputs (the worker path): frames go out in pool buffers, and a skipped frame still shows the last one', async () => {
  const p = params({ cfg_type: 'self', similarity_filter: true, similarity_threshold: 0, similarity_max_skip_frames: 100 });
  const real = (await load(p)) as StreamDiffusion;
  const pool = new OutputPool();
  const sd = new StreamDiffusion(real.models, { width: SIZE, height: SIZE, random: () => 0.99999, outputBuffers: pool });
  const [first] = await sd.process([bars(0)], p);
  assert.equal(pool.handOver(first!), first, 'the output is a pool buffer, handed over without a copy');
  const kept = first!.data.slice();
  structuredClone(first!.data.buffer, { transfer: [first!.data.buffer as ArrayBuffer] }); // as postMessage does
  assert.equal(first!.data.byteLength, 0, 'gone from the worker');
  const [skipped] = await sd.process([bars(0)], p);
  assert.deepEqual(skipped!.data, kept, 'the similarity filter repeats its own copy of the last output');
  assert.notEqual(pool.handOver(skipped!).data.buffer, skipped!.data.buffer, 'and the engine gets a copy of that copy');
});

/** The same sessions without the pixel processors: the pipeline falls back to image.ts in JS. */
function withoutProcessors(models: SdModels): SdModels {
  const plain = Object.create(models) as { processors?: unknown };
  Object.defineProperty(plain, 'processors', { value: undefined });
  return plain as SdModels;
}
