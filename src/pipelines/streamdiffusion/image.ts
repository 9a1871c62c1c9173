import type { Frame } from '../../io/frame.js';
import type { TensorF32 } from '../../models/sd-models.js';

/** RGBA8 frame -> [1, 3, H, W] in [-1, 1] (alpha dropped). */
export function frameToImage(frame: Frame): TensorF32 {
  const { width, height, data } = frame;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    for (let p = 0, q = c; p < plane; p++, q += 4) out[base + p] = data[q]! * (2 / 255) - 1;
  }
  return { data: out, dims: [1, 3, height, width] };
}

/**
 * [1, 3, H, W] in [-1, 1] -> RGBA8 frame: (x/2 + 0.5) clamped to [0, 1], x255 rounded, alpha 255.
 * Uint8ClampedArray clamps and rounds half to even, as numpy's round does in the reference.
 */
export function imageToFrame(image: TensorF32, timestamp: number): Frame {
  const [, , height, width] = image.dims as [number, number, number, number];
  const plane = width * height;
  const data = new Uint8Array(plane * 4).fill(255);
  const clamped = new Uint8ClampedArray(data.buffer);
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    for (let p = 0, q = c; p < plane; p++, q += 4) clamped[q] = (image.data[base + p]! + 1) * 127.5;
  }
  return { width, height, data, timestamp };
}
