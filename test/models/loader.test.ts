import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { loadSdModels } from '../../src/models/load.js';
import { sessionsCreated } from '../../src/models/providers.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import type { SdModels, TensorF32 } from '../../src/models/sd-models.js';
import { clipInputIds } from '../../src/models/token-ids.js';
import { OPSET, tinyNetIo, unetGraph } from '../../src/models/tiny/nets.js';
import { declaredDialect, TINY_VARIANT_NAMES, TINY_VARIANTS, type TinyVariantName } from '../../src/models/tiny/variants.js';
import { arrayLogger, copyOfTiny, maxAbsDiff, range, wave } from './helpers.js';

const SIZE = 256;
const LATENT = [1, 4, SIZE / 8, SIZE / 8];
const load = (variant: TinyVariantName, extra: Parameters<typeof loadSdModels>[1] = {}) =>
  loadSdModels(resolveModelDir(`builtin:tiny-${variant}`), { width: SIZE, height: SIZE, ...extra });

async function embed(m: SdModels, ...prompts: string[]): Promise<TensorF32> {
  const ids = prompts.flatMap((p) => [...clipInputIds(m.tokenize(p), m.dialect)]);
  return (await m.encodeText(Int32Array.from(ids), prompts.length)).encoder_hidden_states;
}

const unet = (m: SdModels, sample: TensorF32, timestep: number[], emb: TensorF32) => m.unet({ sample, timestep, conditioning: { encoder_hidden_states: emb } });

function stack(t: TensorF32, times: number): TensorF32 {
  const data = new Float32Array(t.data.length * times);
  for (let i = 0; i < times; i++) data.set(t.data, i * t.data.length);
  return { data, dims: [t.dims[0]! * times, ...t.dims.slice(1)] };
}

describe('loadSdModels on every tiny variant', () => {
  // SDXL and LCM take more UNet inputs: test/pipelines/sdxl.test.ts and lcm.test.ts.
  for (const variant of TINY_VARIANT_NAMES.filter((v) => TINY_VARIANTS[v].family === 'sd' && !TINY_VARIANTS[v].timestepCond)) {
    it(`${variant}: detects the declared dialect and runs a frame`, async () => {
      const created = sessionsCreated();
      const m = await load(variant);
      try {
        assert.deepEqual(m.dialect, declaredDialect(TINY_VARIANTS[variant]));
        assert.equal(m.provider, 'cpu');
        assert.equal(sessionsCreated() - created, 7, 'the cpu probe, four model sessions and the two pixel processors');
        const emb = await embed(m, 'a photo of a cat', 'a forest');
        assert.deepEqual(emb.dims, [2, 77, m.dialect.textWidth]);
        const z = await m.vaeEncode(wave([1, 3, SIZE, SIZE]));
        assert.deepEqual(z.dims, LATENT);
        const eps = await unet(m, stack(z, 2), [999, 499], emb);
        assert.deepEqual(eps.dims, [2, ...LATENT.slice(1)]);
        const image = await m.vaeDecode(z);
        assert.deepEqual(image.dims, [1, 3, SIZE, SIZE]);
        const [lo, hi] = range(image);
        assert.ok(lo >= -1 && hi <= 1 && hi - lo > 0.5, `decoded image spans [-1,1]: ${lo}..${hi}`);
      } finally {
        await m.dispose();
      }
    });
  }
});

