import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { isSdliveError } from '../../src/errors.js';
import { loadSdModels } from '../../src/models/load.js';
import { createSession, sessionOptions } from '../../src/models/providers.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import type { DeviceModels, DeviceTensor, SdModels, TensorF32 } from '../../src/models/sd-models.js';
import { type CfgType, type Guidance, guidedStep, shiftStockNoise, usesStockNoise } from '../../src/pipelines/streamdiffusion/cfg.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { slotSchedule } from '../../src/pipelines/streamdiffusion/schedule.js';
import { stepCoefficients, stepGraph, stepLayout, streamInGraph } from '../../src/pipelines/streamdiffusion/step-graph.js';
import { successors } from '../../src/pipelines/streamdiffusion/stream-batch.js';
import { axpbySlots, concatSlots, slotView } from '../../src/pipelines/streamdiffusion/tensor.js';
import { assertClose, assertSameRuns, bars, params, runCases, type Seen, SIZE } from '../helpers/device-path.js';

/**
 * The device path's step graphs against the JS step (cfg.ts, stream-batch.ts: the held-out parity of the algorithm),
 * on the CPU provider: the graphs directly on random tensors, then the whole pipeline on builtin:tiny, device path vs
 * host path, every cfg type, 1/2/4 slots, with and without noise, Stream Batch and sequential.
 */
const SHAPE = { channels: 4, height: 8, width: 8 };
const CFG_TYPES: CfgType[] = ['none', 'self', 'full', 'initialize'];
const T_INDEX_LISTS = [[20], [18, 35], [5, 20, 30, 45]];

function random(seed: number, dims: number[]): TensorF32 {
  let s = seed;
  const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31) * 4 - 2;
  });
  return { data, dims };
}

const sessions = new Map<string, Promise<ort.InferenceSession>>();
async function runGraph(graph: { key: string; bytes(): Uint8Array }, feeds: Record<string, TensorF32>): Promise<Record<string, ort.Tensor>> {
  if (!sessions.has(graph.key)) sessions.set(graph.key, createSession(graph.bytes(), sessionOptions('cpu')));
  const session = await sessions.get(graph.key)!;
  return session.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data, t.dims)])));
}
const data = (t: ort.Tensor | undefined) => t!.data as Float32Array;

function predSlots(g: Guidance, n: number): number {
  const layout = stepLayout(g);
  return layout === 'full' ? 2 * n : layout === 'initialize' ? n + 1 : n;
}

