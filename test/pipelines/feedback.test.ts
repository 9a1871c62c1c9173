import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isSdliveError } from '../../src/errors.js';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { loadSdModels, type LoadOptions } from '../../src/models/load.js';
import { sessionsCreated } from '../../src/models/providers.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import type { SdModels } from '../../src/models/sd-models.js';
import { LatentFeedback } from '../../src/pipelines/streamdiffusion/image-feedback.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { bars, params, SIZE } from '../helpers/device-path.js';
import { skipWithoutWebgpu } from '../helpers/webgpu.js';
import { FakeSdModels } from './fake-sd-models.js';

/** Image and latent feedback on builtin:tiny (CPU sessions, 64x64: a power of two, so the identity warp samples pixel centres exactly). */
const skipWebgpu = await skipWithoutWebgpu();
const models = new Map<string, SdModels>();
after(async () => {
  for (const m of models.values()) await m.dispose().catch(() => undefined);
});

async function modelsFor(key: string, options: LoadOptions): Promise<SdModels> {
  let m = models.get(key);
  if (!m) models.set(key, (m = await loadSdModels(resolveModelDir('builtin:tiny'), { width: SIZE, height: SIZE, ...options })));
  return m;
}

/** A fresh stream on the shared models, with every input frame the processors convert (toImage) recorded. */
function pipelineOn(m: SdModels): { pipeline: StreamDiffusion; converted: Uint8Array[] } {
  const converted: Uint8Array[] = [];
  const processors = m.processors!;
  const toImage = Object.getPrototypeOf(processors).toImage as typeof processors.toImage;
  processors.toImage = (rgba, image) => {
    converted.push(rgba.slice());
    return toImage.call(processors, rgba, image);
  };
  return { pipeline: new StreamDiffusion(m, { width: SIZE, height: SIZE }), converted };
}

async function run(pipeline: StreamDiffusion, patch: Record<string, unknown>, frames: number, from = 0): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let k = from; k < from + frames; k++) out.push(Uint8Array.from((await pipeline.process([bars(k)], params(patch)))[0]!.data));
  return out;
}

/** The expected mix, computed here: frame / 2 + previous(x - shift) / 2 per channel, previous 0 left of the shift (zeros border). */
function halfMix(frame: Frame, previous: Uint8Array, shift = 0): Float64Array {
  const out = new Float64Array(frame.data.length);
  for (let p = 0; p < SIZE * SIZE; p++) {
    const x = p % SIZE;
    for (let c = 0; c < 3; c++) out[p * 4 + c] = frame.data[p * 4 + c]! / 2 + (x >= shift ? previous[(p - shift) * 4 + c]! : 0) / 2;
    out[p * 4 + 3] = 255;
  }
  return out;
}

/**
 * `actual` is `mix` rounded: exact wherever the mix is not a tie; at an exact .5 the bilinear warp's float32 grid
 * (1e-5 off a pixel centre) tips it either way, so both neighbours pass there.
 */
function isRounded(actual: Uint8Array | undefined, mix: Float64Array): boolean {
  return actual?.length === mix.length && mix.every((v, j) => Math.abs(actual[j]! - v) <= 0.5);
}

/** A 16x16 frame whose every channel differs from frame to frame. */
function fakeInput(k: number): Frame {
  const f = createFrame(16, 16, k);
  for (let j = 0; j < f.data.length; j++) f.data[j] = j % 4 === 3 ? 255 : (j * 7 + k * 31) % 256;
  return f;
}

const meanDifference = (a: Uint8Array, b: Uint8Array) => a.reduce((sum, v, j) => sum + (j % 4 === 3 ? 0 : Math.abs(v - b[j]!)), 0) / ((a.length / 4) * 3);

/** 50% feedback with nothing else touching the mix: the expected input is halfMix. */
const HALF = { feedback: 0.5, feedback_safe: false, feedback_decay: 1 };

