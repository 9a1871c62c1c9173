import type { Frame } from '../io/frame.js';

/** Nearest-neighbour reduction so the longer side is at most `maxSide` px: cheap enough for the main thread. */
export function downscale(frame: Frame, maxSide = 256): Frame {
  const scale = Math.min(1, maxSide / Math.max(frame.width, frame.height));
  const width = Math.max(1, Math.round(frame.width * scale));
  const height = Math.max(1, Math.round(frame.height * scale));
  if (width === frame.width && height === frame.height) return frame;
  const src = new Uint32Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength >> 2);
  const out = new Uint32Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(((y + 0.5) * frame.height) / height) * frame.width;
    for (let x = 0; x < width; x++) out[y * width + x] = src[row + Math.floor(((x + 0.5) * frame.width) / width)]!;
  }
  return { width, height, timestamp: frame.timestamp, data: new Uint8Array(out.buffer) };
}