test('the stream-in and step graphs on the CPU provider give streamBatch\'s x, UNet batch, x0, stock noise and latent buffer for every cfg type, 1/2/4 slots, with and without noise', async () => {
  let cases = 0;
  for (const cfgType of CFG_TYPES) {
    for (const scale of [1.4, 0.8]) {
      for (const tIndex of T_INDEX_LISTS) {
        for (const doAddNoise of [true, false]) {
          const g: Guidance = { cfgType, scale, delta: 0.7 };
          const n = tIndex.length;
          const s = slotSchedule(tIndex, 50);
          const dims = (k: number) => [k, 4, 8, 8];
          const [z, initNoise, buffer, stock] = [random(1, dims(1)), random(2, dims(n)), random(3, dims(n - 1)), random(4, dims(n))];
          const pred = random(5, dims(predSlots(g, n)));
          const layout = stepLayout(g);
          const what = `${cfgType} g=${scale} n=${n} noise=${doAddNoise}`;
          // The JS step, as streamBatch runs it.
          const x = n > 1 ? concatSlots([axpbySlots([s.alpha[0]!], z, [s.beta[0]!], slotView(initNoise, 0)), buffer]) : axpbySlots([s.alpha[0]!], z, [s.beta[0]!], initNoise);
          const shifted = n > 1 ? shiftStockNoise(stock, initNoise) : stock;
          const rotated = n > 1 ? concatSlots([slotView(initNoise, 1, n), slotView(initNoise, 0)]) : initNoise;
          const next = usesStockNoise(g) ? { ...successors(s), noise: rotated } : undefined;
          const js = guidedStep(g, pred, shifted, x, s, next);
          // The graphs.
          const inSpec = { layout, slots: n, stock: n > 1 ? 'shift' : 'none', latentType: 'float32', sampleType: 'float32', shape: SHAPE } as const;
          const extra: Record<string, TensorF32> = n > 1 ? { latent_buffer: buffer, stock_noise: stock } : {};
          const into = await runGraph(streamInGraph(inSpec), { latent: z, init_noise: initNoise, coefficients: { data: Float32Array.of(s.alpha[0]!, s.beta[0]!), dims: [2] }, ...extra });
          assertClose(data(into.x), x.data, `${what}: x`);
          if (layout === 'full') assertClose(data(into.sample), concatSlots([x, x]).data, `${what}: full batch`);
          if (layout === 'initialize') assertClose(data(into.sample), concatSlots([slotView(x, 0), x]).data, `${what}: initialize batch`);
          if (n > 1) assertClose(data(into.stock_noise_shifted), shifted.data, `${what}: shifted stock`);
          const spec = { layout, slots: n, renoised: n - 1, nextNoise: [...Array.from({ length: n - 1 }, (_, i) => i + 1), 0], predType: 'float32', decoderType: 'float32', decoderScale: 1, shape: SHAPE } as const;
          const coefficients = stepCoefficients(g, s, next, { alpha: s.alpha.slice(1), beta: s.beta.slice(1) }, doAddNoise);
          const stockFeed: Record<string, TensorF32> = layout === 'self' || layout === 'initialize' ? { stock_noise: shifted } : {};
          const out = await runGraph(stepGraph(spec), { pred, x, init_noise: initNoise, coefficients, ...stockFeed });
          assertClose(data(out.decoder_latent), slotView(js.x0, n - 1).data, `${what}: x0 of the last slot`);
          if (n > 1) {
            const renoised = axpbySlots(s.alpha.slice(1), slotView(js.x0, 0, n - 1), doAddNoise ? s.beta.slice(1) : s.beta.slice(1).map(() => 0), slotView(initNoise, 1, n));
            assertClose(data(out.renoised), renoised.data, `${what}: next latent buffer`);
          }
          if (next) assertClose(data(out.next_stock_noise), js.stock.data, `${what}: residual stock noise`);
          else assert.equal(out.next_stock_noise, undefined, `${what}: no residual without stock noise`);
          assert.equal((out.finite!.data as Uint8Array)[0], 1, `${what}: finite`);
          cases++;
        }
      }
    }
  }
  assert.equal(cases, 4 * 2 * 3 * 2);
});

test('the step graph\'s finite flag is false when x0 holds a NaN or an Inf (the device path\'s NaN guard), true otherwise', async () => {
  const s = slotSchedule([20, 30], 50);
  const spec = { layout: 'none', slots: 2, renoised: 1, nextNoise: [1, 0], predType: 'float32', decoderType: 'float32', decoderScale: 1, shape: SHAPE } as const;
  const feeds = (bad: number | undefined) => {
    const pred = random(7, [2, 4, 8, 8]);
    if (bad !== undefined) pred.data[300] = bad;
    return { pred, x: random(8, [2, 4, 8, 8]), init_noise: random(9, [2, 4, 8, 8]), coefficients: stepCoefficients({ cfgType: 'none', scale: 1, delta: 1 }, s, undefined, { alpha: [1], beta: [1] }, true) };
  };
  const flag = async (bad: number | undefined) => ((await runGraph(stepGraph(spec), feeds(bad))).finite!.data as Uint8Array)[0];
  assert.equal(await flag(undefined), 1);
  assert.equal(await flag(Number.NaN), 0);
  assert.equal(await flag(Number.POSITIVE_INFINITY), 0);
});

const loaded: StreamDiffusion[] = [];
after(async () => {
  for (const p of loaded) await p.dispose().catch(() => undefined);
  for (const s of sessions.values()) await (await s).release();
});

async function pipelineOn(variant: string, devicePath: boolean, wrap: (m: SdModels) => SdModels = (m) => m): Promise<StreamDiffusion> {
  const models = await loadSdModels(resolveModelDir(`builtin:tiny-${variant}`), { width: SIZE, height: SIZE, devicePath });
  assert.equal(models.device !== undefined, devicePath, `device path ${devicePath ? 'on' : 'off'}`);
  const pipeline = new StreamDiffusion(wrap(models), { width: SIZE, height: SIZE, random: () => 0.5 });
  loaded.push(pipeline);
  return pipeline;
}

const ALL_CASES = CFG_TYPES.flatMap((cfg_type) => T_INDEX_LISTS.flatMap((t_index_list) => [true, false].flatMap((do_add_noise) => [true, false].map((use_denoising_batch) => ({ cfg_type, t_index_list, do_add_noise, use_denoising_batch })))));