describe('image feedback on the host path', () => {
  let host: SdModels;
  before(async () => {
    host = await modelsFor('cpu', { providers: ['cpu'] });
  });

  it('feedback 0 makes no session and converts the input frame as it is, whatever the other feedback parameters say', async () => {
    const { pipeline, converted } = pipelineOn(host);
    const created = sessionsCreated();
    const plain = await run(pipeline, {}, 3);
    pipeline.reset();
    const idle = await run(pipeline, { feedback_zoom: 1.5, feedback_rotate: 20, feedback_pan_x: 0.2, feedback_border: 'zeros', feedback_safe: false }, 3);
    assert.deepEqual(idle, plain);
    assert.deepEqual(converted, [0, 1, 2, 0, 1, 2].map((k) => bars(k).data));
    assert.equal(sessionsCreated(), created, 'no feedback session while feedback is 0');
  });

  it('with feedback 0.5 the input is round((frame + previous output) / 2), the first frame the input alone, through one new session', async () => {
    const { pipeline, converted } = pipelineOn(host);
    const created = sessionsCreated();
    const outputs = await run(pipeline, { ...HALF, feedback_border: 'zeros' }, 3);
    assert.deepEqual(converted[0], bars(0).data, 'no previous output: the input alone');
    assert.ok(isRounded(converted[1], halfMix(bars(1), outputs[0]!)), 'frame 1: the mix of frame 1 and output 0');
    assert.ok(isRounded(converted[2], halfMix(bars(2), outputs[1]!)), 'frame 2: the mix of frame 2 and output 1');
    assert.ok(!isRounded(converted[2], halfMix(bars(2), outputs[0]!)), 'not the output before');
    assert.ok(meanDifference(converted[2]!, bars(2).data) > 1, 'the mix is not the input');
    assert.equal(sessionsCreated() - created, 1, 'the zeros border\'s session, made on first use');
  });

  it('a parameter change applies on the next frame without a new session; another border mode makes its own one, once', async () => {
    const { pipeline, converted } = pipelineOn(host);
    const zeros = { ...HALF, feedback_border: 'zeros' };
    const outputs = await run(pipeline, zeros, 2);
    const created = sessionsCreated();
    // Pan by 2 px (+x right): the two uncovered columns see black.
    outputs.push(...(await run(pipeline, { ...zeros, feedback_pan_x: 2 / SIZE }, 1, 2)));
    assert.ok(isRounded(converted[2], halfMix(bars(2), outputs[1]!, 2)), 'panned by 2 px');
    for (const patch of [{ feedback_zoom: 1.3 }, { feedback_rotate: 10 }, { feedback_decay: 0.5 }, { feedback_safe: true }, { feedback_pan_y: -0.2 }]) {
      const k = outputs.length;
      outputs.push(...(await run(pipeline, { ...zeros, ...patch }, 1, k)));
      assert.ok(!isRounded(converted[k], halfMix(bars(k), outputs[k - 1]!)), `${JSON.stringify(patch)} changes the mix on its frame`);
    }
    assert.equal(sessionsCreated(), created, 'no session for a change within a border mode');
    await run(pipeline, { ...HALF, feedback_border: 'reflection' }, 2, 8);
    assert.equal(sessionsCreated(), created + 1, 'reflection: its own session');
    await run(pipeline, { ...HALF, feedback_border: 'reflection', feedback_zoom: 0.7 }, 2, 10);
    assert.equal(sessionsCreated(), created + 1);
  });

  it('a warm-up with feedback on makes the feedback session before the first frame; the stream then starts afresh', async () => {
    const { pipeline, converted } = pipelineOn(host);
    const before = sessionsCreated();
    await pipeline.warmUp(params({ ...HALF, feedback_border: 'border' }));
    assert.equal(sessionsCreated(), before + 1, 'the border mode\'s session, made by the warm-up');
    converted.length = 0;
    await run(pipeline, { ...HALF, feedback_border: 'border' }, 2);
    assert.deepEqual(converted[0], bars(0).data, 'no previous output after the warm-up');
    assert.equal(sessionsCreated(), before + 1);
  });

  it('a failing feedback run fails its frame once with SDL_ERR_PIPELINE, then feedback is off and the frames go on unmixed', async () => {
    const { pipeline, converted } = pipelineOn(host);
    const processors = host.processors!;
    processors.feedback = () => Promise.reject(new Error('no AffineGrid kernel here'));
    try {
      await run(pipeline, HALF, 1);
      await assert.rejects(pipeline.process([bars(1)], params(HALF)), (e) => isSdliveError(e, 'SDL_ERR_PIPELINE') && e.field === 'feedback' && /AffineGrid/.test(e.message));
      await run(pipeline, HALF, 2, 2);
      assert.deepEqual(converted, [bars(0).data, bars(2).data, bars(3).data]);
    } finally {
      Reflect.deleteProperty(processors, 'feedback');
    }
  });

  it('full feedback freezes on its own output unless feedback safe is on: then the input keeps 10% and the loop gain is 0.873', async () => {
    const unsafe = pipelineOn(host);
    const frozen = await run(unsafe.pipeline, { feedback: 1, feedback_decay: 1, feedback_safe: false }, 3);
    assert.deepEqual(unsafe.converted.slice(1), frozen.slice(0, 2), 'unsafe: the input is the last output, the camera is gone');
    const safe = pipelineOn(host);
    const outputs = await run(safe.pipeline, { feedback: 1, feedback_decay: 1 }, 3);
    for (let k = 1; k < 3; k++) {
      const mix = Float64Array.from(outputs[k - 1]!, (b, j) => (j % 4 === 3 ? 255 : Math.min(255, Math.max(0, 0.1 * bars(k).data[j]! + 0.873 * b - 0.5))));
      // Off a tie by more than the float32 gains' error (1e-6 of 255): within 0.5 plus that.
      assert.ok(mix.every((v, j) => Math.abs(safe.converted[k]![j]! - v) <= 0.501), `safe frame ${k}: 0.1 * input + 0.873 * previous - 0.5`);
    }
  });
});

