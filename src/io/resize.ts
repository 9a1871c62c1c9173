import { createFrame, type Frame } from './frame.js';

interface Taps {
  /** Byte offsets (pixel index * 4) of the two neighbours and the weight of the second. */
  i0: Int32Array;
  i1: Int32Array;
  w: Float32Array;
}

/** Bilinear taps along one axis, sampling pixel centres: out pixel k covers source [k*s, (k+1)*s). */
function taps(srcLen: number, outLen: number, stride: number): Taps {
  const t = { i0: new Int32Array(outLen), i1: new Int32Array(outLen), w: new Float32Array(outLen) };
  const s = srcLen / outLen;
  for (let k = 0; k < outLen; k++) {
    const f = Math.min(srcLen - 1, Math.max(0, (k + 0.5) * s - 0.5));
    const i = Math.floor(f);
    t.i0[k] = i * stride;
    t.i1[k] = Math.min(srcLen - 1, i + 1) * stride;
    t.w[k] = f - i;
  }
  return t;
}

/**
 * Scales a frame to exactly width x height, keeping its aspect ratio: the image is fitted inside and the
 * rest is black (letterbox/pillarbox). Bilinear. This is the one place frames change size; a frame that
 * already has the size is returned as it is, without a copy.
 */
export function fitFrame(src: Frame, width: number, height: number): Frame {
  if (src.width === width && src.height === height) return src;
  const out = createFrame(width, height, src.timestamp);
  const scale = Math.min(width / src.width, height / src.height);
  const w = Math.max(1, Math.round(src.width * scale));
  const h = Math.max(1, Math.round(src.height * scale));
  const ox = Math.floor((width - w) / 2);
  const oy = Math.floor((height - h) / 2);
  const o = out.data;
  const d = src.data;
  for (let i = 3; i < o.length; i += 4) o[i] = 255;
  const xs = taps(src.width, w, 4);
  const ys = taps(src.height, h, src.width * 4);
  // Fixed-point weights (0..256): integer math, one pass per output pixel, channels unrolled.
  const wxs = Int32Array.from(xs.w, (v) => Math.round(v * 256));
  for (let y = 0; y < h; y++) {
    const r0 = ys.i0[y]!;
    const r1 = ys.i1[y]!;
    const wy = Math.round(ys.w[y]! * 256);
    const wy0 = 256 - wy;
    let p = ((y + oy) * width + ox) * 4;
    for (let x = 0; x < w; x++, p += 4) {
      const x0 = xs.i0[x]!;
      const x1 = xs.i1[x]!;
      const wx = wxs[x]!;
      const wx0 = 256 - wx;
      const a = r0 + x0;
      const b = r0 + x1;
      const c = r1 + x0;
      const e = r1 + x1;
      o[p] = ((d[a]! * wx0 + d[b]! * wx) * wy0 + (d[c]! * wx0 + d[e]! * wx) * wy + 32768) >> 16;
      o[p + 1] = ((d[a + 1]! * wx0 + d[b + 1]! * wx) * wy0 + (d[c + 1]! * wx0 + d[e + 1]! * wx) * wy + 32768) >> 16;
      o[p + 2] = ((d[a + 2]! * wx0 + d[b + 2]! * wx) * wy0 + (d[c + 2]! * wx0 + d[e + 2]! * wx) * wy + 32768) >> 16;
      o[p + 3] = ((d[a + 3]! * wx0 + d[b + 3]! * wx) * wy0 + (d[c + 3]! * wx0 + d[e + 3]! * wx) * wy + 32768) >> 16;
    }
  }
  return out;
}