test('builtin:tiny: the device path on the CPU provider gives the host path\'s frames and stream state, every cfg type, 1/2/4 slots, noise on/off, Stream Batch and sequential', async () => {
  const cases = [...ALL_CASES, { cfg_type: 'self', guidance_scale: 0.9, t_index_list: [10, 30] }, { cfg_type: 'full', mode: 'txt2img', t_index_list: [10, 30] }];
  const [device, host] = [await pipelineOn('sd-turbo', true), await pipelineOn('sd-turbo', false)];
  const [d, h] = [await runCases(device, cases), await runCases(host, cases)];
  assertSameRuns(d, h, (i) => `${JSON.stringify(cases[Math.floor(i / 3)])} frame ${i % 3}`);
  assert.ok(h.some((s) => s.stock.some((v) => v !== 0)) && h.some((s) => s.buffer.some((v) => v !== 0)), 'the state the comparison covers is not all zeros');
});

test('runtime changes mid-stream keep the device path equal to the host path: seed, slot count up and down, cfg type, the similarity filter', async () => {
  const steps: Record<string, unknown>[] = [
    { cfg_type: 'self', t_index_list: [10, 30] },
    { cfg_type: 'self', t_index_list: [10, 30], seed: 4 },
    { cfg_type: 'self', t_index_list: [5, 20, 30, 45], seed: 4 },
    { cfg_type: 'initialize', t_index_list: [5, 20, 30, 45], seed: 4 },
    { cfg_type: 'full', t_index_list: [20], seed: 4 },
    { cfg_type: 'self', t_index_list: [10, 30], seed: 4, similarity_filter: true, similarity_threshold: 0.9 },
  ];
  const run = async (pipeline: StreamDiffusion) => {
    const seen: Seen[] = [];
    let k = 0;
    for (const patch of steps) {
      for (let i = 0; i < 2; i++, k++) {
        const [frame] = await pipeline.process([bars(k >> 1)], params(patch));
        const state = (await pipeline.inspectState())!;
        seen.push({ pixels: Uint8Array.from(frame!.data), buffer: Float32Array.from(state.latentBuffer.data), stock: Float32Array.from(state.stockNoise.data) });
      }
    }
    return seen;
  };
  const [d, h] = [await run(await pipelineOn('sd-turbo', true)), await run(await pipelineOn('sd-turbo', false))];
  assertSameRuns(d, h, (i) => `${JSON.stringify(steps[i >> 1])} frame ${i & 1}`);
});

test('the device path handles the dialects the step graphs meet: fp16 I/O (casts at the graph edges), a [0,1] TAESD (image adapters), SDXL conditioning', async () => {
  const cases = [{ cfg_type: 'self', t_index_list: [10, 30] }, { cfg_type: 'full', t_index_list: [20], use_denoising_batch: false }];
  for (const variant of ['fp16', 'taesd-zero-one', 'sdxl']) {
    const [d, h] = [await runCases(await pipelineOn(variant, true), cases), await runCases(await pipelineOn(variant, false), cases)];
    assertSameRuns(d, h, (i) => `${variant} ${JSON.stringify(cases[Math.floor(i / 3)])} frame ${i % 3}`);
  }
});

test('a rank-0 timestep export (slots run one by one) stays on the host path even when the device path is asked for', async () => {
  const models = await loadSdModels(resolveModelDir('builtin:tiny-optimum-current'), { width: SIZE, height: SIZE, devicePath: true });
  try {
    assert.equal(models.device, undefined);
  } finally {
    await models.dispose();
  }
});

test('a NaN from the UNet on the device path is SDL_ERR_NONFINITE from the step graph\'s flag; the device stream state stays as it was and the next frame goes on', async () => {
  let poison = false;
  const withNanUnet = (models: SdModels): SdModels => {
    const device = models.device!;
    const unet: DeviceModels['unet'] = async (sample, timestep, conditioning) => {
      const pred = await device.unet(sample, timestep, conditioning);
      if (!poison) return pred;
      pred.dispose();
      const nan = { data: new Float32Array(sample.dims.reduce((a, b) => a * b, 1)).fill(Number.NaN), dims: [...sample.dims] };
      return device.upload(nan);
    };
    return Object.create(models, { device: { value: Object.create(device, { unet: { value: unet } }) } }) as SdModels;
  };
  const pipeline = await pipelineOn('sd-turbo', true, withNanUnet);
  const p = params({ cfg_type: 'self', t_index_list: [10, 30] });
  for (let k = 0; k < 3; k++) await pipeline.process([bars(k)], p);
  const before = structuredClone(await pipeline.inspectState());
  poison = true;
  await assert.rejects(pipeline.process([bars(3)], p), (e) => isSdliveError(e, 'SDL_ERR_NONFINITE') && /finite flag/.test(e.message));
  assert.deepEqual(await pipeline.inspectState(), before);
  poison = false;
  const [frame] = await pipeline.process([bars(3)], p);
  assert.equal(frame!.data.length, SIZE * SIZE * 4);
});

