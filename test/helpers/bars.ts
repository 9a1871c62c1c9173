import { createFrame, type Frame } from '../../src/io/frame.js';

/**
 * A square test frame of moving colour bars: frame k shifts them 8 px right, so consecutive frames differ; the
 * blue channel falls by one level every 2^rowShift pixels down the frame.
 */
export function barsFrame(size: number, k: number, rowShift = 10): Frame {
  const f = createFrame(size, size, k);
  for (let p = 0; p < size * size; p++) {
    const x = (p % size) + 8 * k;
    f.data.set([(x * 3) % 256, (x >> 2) % 256, 255 - ((p >> rowShift) % 256), 255], p * 4);
  }
  return f;
}
