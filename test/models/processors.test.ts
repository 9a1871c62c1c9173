import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Frame } from '../../src/io/frame.js';
import { OnnxImageProcessors } from '../../src/models/processors/image-processors.js';
import { sessionOptions } from '../../src/models/providers.js';
import type { TensorF32 } from '../../src/models/sd-models.js';
import { frameToImage, imageToFrame } from '../../src/pipelines/streamdiffusion/image.js';

/** The pixel processor graphs on real CPU sessions, against image.ts's JS functions (the reference). */
const [W, H] = [48, 32];
let processors: OnnxImageProcessors;
before(async () => {
  processors = await OnnxImageProcessors.create(sessionOptions('cpu'));
});
after(async () => {
  await processors.release();
});

/** Every byte value in every channel, alpha included, at varying positions. */
function allBytes(): Frame {
  const data = new Uint8Array(W * H * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 2) * 11) % 256;
  return { width: W, height: H, data, timestamp: 7 };
}

function image(values: (i: number) => number): TensorF32 {
  return { data: Float32Array.from({ length: 3 * W * H }, (_, i) => values(i)), dims: [1, 3, H, W] };
}

async function rgba(img: TensorF32): Promise<{ bytes: Uint8Array; finite: boolean }> {
  const bytes = new Uint8Array(W * H * 4);
  return { bytes, finite: await processors.toRgba(img, bytes) };
}

test('preprocess graph: every byte value gives exactly frameToImage\'s float32 value (RGB planes, alpha dropped)', async () => {
  const frame = allBytes();
  const values = new Set(frame.data);
  assert.equal(values.size, 256, 'the frame holds every byte value');
  const out = image(() => NaN);
  await processors.toImage(frame.data, out);
  assert.deepEqual(out.data, frameToImage(frame).data);
});

/** Bytes that differ from imageToFrame's; fails on any difference above 1. */
async function differingBytes(img: TensorF32): Promise<number> {
  const { bytes, finite } = await rgba(img);
  assert.equal(finite, true);
  const js = imageToFrame(img, 0).data;
  let differing = 0;
  for (let i = 0; i < js.length; i++) {
    assert.ok(Math.abs(bytes[i]! - js[i]!) <= 1, `byte ${i}: ${bytes[i]} vs ${js[i]}`);
    if (bytes[i] !== js[i]) differing++;
  }
  assert.ok(bytes.every((v, i) => i % 4 !== 3 || v === 255), 'alpha 255');
  return differing;
}

test('postprocess graph: RGBA within 1 LSB of imageToFrame (float32 vs float64 near .5), alpha 255, clamped', async () => {
  // A ramp commensurate with 1/255 lands near .5 often: float32 rounding may tip those by one.
  await differingBytes(image((i) => ((i % 613) / 612) * 2.6 - 1.3));
  let seed = 1;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2.4 - 1.2;
  const differing = await differingBytes(image(random));
  assert.ok(differing <= 2, `${differing} of ${W * H * 3} random values differ by 1`);
  const outOfRange = image((i) => (i % 2 ? 7 : -7));
  const { bytes } = await rgba(outOfRange);
  assert.deepEqual(bytes, imageToFrame(outOfRange, 0).data, 'out-of-range values clamp to 0 and 255');
  assert.equal(new Set(bytes).size, 2);
  // Round trip: a preprocessed frame comes back byte for byte (alpha aside).
  const frame = allBytes();
  const back = await rgba(frameToImage(frame));
  assert.deepEqual(back.bytes, imageToFrame(frameToImage(frame), 0).data);
  assert.ok(back.bytes.every((v, i) => v === (i % 4 === 3 ? 255 : frame.data[i])));
});

test('postprocess graph: rounds half to even like Uint8ClampedArray (127.5 -> 128, 126.5 -> 126)', async () => {
  // (x + 1) * 127.5 = k + 0.5 exactly for x = (2k + 1) / 255 - 1 where float32 represents it on the grid.
  const ties = [0, 126.5 / 127.5 - 1, 2.5 / 127.5 - 1];
  const { bytes } = await rgba(image((i) => ties[i % 3]!));
  const js = imageToFrame(image((i) => ties[i % 3]!), 0).data;
  assert.deepEqual(bytes.subarray(0, 12), js.subarray(0, 12));
  assert.equal(bytes[0], 128);
});

test('postprocess graph: the finite flag is false for a single NaN, +Inf or -Inf anywhere, true for huge finite values', async () => {
  for (const [bad, at] of [[NaN, 0], [Infinity, 3 * W * H - 1], [-Infinity, W * H + 5]] as const) {
    const { finite } = await rgba(image((i) => (i === at ? bad : 0.25)));
    assert.equal(finite, false, `${bad} at ${at}`);
  }
  assert.equal((await rgba(image((i) => (i % 2 ? 3e38 : -3e38)))).finite, true);
});
