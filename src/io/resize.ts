import { createFrame, type Frame } from './frame.js';

/**
 * Scales a frame to exactly width x height, keeping its aspect ratio: the image is fitted inside and the
 * rest is black (letterbox/pillarbox). Bilinear. This is the one place frames change size.
 */
export function fitFrame(src: Frame, width: number, height: number): Frame {
  if (src.width === width && src.height === height) return src;
  const out = createFrame(width, height, src.timestamp);
  const scale = Math.min(width / src.width, height / src.height);
  const w = Math.max(1, Math.round(src.width * scale));
  const h = Math.max(1, Math.round(src.height * scale));
  const ox = Math.floor((width - w) / 2);
  const oy = Math.floor((height - h) / 2);
  for (let i = 3; i < out.data.length; i += 4) out.data[i] = 255;
  const sx = src.width / w;
  const sy = src.height / h;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(src.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(src.height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(src.width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(src.width - 1, x0 + 1);
      const wx = fx - x0;
      const o = ((y + oy) * width + (x + ox)) * 4;
      for (let c = 0; c < 4; c++) {
        const a = src.data[(y0 * src.width + x0) * 4 + c]! * (1 - wx) + src.data[(y0 * src.width + x1) * 4 + c]! * wx;
        const b = src.data[(y1 * src.width + x0) * 4 + c]! * (1 - wx) + src.data[(y1 * src.width + x1) * 4 + c]! * wx;
        out.data[o + c] = Math.round(a * (1 - wy) + b * wy);
      }
    }
  }
  return out;
}