describe('SdModels numerics', () => {
  let turbo: SdModels;
  before(async () => (turbo = await load('sd-turbo')));
  after(() => turbo.dispose());

  it('UNet output depends on the timestep and on the embeddings', async () => {
    const x = wave(LATENT);
    const cat = await embed(turbo, 'a photo of a cat');
    const base = await unet(turbo, x, [999], cat);
    assert.ok(maxAbsDiff(base, await unet(turbo, x, [499], cat)) > 1e-3);
    assert.ok(maxAbsDiff(base, await unet(turbo, x, [999], await embed(turbo, 'a bowl of soup'))) > 1e-4);
    assert.ok(maxAbsDiff(base, await unet(turbo, wave(LATENT, 1), [999], cat)) > 1e-3);
    assert.equal(maxAbsDiff(base, await unet(turbo, x, [999], cat)), 0, 'deterministic');
  });

  it('a batch gives each slot its own timestep (same as single calls)', async () => {
    const x = wave([2, ...LATENT.slice(1)]);
    const emb = await embed(turbo, 'a', 'b');
    const both = await unet(turbo, x, [999, 259], emb);
    const one = await unet(turbo, { data: x.data.subarray(0, x.data.length / 2), dims: LATENT }, [999], { data: emb.data.subarray(0, emb.data.length / 2), dims: [1, 77, 1024] });
    assert.ok(maxAbsDiff({ data: both.data.subarray(0, one.data.length), dims: LATENT }, one) < 1e-5);
  });

  it('rank-0 timestep export runs a batch slot by slot, equal to single calls and to a batched export', async () => {
    const { log, records } = arrayLogger();
    const current = await load('optimum-current', { log });
    try {
      assert.equal(records.filter((r) => /slots one by one/.test(r.msg)).length, 1, 'logged once at load');
      const x = wave([2, ...LATENT.slice(1)]);
      const emb = await embed(current, 'a', 'b');
      const both = await unet(current, x, [999, 259], emb);
      const half = (t: TensorF32, i: number) => ({ data: t.data.slice((i * t.data.length) / 2, ((i + 1) * t.data.length) / 2), dims: [1, ...t.dims.slice(1)] });
      for (const i of [0, 1]) {
        const single = await unet(current, half(x, i), [[999, 259][i]!], half(emb, i));
        assert.equal(maxAbsDiff(half(both, i), single), 0, `slot ${i}`);
      }
      assert.ok(maxAbsDiff(both, await unet(turbo, x, [999, 259], emb)) < 1e-5, 'same weights as sd-turbo, other dialect');
    } finally {
      await current.dispose();
    }
  });

  it('int64 ids and int64 timesteps (older optimum) give the float export\'s numbers', async () => {
    const older = await load('older-optimum');
    try {
      const [a, b] = [await embed(older, 'a red car'), await embed(turbo, 'a red car')];
      assert.equal(maxAbsDiff(a, b), 0);
      assert.ok(maxAbsDiff(await unet(older, wave(LATENT), [759], a), await unet(turbo, wave(LATENT), [759], b)) < 1e-5);
    } finally {
      await older.dispose();
    }
  });

  it('fp16 I/O is converted at the boundary (close to the fp32 export with the same weights)', async () => {
    const half = await load('fp16');
    try {
      const [e16, e32] = [await embed(half, 'neon city'), await embed(turbo, 'neon city')];
      assert.ok(maxAbsDiff(e16, e32) < 1e-2);
      assert.ok(maxAbsDiff(await unet(half, wave(LATENT), [999], e32), await unet(turbo, wave(LATENT), [999], e32)) < 5e-2);
      assert.ok(maxAbsDiff(await half.vaeEncode(wave([1, 3, SIZE, SIZE])), await turbo.vaeEncode(wave([1, 3, SIZE, SIZE]))) < 5e-2);
      assert.ok(maxAbsDiff(await half.vaeDecode(wave(LATENT)), await turbo.vaeDecode(wave(LATENT))) < 1e-2);
    } finally {
      await half.dispose();
    }
  });

  it('latent_parameters: vaeEncode returns the mean (channels 0-3)', async () => {
    const dir = resolveModelDir('builtin:tiny-optimum-current');
    const current = await loadSdModels(dir, { width: SIZE, height: SIZE });
    const raw = await ort.InferenceSession.create(join(dir, 'vae_encoder/model.onnx'));
    try {
      const img = wave([2, 3, SIZE, SIZE]);
      const params = (await raw.run({ sample: new ort.Tensor('float32', img.data, img.dims) })).latent_parameters!;
      assert.deepEqual(params.dims, [2, 8, SIZE / 8, SIZE / 8]);
      const mean = await current.vaeEncode(img);
      const plane = (SIZE / 8) ** 2;
      const p = params.data as Float32Array;
      const expected = Float32Array.from([...p.subarray(0, 4 * plane), ...p.subarray(8 * plane, 12 * plane)]);
      assert.deepEqual(mean.data, expected);
    } finally {
      await Promise.all([current.dispose(), raw.release()]);
    }
  });

  it('zero_one VAE (from sdlive.json or vae_range) is converted to and from [-1,1]', async () => {
    const auto = await load('taesd-zero-one');
    const raw = await load('taesd-zero-one', { vaeRange: 'minus_one_one' });
    try {
      assert.equal(auto.dialect.vaeRange, 'zero_one');
      const z = wave(LATENT);
      const [a, r] = [await auto.vaeDecode(z), await raw.vaeDecode(z)];
      assert.ok(range(r)[0] >= 0, 'the raw net returns [0,1]');
      assert.ok(maxAbsDiff(a, { data: r.data.map((v) => 2 * v - 1), dims: r.dims }) < 1e-6);
      const img = wave([1, 3, SIZE, SIZE]);
      const zeroOne = { data: img.data.map((v) => (v + 1) / 2), dims: img.dims };
      assert.ok(maxAbsDiff(await auto.vaeEncode(img), await raw.vaeEncode(zeroOne)) < 1e-5);
    } finally {
      await Promise.all([auto.dispose(), raw.dispose()]);
    }
  });

  it('vae scaling from config.json / sdlive.json multiplies encodes and divides decodes', async () => {
    const dir = copyOfTiny('sd-turbo');
    writeFileSync(join(dir, 'vae_decoder/config.json'), JSON.stringify({ scaling_factor: 0.18215 }));
    const scaled = await loadSdModels(dir, { width: SIZE, height: SIZE });
    try {
      assert.equal(scaled.dialect.vaeScaling, 0.18215);
      const img = wave([1, 3, SIZE, SIZE]);
      const [s, u] = [await scaled.vaeEncode(img), await turbo.vaeEncode(img)];
      assert.ok(maxAbsDiff(s, { data: u.data.map((v) => v * 0.18215), dims: u.dims }) < 1e-6);
      const d = await scaled.vaeDecode(s);
      assert.ok(maxAbsDiff(d, await turbo.vaeDecode(u)) < 1e-5);
    } finally {
      await scaled.dispose();
    }
  });

  it('loads external weights (unet/model.onnx + model.onnx_data) from the file path', async () => {
    const dir = copyOfTiny('sd-turbo');
    const { model, data } = unetGraph(tinyNetIo(TINY_VARIANTS['sd-turbo'])).toExternalData(OPSET, 'model.onnx_data');
    writeFileSync(join(dir, 'unet/model.onnx'), model);
    writeFileSync(join(dir, 'unet/model.onnx_data'), data);
    assert.ok(model.length < data.length / 10, `weights are outside the model file (${model.length} vs ${data.length} bytes)`);
    const external = await loadSdModels(dir, { width: SIZE, height: SIZE });
    try {
      const emb = await embed(turbo, 'x');
      assert.equal(maxAbsDiff(await unet(external, wave(LATENT), [500], emb), await unet(turbo, wave(LATENT), [500], emb)), 0);
    } finally {
      await external.dispose();
    }
  });
});
