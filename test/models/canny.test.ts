import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { HYSTERESIS_STEPS, CannyEdges } from '../../src/models/processors/canny.js';
import type { TensorF32 } from '../../src/models/sd-models.js';

/** The canny graph on the CPU provider, on images whose edges are known. */
const W = 48;
const H = 40;
let canny: CannyEdges;
before(async () => {
  canny = await CannyEdges.create({ executionProviders: ['cpu'] });
});
after(() => canny.release());

function image(grey: (x: number, y: number) => number): Uint8Array {
  const rgba = new Uint8Array(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgba.set([grey(x, y), grey(x, y), grey(x, y), 255], (y * W + x) * 4);
  return rgba;
}

async function edges(rgba: Uint8Array, low = 0.1, high = 0.2): Promise<TensorF32> {
  return canny.edges(rgba, { low, high }, { data: new Float32Array(3 * W * H), dims: [1, 3, H, W] });
}

/** The edge pixels of channel 0 as [x, y]; the three channels must agree and hold only 0 and 1. */
function pixels(t: TensorF32): [number, number][] {
  const plane = W * H;
  const out: [number, number][] = [];
  for (let p = 0; p < plane; p++) {
    const v = t.data[p]!;
    assert.ok(v === 0 || v === 1, `pixel ${p} is ${v}`);
    assert.ok(t.data[plane + p] === v && t.data[2 * plane + p] === v, `channels differ at ${p}`);
    if (v) out.push([p % W, Math.floor(p / W)]);
  }
  return out;
}

test('a vertical step edge gives one vertical line, one pixel wide, at the step, and nothing at the borders', async () => {
  const found = pixels(await edges(image((x) => (x >= 20 ? 230 : 20))));
  assert.equal(found.length, H, 'one edge pixel per row');
  assert.deepEqual([...new Set(found.map(([x]) => x))], [19], 'all in the last dark column, beside the step');
});

test('a horizontal step edge gives one horizontal line at the step', async () => {
  const found = pixels(await edges(image((_, y) => (y >= 15 ? 0 : 255))));
  assert.equal(found.length, W);
  assert.deepEqual([...new Set(found.map(([, y]) => y))], [14]);
});

test('a flat image and a step below the low threshold give no edges', async () => {
  assert.equal(pixels(await edges(image(() => 128))).length, 0);
  // A sharp step of d (0..1) has strength about 0.57 d after the blur: 10 levels give 0.02.
  assert.equal(pixels(await edges(image((x) => (x >= 20 ? 110 : 100)))).length, 0);
});

test('a step between the thresholds is no edge alone; joined to a strong one it continues for the hysteresis reach', async () => {
  const weak = (x: number) => (x >= 20 ? 160 : 100); // strength ~0.13: between low 0.1 and high 0.2
  assert.equal(pixels(await edges(image(weak))).length, 0, 'weak only: no edge starts');
  // One vertical step whose contrast fades from 200 to 60 levels over rows 10..15 (no junction to break the line).
  const contrast = (y: number) => (y < 10 ? 200 : y >= 16 ? 60 : 200 - ((y - 9) * 140) / 7);
  const fading = image((x, y) => Math.round(128 + ((x >= 20 ? 1 : -1) * contrast(y)) / 2));
  const rowsAt = async (low: number, high: number) => {
    const found = pixels(await edges(fading, low, high));
    assert.ok(found.every(([x]) => x === 19 || x === 20), 'on the step only');
    const rows = [...new Set(found.map(([, y]) => y))].sort((a, b) => a - b);
    assert.deepEqual(rows, rows.map((_, i) => i), 'one connected line from the top');
    return rows.length;
  };
  const strong = await rowsAt(0.2, 0.2);
  assert.ok(strong > 10 && strong < 16, `strong down to the fade: ${strong} rows`);
  assert.equal(await rowsAt(0.1, 0.1), H, 'above the low threshold all the way down');
  assert.equal(await rowsAt(0.1, 0.2), strong + HYSTERESIS_STEPS, 'the weak part joins for HYSTERESIS_STEPS rows');
});
