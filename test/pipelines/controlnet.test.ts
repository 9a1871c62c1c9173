import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { tinyControlNetDir } from '../../src/models/controlnet-catalogue.js';
import { loadSdModels } from '../../src/models/load.js';
import { sessionsCreated } from '../../src/models/providers.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import type { SdModels, TensorF32, UnetInputs } from '../../src/models/sd-models.js';
import { loadControlNets } from '../../src/pipelines/streamdiffusion/controlnet-load.js';
import type { ControlRig } from '../../src/pipelines/streamdiffusion/controlnet.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';

/*
 * ControlNet on the generated tiny models (real onnxruntime sessions): builtin:tiny-controlnet's UNet takes the
 * 12 + 1 residual inputs, builtin:controlnet-tiny (with conditioning_scale) and builtin:controlnet-tiny-noscale
 * give them. Expected residuals come from the ControlNet file run here slot by slot, on its own session.
 */
const SIZE = 64;
const T_INDEX = [10, 30, 45];

function params(patch: Record<string, unknown> = {}): StreamDiffusionParams {
  return StreamDiffusionParams.parse({ model: 'builtin:tiny-controlnet', execution_providers: ['cpu'], t_index_list: T_INDEX, ...patch });
}

function picture(k: number): Frame {
  const f = createFrame(SIZE, SIZE, k);
  for (let p = 0; p < SIZE * SIZE; p++) f.data.set([(p * 3 + 40 * k) % 256, (p >> 3) % 256, (p % SIZE) * 4, 255], p * 4);
  return f;
}

/** RGBA -> [1,3,H,W] in [0,1], written out here rather than taken from the pipeline. */
function unit(frame: Frame): Float32Array {
  const plane = frame.width * frame.height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) out[c * plane + p] = frame.data[p * 4 + c]! / 255;
  return out;
}

const slot = (t: TensorF32, i: number): ort.Tensor => {
  const n = t.data.length / t.dims[0]!;
  return new ort.Tensor('float32', t.data.slice(i * n, (i + 1) * n), [1, ...t.dims.slice(1)]);
};

let models: SdModels;
const calls: UnetInputs[] = [];
/** The model with every UNet call recorded. */
let recording: SdModels;
let reference: { scaled: ort.InferenceSession; plain: ort.InferenceSession };
const rigs: ControlRig[] = [];

before(async () => {
  models = await loadSdModels(resolveModelDir('builtin:tiny-controlnet'), { width: SIZE, height: SIZE });
  recording = Object.create(models, { unet: { value: (inputs: UnetInputs) => (calls.push(inputs), models.unet(inputs)) } }) as SdModels;
  reference = {
    scaled: await ort.InferenceSession.create(join(tinyControlNetDir('builtin:controlnet-tiny'), 'model.onnx')),
    plain: await ort.InferenceSession.create(join(tinyControlNetDir('builtin:controlnet-tiny-noscale'), 'model.onnx')),
  };
});
after(async () => {
  for (const rig of rigs) {
    for (const net of rig.nets) await net?.dispose();
    await rig.canny.release();
  }
  await models.dispose();
  await reference.scaled.release();
  await reference.plain.release();
});

async function pipelineWith(p: StreamDiffusionParams): Promise<StreamDiffusion> {
  const control = await loadControlNets(p, recording);
  if (control) rigs.push(control);
  return new StreamDiffusion(recording, { width: SIZE, height: SIZE, ...(control ? { control } : {}) });
}

/** The residuals the reference session gives slot `i` of a UNet call, times `scale` (fed or multiplied). */
async function expectedSlot(session: ort.InferenceSession, call: UnetInputs, i: number, image: Float32Array, scale: number): Promise<Float32Array[]> {
  const feeds: Record<string, ort.Tensor> = {
    sample: slot(call.sample, i),
    timestep: new ort.Tensor('float32', Float32Array.of(call.timestep[i]!), [1]),
    encoder_hidden_states: slot(call.conditioning.encoder_hidden_states, i),
    controlnet_cond: new ort.Tensor('float32', image, [1, 3, SIZE, SIZE]),
  };
  if (session.inputNames.includes('conditioning_scale')) feeds.conditioning_scale = new ort.Tensor('float32', Float32Array.of(scale), []);
  const out = await session.run(feeds);
  const factor = session.inputNames.includes('conditioning_scale') ? 1 : scale;
  return session.outputNames.map((name) => (out[name]!.data as Float32Array).map((v) => v * factor));
}