test('the device path disposes every device tensor it replaces or consumes: the live count stays flat from frame to frame (Stream Batch, sequential, txt2img, a seed change)', async () => {
  const live = new Set<object>();
  const tracked = (t: DeviceTensor): DeviceTensor => {
    live.add(t);
    return new Proxy(t, { get: (target, key) => (key === 'dispose' ? () => (live.delete(target), target.dispose()) : Reflect.get(target, key)) });
  };
  const counting = (models: SdModels): SdModels => {
    const device = models.device!;
    const wrapped = Object.create(device) as DeviceModels;
    for (const name of ['upload', 'toImage', 'imageInput', 'vaeEncode', 'unet', 'vaeDecode'] as const) {
      const method = device[name] as (...args: unknown[]) => Promise<DeviceTensor>;
      Object.defineProperty(wrapped, name, { value: async (...args: unknown[]) => tracked(await method.apply(device, args)) });
    }
    // Constants are cached by value and live while in use (the resident cache): not the stream's to dispose.
    Object.defineProperty(wrapped, 'constant', { value: (t: TensorF32) => device.constant(t) });
    Object.defineProperty(wrapped, 'run', {
      value: async (...args: Parameters<DeviceModels['run']>) => {
        const out = await device.run(...args);
        return { ...out, device: Object.fromEntries(Object.entries(out.device).map(([k, t]) => [k, tracked(t)])) };
      },
    });
    return Object.create(models, { device: { value: wrapped } }) as SdModels;
  };
  const pipeline = await pipelineOn('sd-turbo', true, counting);
  for (const patch of [{ cfg_type: 'self', t_index_list: [10, 30] }, { cfg_type: 'full', t_index_list: [10, 30], use_denoising_batch: false }, { cfg_type: 'initialize', t_index_list: [5, 20, 30, 45], mode: 'txt2img' }, { cfg_type: 'self', t_index_list: [10, 30], seed: 9 }]) {
    const counts: number[] = [];
    for (let k = 0; k < 5; k++) {
      await pipeline.process([bars(k)], params(patch));
      counts.push(live.size);
    }
    // Alive between frames: the stream state only (init noise, stock noise, latent buffer where n > 1).
    const n = (patch.t_index_list as number[]).length;
    assert.deepEqual(counts, counts.map(() => (n > 1 ? 3 : 2)), `${JSON.stringify(patch)}: live device tensors after each frame`);
  }
  pipeline.reset();
  assert.equal(live.size, 0, 'reset disposes the device state');
});

test('transfers on the CPU provider (host path): every session input goes up and every output comes down, as today, per stage', async () => {
  const pipeline = await pipelineOn('sd-turbo', false);
  const { textWidth, maxTokens, unetTimestep } = pipeline.models.dialect;
  const timestepBytes = { int64: 8, float32: 4, float16: 2 }[unetTimestep.type];
  const p = params({ cfg_type: 'self', t_index_list: [10, 30] });
  await pipeline.process([bars(0)], p);
  const result = await pipeline.process([bars(1)], p);
  const [rgba, image, latents] = [SIZE * SIZE * 4, 3 * SIZE * SIZE * 4, 4 * 8 * 8 * 4];
  // Counted by hand from the sessions: preprocess, encoder, UNet (2 slots, int64 timesteps, embeddings), decoder, postprocess.
  const up = [rgba, image, 2 * latents, 2 * timestepBytes, 2 * maxTokens * textWidth * 4, latents, image];
  const down = [image, latents, 2 * latents, image, rgba, 1];
  assert.deepEqual(result.transfers, { up: { tensors: up.length, bytes: up.reduce((a, b) => a + b) }, down: { tensors: down.length, bytes: down.reduce((a, b) => a + b) } });
});
