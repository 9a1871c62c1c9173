import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { FEEDBACK_OPSET, feedbackGraph, type FeedbackBorder } from '../../src/models/processors/feedback-graph.js';
import { FEEDBACK_SAFE, feedbackGains, feedbackTheta, type FeedbackSettings } from '../../src/pipelines/streamdiffusion/feedback.js';

const STILL: Omit<FeedbackSettings, 'amount' | 'decay' | 'safe'> = { zoom: 1, panX: 0, panY: 0, rotate: 0 };

/** An RGBA picture whose every pixel is distinct: r = x*16 + y, g = 255 - r, b = (x + y) % 256. */
function picture(width: number, height: number, offset = 0): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = (x * 16 + y + offset) % 256;
      data.set([r, 255 - r, (x + y) % 256, 255], (y * width + x) * 4);
    }
  }
  return data;
}

const pixel = (data: Uint8Array, width: number, x: number, y: number) => Array.from(data.subarray((y * width + x) * 4, (y * width + x) * 4 + 4));

describe('the image feedback graph', () => {
  const sessions = new Map<FeedbackBorder, ort.InferenceSession>();
  before(async () => {
    for (const border of ['zeros', 'border'] as const) sessions.set(border, await ort.InferenceSession.create(feedbackGraph(border).toBytes(FEEDBACK_OPSET)));
  });

  async function mix(border: FeedbackBorder, frame: Uint8Array, previous: Uint8Array, width: number, height: number, s: FeedbackSettings): Promise<Uint8Array> {
    const gains = feedbackGains(s);
    const rgba = (d: Uint8Array) => new ort.Tensor('uint8', d, [1, height, width, 4]);
    const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
    const out = await sessions.get(border)!.run({
      frame: rgba(frame), previous: rgba(previous), theta: new ort.Tensor('float32', feedbackTheta(s, width, height), [1, 2, 3]),
      input_gain: scalar(gains.input), feedback_gain: scalar(gains.feedback), offset: scalar(gains.offset),
    });
    return out.mixed!.data as Uint8Array;
  }

  it('amount 0 is the input exactly; amount 1 with nothing moved is the previous frame exactly', async () => {
    const [frame, previous] = [picture(8, 6), picture(8, 6, 100)];
    assert.deepEqual(await mix('border', frame, previous, 8, 6, { ...STILL, amount: 0, decay: 1, safe: false }), frame);
    assert.deepEqual(await mix('border', frame, previous, 8, 6, { ...STILL, amount: 1, decay: 1, safe: false }), previous);
  });

  it('mixes (1 - amount) * input + amount * decay * previous, rounded half to even', async () => {
    const frame = new Uint8Array(4 * 4 * 4).fill(100);
    const previous = new Uint8Array(4 * 4 * 4).fill(201);
    const out = await mix('border', frame, previous, 4, 4, { ...STILL, amount: 0.5, decay: 1, safe: false });
    assert.deepEqual(pixel(out, 4, 2, 1), [150, 150, 150, 255]); // 50 + 100.5 = 150.5 -> 150 (even)
    const faded = await mix('border', frame, previous, 4, 4, { ...STILL, amount: 0.5, decay: 0.5, safe: false });
    assert.deepEqual(pixel(faded, 4, 0, 0), [100, 100, 100, 255]); // 50 + 50.25
  });

  it('pan moves the fed-back picture by whole pixels exactly (+x right, +y down)', async () => {
    const previous = picture(8, 6);
    const out = await mix('border', new Uint8Array(8 * 6 * 4), previous, 8, 6, { ...STILL, panX: 2 / 8, panY: 1 / 6, amount: 1, decay: 1, safe: false });
    for (let y = 1; y < 6; y++) for (let x = 2; x < 8; x++) assert.deepEqual(pixel(out, 8, x, y), pixel(previous, 8, x - 2, y - 1), `pixel ${x},${y}`);
    // 'border' repeats the edge into the uncovered strip.
    assert.deepEqual(pixel(out, 8, 0, 3), pixel(previous, 8, 0, 2));
  });

  it('rotate 90 turns a square picture clockwise: out[y][x] = previous[N-1-x][y]', async () => {
    const n = 6;
    const previous = picture(n, n);
    const out = await mix('zeros', new Uint8Array(n * n * 4), previous, n, n, { ...STILL, rotate: 90, amount: 1, decay: 1, safe: false });
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) assert.deepEqual(pixel(out, n, x, y), pixel(previous, n, y, n - 1 - x), `pixel ${x},${y}`);
  });

  it('zoom 0.5 with zeros shrinks the picture into the middle: the corners go black, the centre keeps the picture', async () => {
    const previous = new Uint8Array(8 * 8 * 4).fill(200);
    const out = await mix('zeros', new Uint8Array(8 * 8 * 4), previous, 8, 8, { ...STILL, zoom: 0.5, amount: 1, decay: 1, safe: false });
    assert.deepEqual(pixel(out, 8, 0, 0), [0, 0, 0, 255]);
    assert.deepEqual(pixel(out, 8, 7, 7), [0, 0, 0, 255]);
    assert.deepEqual(pixel(out, 8, 3, 4), [200, 200, 200, 255]);
  });

  it('feedback safe caps the loop gain: the input keeps 10%, and a frame fed back forever dies out', async () => {
    const gains = feedbackGains({ amount: 1, decay: 1, safe: true });
    assert.equal(gains.input, 1 - FEEDBACK_SAFE.amount);
    assert.ok(gains.feedback < 0.9);
    // A white flash followed by black input: 40 passes through the loop leave nothing of it (without the half-level
    // offset 8-bit rounding holds it at 3: round(3 * 0.873) = 3).
    let out: Uint8Array = new Uint8Array(4 * 4 * 4).fill(255);
    for (let pass = 0; pass < 40; pass++) out = await mix('border', new Uint8Array(4 * 4 * 4), out, 4, 4, { ...STILL, amount: 1, decay: 1, safe: true });
    assert.deepEqual(pixel(out, 4, 1, 1), [0, 0, 0, 255]);
  });
});
