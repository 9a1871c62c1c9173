import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { silentLogger } from '../../src/log.js';
import { f16ToF32, f32ToF16, valuesConvertedInJs } from '../../src/models/fp16.js';
import type { ImagePort } from '../../src/models/processors/graphs.js';
import { OnnxImageProcessors } from '../../src/models/processors/image-processors.js';
import { sessionOptions } from '../../src/models/providers.js';
import type { TensorF32 } from '../../src/models/sd-models.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import { frameToImage } from '../../src/pipelines/streamdiffusion/image.js';
import type { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { buildFormat } from './fixtures/build-format.js';
import { REAL_FORMATS } from './fixtures/real-formats.js';
import { wave } from './helpers.js';
import { barsFrame } from '../helpers/bars.js';

/**
 * fp16 exports keep float16 in the graphs: the processor graphs take and give the VAE's own image, and cast the
 * latents; nothing is converted between float16 and float32 in JS per frame (fp16.ts counts what it converts).
 * The references are fp16.ts's JS conversion and image.ts's frameToImage, not the graphs.
 */
const SIZE = 256;

function params(variant: string, patch: Record<string, unknown> = {}): StreamDiffusionParams {
  return StreamDiffusionParams.parse({ model: `builtin:tiny-${variant}`, execution_providers: ['cpu'], width: SIZE, height: SIZE, cfg_type: 'full', t_index_list: [10, 30], ...patch });
}

const bars = (k: number, size = SIZE) => barsFrame(size, k);

let half: StreamDiffusion;
let float: StreamDiffusion;
before(async () => {
  [half, float] = (await Promise.all([streamDiffusion.load(params('fp16'), { log: silentLogger }), streamDiffusion.load(params('sd-turbo'), { log: silentLogger })])) as [StreamDiffusion, StreamDiffusion];
});
after(async () => {
  await Promise.all([half.dispose(), float.dispose()]);
});

async function convertedBy(work: () => Promise<unknown>): Promise<number> {
  const before = valuesConvertedInJs();
  await work();
  return valuesConvertedInJs() - before;
}

test('fp16 export: frames convert no value between float16 and float32 in JS (Stream Batch with full CFG, one step, txt2img); a prompt change converts its embeddings once', async () => {
  for (const patch of [{}, { t_index_list: [20], cfg_type: 'self' }, { mode: 'txt2img', cfg_type: 'none', t_index_list: [25] }]) {
    const p = params('fp16', patch);
    await half.process([bars(0)], p);
    for (let k = 1; k <= 3; k++) assert.equal(await convertedBy(() => half.process([bars(k)], p)), 0, `frame ${k} of ${JSON.stringify(patch)}`);
  }
  const prompt = params('fp16', { prompt: 'a lighthouse at dusk' });
  assert.ok((await convertedBy(() => half.process([bars(4)], prompt))) >= 77 * 1024, 'the new prompt\'s embeddings are converted on its first frame');
  assert.equal(await convertedBy(() => half.process([bars(5)], prompt)), 0, 'and not again');
});

test('a static batch-1 fp16 UNet (microsoft/sd-turbo-webnn layout) runs its slots one call each and still converts nothing in JS per frame', async () => {
  const dir = buildFormat(REAL_FORMATS.find((r) => r.id === 'webnn+taesd-encoder')!);
  const p = StreamDiffusionParams.parse({ model: dir, execution_providers: ['cpu'], width: 512, height: 512, cfg_type: 'full', t_index_list: [10, 30] });
  const pipeline = await streamDiffusion.load(p, { log: silentLogger });
  try {
    await pipeline.process([bars(0, 512)], p);
    for (let k = 1; k <= 2; k++) assert.equal(await convertedBy(() => pipeline.process([bars(k, 512)], p)), 0, `frame ${k}`);
  } finally {
    await pipeline.dispose();
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});

/** Mean absolute difference of the colour channels, and the share of them more than `levels` apart. */
function colourDifference(a: Uint8Array, b: Uint8Array, levels: number): { mean: number; beyond: number } {
  let [sum, beyond, n] = [0, 0, 0];
  for (let j = 0; j < a.length; j++) {
    if (j % 4 === 3) continue;
    const d = Math.abs(a[j]! - b[j]!);
    sum += d;
    if (d > levels) beyond++;
    n++;
  }
  return { mean: sum / n, beyond: beyond / n };
}

test('fp16 export: frames match the float32 export with the same weights (mean within 0.25 levels, 99.5% of values within 2)', async () => {
  for (const patch of [{}, { t_index_list: [20], cfg_type: 'self' }, { mode: 'txt2img', cfg_type: 'none', t_index_list: [25] }]) {
    half.reset();
    float.reset();
    for (let k = 0; k < 3; k++) {
      const [[a], [b]] = await Promise.all([half.process([bars(k)], params('fp16', patch)), float.process([bars(k)], params('sd-turbo', patch))]);
      const { mean, beyond } = colourDifference(a!.data, b!.data, 2);
      assert.ok(mean < 0.25 && beyond < 0.005, `${JSON.stringify(patch)} frame ${k}: mean ${mean.toFixed(3)} levels, ${(beyond * 100).toFixed(2)}% beyond 2`);
    }
  }
});

test('fp16 export: vaeDecode into a frame buffer hands the decoder\'s float16 image to postprocess; its data, read on demand, equals the direct decode', async () => {
  const models = half.models;
  const latents = wave([1, 4, SIZE / 8, SIZE / 8]);
  const into: TensorF32 = { data: new Float32Array(3 * SIZE * SIZE), dims: [1, 3, SIZE, SIZE] };
  let decoded: TensorF32 | undefined;
  const rgba = new Uint8Array(4 * SIZE * SIZE);
  assert.equal(await convertedBy(async () => {
    decoded = await models.vaeDecode(latents, into);
    assert.equal(await models.processors!.toRgba(decoded, rgba), true);
  }), 0, 'decode and postprocess convert nothing in JS');
  const direct = await models.vaeDecode(latents);
  assert.deepEqual(decoded!.data, direct.data);
  const viaFloat = new Uint8Array(rgba.length);
  await float.models.processors!.toRgba(direct, viaFloat);
  assert.deepEqual(rgba, viaFloat, 'the same bytes as the float32 postprocess of the converted image');
});

/** Processors built for a VAE image port, with the latent casts. */
async function processorsFor(port: ImagePort): Promise<OnnxImageProcessors> {
  return OnnxImageProcessors.create(sessionOptions('cpu'), { encoder: port, decoder: port, halfCasts: true });
}

const [W, H] = [48, 32];
const PORTS: ImagePort[] = [{ type: 'float16', range: 'minus_one_one' }, { type: 'float16', range: 'zero_one' }, { type: 'float32', range: 'zero_one' }];

/** Every byte value in every channel. */
function allBytes(): Frame {
  const f = createFrame(W, H, 0);
  for (let i = 0; i < f.data.length; i++) f.data[i] = (i * 37 + (i >> 2) * 11) % 256;
  return f;
}

test('preprocess graph for fp16 and [0,1] encoders: vae_input is exactly the JS conversion of frameToImage, for every byte value', async () => {
  for (const port of PORTS) {
    const p = await processorsFor(port);
    try {
      const frame = allBytes();
      const image: TensorF32 = { data: new Float32Array(3 * W * H), dims: [1, 3, H, W] };
      await p.toImage(frame.data, image);
      const js = frameToImage(frame);
      assert.deepEqual(image.data, js.data, 'the float32 image (similarity filter) as before');
      const ranged = port.range === 'zero_one' ? js.data.map((v) => v * 0.5 + 0.5) : js.data;
      const expected = port.type === 'float16' ? f32ToF16(ranged) : ranged;
      const got = p.encoderInput(image)!;
      assert.equal(got.type, port.type);
      assert.deepEqual(got.data, expected, JSON.stringify(port));
    } finally {
      await p.release();
    }
  }
});

test('postprocess graph from an fp16 or [0,1] decoder image: the bytes and finite flag of the float32 path on the JS-converted image', async () => {
  const reference = await OnnxImageProcessors.create(sessionOptions('cpu'));
  for (const port of PORTS) {
    const p = await processorsFor(port);
    try {
      const target = p.decoderTarget({ data: new Float32Array(3 * W * H), dims: [1, 3, H, W] });
      const values = Float32Array.from({ length: target.size }, (_, i) => Math.sin(i * 0.37) * 1.2 + (port.range === 'zero_one' ? 0.5 : 0));
      (target.data as Float32Array | Uint16Array).set(port.type === 'float16' ? f32ToF16(values) : values);
      const [got, want] = [new Uint8Array(4 * W * H), new Uint8Array(4 * W * H)];
      assert.equal(await p.toRgba(p.decoded(target), got), true);
      await reference.toRgba(p.fromDecoder(target), want);
      assert.deepEqual(got, want, JSON.stringify(port));
      for (const bad of [NaN, Infinity, -Infinity]) {
        (target.data as Float32Array | Uint16Array)[W * H + 5] = port.type === 'float16' ? f32ToF16(Float32Array.of(bad))[0]! : bad;
        assert.equal(await p.toRgba(p.decoded(target), got), false, `${bad} ${JSON.stringify(port)}`);
      }
    } finally {
      await p.release();
    }
  }
  await reference.release();
});

test('the latent casts in the processor graphs give fp16.ts\'s bits: every float16 pattern, and float32 ties, overflow, subnormals', async () => {
  const p = await processorsFor(PORTS[0]!);
  try {
    const patterns = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const widened = await p.readFloat(new ort.Tensor('float16', patterns, [4, 16, 32, 32]));
    assert.deepEqual(widened.dims, [4, 16, 32, 32]);
    const js = f16ToF32(patterns);
    // Every value the same, signed zeros included; a NaN keeps its payload in onnxruntime, so NaNs are compared as NaN.
    assert.ok(widened.data.every((v, i) => Object.is(v, js[i]) || (Number.isNaN(v) && Number.isNaN(js[i]))), 'f16 -> f32 as fp16.ts');
    assert.equal(widened.data.filter((v) => Number.isNaN(v)).length, 2046);
    const edges = [65504, 65519.99, 65520, -65520, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 1 + 2 ** -11, 1 + 3 * 2 ** -11, -0, 0, Infinity, -Infinity];
    const values = Float32Array.from([...edges, ...Array.from({ length: 4096 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 13) - 8))]);
    const narrowed = await p.floatInput('float16', { data: values, dims: [1, values.length] });
    assert.equal(narrowed.type, 'float16');
    assert.deepEqual(narrowed.dims, [1, values.length]);
    assert.deepEqual(narrowed.data, f32ToF16(values));
    const nan = (await p.floatInput('float16', { data: Float32Array.of(NaN), dims: [1] })).data as Uint16Array;
    assert.ok(Number.isNaN(f16ToF32(nan)[0]), 'NaN stays NaN');
  } finally {
    await p.release();
  }
});