function slotOf(t: TensorF32, i: number): Float32Array {
  const n = t.data.length / t.dims[0]!;
  return t.data.subarray(i * n, (i + 1) * n);
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let worst = 0;
  for (let j = 0; j < actual.length; j++) worst = Math.max(worst, Math.abs(actual[j]! - expected[j]!) / (1e-3 + Math.abs(expected[j]!)));
  assert.ok(worst < 1e-3, `${what}: relative error ${worst}`);
}

/** Every slot of the call's residuals against the reference sessions, summed over `parts`. */
async function checkResiduals(call: UnetInputs, parts: { session: ort.InferenceSession; image: Float32Array; scale: number }[]): Promise<void> {
  const r = call.residuals;
  assert.ok(r, 'the UNet call carries residuals');
  const all = [...r.down, r.mid];
  assert.equal(all.length, 13);
  for (let i = 0; i < call.sample.dims[0]!; i++) {
    const sums = (await Promise.all(parts.map((p) => expectedSlot(p.session, call, i, p.image, p.scale)))).reduce((a, b) => a.map((t, k) => t.map((v, j) => v + b[k]![j]!)));
    all.forEach((t, k) => assertClose(slotOf(t, i), sums[k]!, `slot ${i}, residual ${k}`));
  }
}

async function lastCallOf(pipeline: StreamDiffusion, p: StreamDiffusionParams, frames: Frame[][]): Promise<UnetInputs> {
  for (const f of frames) await pipeline.process(f, p);
  return calls.at(-1)!;
}

describe('ControlNet residuals per UNet slot', () => {
  test('Stream Batch: every slot gets the residuals of its own latent at its own timestep', async () => {
    const p = params({ controlnet_1: 'builtin:controlnet-tiny', controlnet_1_source: 'input', controlnet_1_scale: 0.7, cfg_type: 'self' });
    const pipeline = await pipelineWith(p);
    const frames = [0, 1, 2, 3].map((k) => [picture(k)]);
    const call = await lastCallOf(pipeline, p, frames);
    assert.equal(call.sample.dims[0], 3);
    assert.equal(new Set(call.timestep).size, 3, 'three slots at three timesteps');
    assert.notDeepEqual(slotOf(call.sample, 0), slotOf(call.sample, 2), 'the slots hold different latents');
    await checkResiduals(call, [{ session: reference.scaled, image: unit(frames[3]![0]!), scale: 0.7 }]);
  });

  for (const [cfg, batch] of [['full', 6], ['initialize', 4]] as const) {
    test(`residual CFG ${cfg}: the control image is repeated over the ${batch} slots, each with its own embeddings`, async () => {
      const p = params({ controlnet_1: 'builtin:controlnet-tiny-noscale', controlnet_1_source: 'input', controlnet_1_scale: 1.3, cfg_type: cfg, guidance_scale: 1.5, negative_prompt: 'blurry' });
      const pipeline = await pipelineWith(p);
      const frames = [0, 1, 2].map((k) => [picture(k)]);
      const call = await lastCallOf(pipeline, p, frames);
      assert.equal(call.sample.dims[0], batch);
      assert.notDeepEqual(slotOf(call.conditioning.encoder_hidden_states, 0), slotOf(call.conditioning.encoder_hidden_states, batch - 1));
      await checkResiduals(call, [{ session: reference.plain, image: unit(frames[2]![0]!), scale: 1.3 }]);
    });
  }

  test('two ControlNets add their residuals, each times its scale (fed as conditioning_scale or multiplied)', async () => {
    const p = params({
      controlnet_1: 'builtin:controlnet-tiny', controlnet_1_source: 'input', controlnet_1_scale: 0.6,
      controlnet_2: 'builtin:controlnet-tiny-noscale', controlnet_2_source: 'control_input', controlnet_2_scale: 1.4,
    });
    const pipeline = await pipelineWith(p);
    const control = picture(7);
    const call = await lastCallOf(pipeline, p, [[picture(0), control], [picture(1)]]);
    await checkResiduals(call, [
      { session: reference.scaled, image: unit(picture(1)), scale: 0.6 },
      { session: reference.plain, image: unit(control), scale: 1.4 },
    ]);
  });

  test('sequential mode (no Stream Batch): each step gets the residuals at its own timestep', async () => {
    const p = params({ controlnet_1: 'builtin:controlnet-tiny', controlnet_1_source: 'input', use_denoising_batch: false });
    const pipeline = await pipelineWith(p);
    const before = calls.length;
    await pipeline.process([picture(4)], p);
    const steps = calls.slice(before);
    assert.deepEqual(steps.map((c) => c.timestep.length), [1, 1, 1]);
    for (const call of steps) await checkResiduals(call, [{ session: reference.scaled, image: unit(picture(4)), scale: 1 }]);
  });
});