describe('latent feedback', () => {
  it('blends z\' = (1 - b) z + b x0_prev, the first frame (no x0 yet) and b = 0 untouched', () => {
    const blend = new LatentFeedback();
    const z = { data: Float32Array.of(1, 2, 3, 4), dims: [1, 1, 2, 2] };
    assert.equal(blend.blend(z, 0.5), z);
    blend.keep({ data: Float32Array.of(3, 2, 1, 0), dims: [1, 1, 2, 2] });
    assert.equal(blend.blend(z, 0), z);
    assert.deepEqual(Array.from(blend.blend(z, 0.25).data), [1.5, 2, 2.5, 3]);
  });

  it('b = 0 gives the frames of a stream without it; b > 0 changes them, a small b a little', async () => {
    const host = await modelsFor('cpu', { providers: ['cpu'] });
    const frames = async (b: number) => run(pipelineOn(host).pipeline, { latent_feedback: b, cfg_type: 'none', t_index_list: [25] }, 4);
    const [off, plain, small, large] = [await frames(0), await run(pipelineOn(host).pipeline, { cfg_type: 'none', t_index_list: [25] }, 4), await frames(0.02), await frames(0.5)];
    assert.deepEqual(off, plain);
    assert.deepEqual(small[0], off[0], 'frame 0 has no previous x0');
    const [d1, d2] = [meanDifference(small[3]!, off[3]!), meanDifference(large[3]!, off[3]!)];
    assert.ok(d2 > 1, `b 0.5 changes the picture (${d2.toFixed(2)} levels)`);
    assert.ok(d1 > 0 && d1 < d2 / 5, `b 0.02 changes it a little (${d1.toFixed(3)} against ${d2.toFixed(2)} levels)`);
  });
});

describe('latent feedback under feedback safe', () => {
  it('is capped at 0.9 (the encoded input keeps 10%); off, 1 is the previous x0 alone', async () => {
    const host = await modelsFor('cpu', { providers: ['cpu'] });
    const frames = async (patch: Record<string, unknown>) => run(pipelineOn(host).pipeline, { cfg_type: 'none', t_index_list: [25], ...patch }, 3);
    const capped = await frames({ latent_feedback: 0.9 });
    assert.deepEqual(await frames({ latent_feedback: 1 }), capped);
    assert.notDeepEqual((await frames({ latent_feedback: 1, feedback_safe: false }))[2], capped[2]);
  });
});

