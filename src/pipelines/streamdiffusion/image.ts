import type { Frame } from '../../io/frame.js';
import type { TensorF32 } from '../../models/sd-models.js';

/** RGBA8 frame -> [1, 3, H, W] in [-1, 1] (alpha dropped). */
export function frameToImage(frame: Frame): TensorF32 {
  const { width, height, data } = frame;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = (data[p * 4 + c]! / 255) * 2 - 1;
  }
  return { data: out, dims: [1, 3, height, width] };
}

/** [1, 3, H, W] in [-1, 1] -> RGBA8 frame: (x/2 + 0.5) clamped to [0, 1], x255 rounded, alpha 255. */
export function imageToFrame(image: TensorF32, timestamp: number): Frame {
  const [, , height, width] = image.dims as [number, number, number, number];
  const plane = width * height;
  const data = new Uint8Array(plane * 4);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) data[p * 4 + c] = Math.round(Math.min(1, Math.max(0, image.data[c * plane + p]! / 2 + 0.5)) * 255);
    data[p * 4 + 3] = 255;
  }
  return { width, height, data, timestamp };
}