async function run(pipeline: StreamDiffusion, p: StreamDiffusionParams, frames: number, control?: Frame): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let k = 0; k < frames; k++) {
    const [frame] = await pipeline.process(k === 0 && control ? [picture(k), control] : [picture(k)], p);
    out.push(frame!.data.slice());
  }
  return out;
}

describe('ControlNet at scale 0, disabled, or switched at run time', () => {
  test('scale 0 and disabled give exactly the plain UNet (zero residuals), and nothing reloads to switch', async () => {
    const plain = await run(await pipelineWith(params()), params(), 4);
    const withNet = params({ controlnet_1: 'builtin:controlnet-tiny', controlnet_1_source: 'input' });
    const pipeline = await pipelineWith(withNet);
    const sessions = sessionsCreated();
    const atZero = await run(pipeline, { ...withNet, controlnet_1_scale: 0 }, 4);
    pipeline.reset();
    const disabled = await run(pipeline, { ...withNet, controlnet_1_enabled: false }, 4);
    pipeline.reset();
    const active = await run(pipeline, withNet, 4);
    await run(pipeline, { ...withNet, controlnet_1_source: 'canny', canny_low_threshold: 0.05 }, 1);
    await run(pipeline, { ...withNet, controlnet_1_source: 'control_input' }, 1);
    assert.equal(sessionsCreated(), sessions, 'no session was created to switch');
    plain.forEach((frame, k) => {
      assert.ok(Buffer.from(atZero[k]!).equals(Buffer.from(frame)), `frame ${k}: scale 0 differs from the plain UNet`);
      assert.ok(Buffer.from(disabled[k]!).equals(Buffer.from(frame)), `frame ${k}: disabled differs from the plain UNet`);
    });
    assert.ok(!Buffer.from(active[3]!).equals(Buffer.from(plain[3]!)), 'an active ControlNet changes the picture');
  });

  test('a control_input ControlNet sits out until the first control frame, then holds the last one', async () => {
    const p = params({ controlnet_1: 'builtin:controlnet-tiny', use_denoising_batch: false });
    const plainPipeline = await pipelineWith(params({ use_denoising_batch: false }));
    const pipeline = await pipelineWith(p);
    const same = (a: Buffer, b: Buffer) => a.equals(b);
    // Output buffers alternate: each frame is copied as it comes.
    const output = async (on: StreamDiffusion, frames: Frame[]) => Buffer.from((await on.process(frames, p))[0]!.data);
    const plain = await output(plainPipeline, [picture(0)]);
    const before = await output(pipeline, [picture(0)]);
    assert.ok(same(before, plain), 'no control frame yet: the plain UNet');
    const withA = await output(pipeline, [picture(0), picture(5)]);
    const held = await output(pipeline, [picture(0)]);
    const withB = await output(pipeline, [picture(0), picture(9)]);
    assert.ok(!same(withA, plain), 'control frame A steers the picture');
    assert.ok(same(held, withA), 'without a new control frame the last one holds');
    assert.ok(!same(withB, withA), 'control frame B gives another picture');
  });
});