describe('models without pixel processors (plain-JS fakes)', () => {
  it('have no image feedback: frames pass unmixed and nothing is refused; latent feedback still blends', async () => {
    const frames = async (patch: Record<string, unknown>) => {
      const sd = new StreamDiffusion(new FakeSdModels(), { width: 16, height: 16 });
      const out: Uint8Array[] = [];
      for (let k = 0; k < 3; k++) out.push(Uint8Array.from((await sd.process([fakeInput(k)], params(patch)))[0]!.data));
      return out;
    };
    const plain = await frames({});
    assert.deepEqual(await frames({ feedback: 0.8, feedback_zoom: 1.5 }), plain);
    assert.notDeepEqual((await frames({ latent_feedback: 0.5 }))[2], plain[2]);
  });
});

describe('image and latent feedback on the device path', () => {
  /** Frames through one path, with image feedback on, panned and turning, and latent feedback, after a plain start. */
  async function showOn(m: SdModels, extra: Record<string, unknown> = {}): Promise<Uint8Array[]> {
    const { pipeline } = pipelineOn(m);
    const patch = { ...extra, feedback: 0.6, feedback_zoom: 1.1, feedback_rotate: 7, feedback_pan_x: 0.05, latent_feedback: 0.4, t_index_list: [20, 35] };
    return [...(await run(pipeline, {}, 1)), ...(await run(pipeline, patch, 4, 1))];
  }

  function assertSameFrames(device: Uint8Array[], hostFrames: Uint8Array[]): void {
    device.forEach((frame, i) => {
      const worst = frame.reduce((m, v, j) => Math.max(m, Math.abs(v - hostFrames[i]![j]!)), 0);
      assert.ok(worst <= 1, `frame ${i}: ${worst} levels apart`);
    });
  }

  it('the CPU provider\'s device path gives the host path\'s frames: mixed on the device (or on the host with the similarity filter), the last x0 kept on the device', async () => {
    const [device, host] = [await modelsFor('cpu-device', { providers: ['cpu'], devicePath: true }), await modelsFor('cpu', { providers: ['cpu'] })];
    assert.ok(device.device);
    assertSameFrames(await showOn(device), await showOn(host));
    // With the similarity filter the image comes to the host: the mix is made there and goes up as the image.
    const filtering = { similarity_filter: true, similarity_threshold: 1 };
    assertSameFrames(await showOn(device, filtering), await showOn(host, filtering));
  });

  it('webgpu (the device path) gives the CPU host path\'s frames within one level', { skip: skipWebgpu, timeout: 300_000 }, async () => {
    const [device, host] = [await modelsFor('webgpu', { providers: ['webgpu'] }), await modelsFor('cpu', { providers: ['cpu'] })];
    assert.ok(device.device && device.provider === 'webgpu');
    assertSameFrames(await showOn(device), await showOn(host));
  });

  it('on webgpu image feedback mixes on the GPU: the previous output goes up beside the frame, the warp only when it changes; nothing more comes down', { skip: skipWebgpu, timeout: 300_000 }, async () => {
    const { pipeline } = pipelineOn(await modelsFor('webgpu', { providers: ['webgpu'] }));
    const frame = SIZE * SIZE * 4;
    const p = { feedback: 0.5, feedback_rotate: 3, latent_feedback: 0.2 };
    for (let k = 0; k < 3; k++) await pipeline.process([bars(k)], params(p));
    // Without feedback 1 tensor up (the frame) and 3 down (the frame, two finite flags): webgpu-chain.test.ts.
    const down = { tensors: 3, bytes: frame + 2 };
    assert.deepEqual((await pipeline.process([bars(3)], params(p))).transfers, { up: { tensors: 2, bytes: 2 * frame }, down });
    const turned = await pipeline.process([bars(4)], params({ ...p, feedback_rotate: 4 }));
    assert.deepEqual(turned.transfers, { up: { tensors: 3, bytes: 2 * frame + 24 }, down }, 'a new warp: theta [1,2,3] goes up once');
  });
});
