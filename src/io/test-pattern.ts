import { SdliveError } from '../errors.js';
import { createFrame, type Frame } from './frame.js';
import { StatsCounter, type FrameSource, type Transport, type TransportContext } from './transport.js';

const BAR_COLORS: readonly (readonly [number, number, number])[] = [
  [192, 192, 192], [192, 192, 0], [0, 192, 192], [0, 192, 0], [192, 0, 192], [192, 0, 0], [0, 0, 192],
];

// 3x5 bitmaps for 0-9 and ':', one row per 3 bits.
const GLYPHS: Record<string, readonly number[]> = {
  '0': [7, 5, 5, 5, 7], '1': [2, 6, 2, 2, 7], '2': [7, 1, 7, 4, 7], '3': [7, 1, 7, 1, 7], '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7], '6': [7, 4, 7, 5, 7], '7': [7, 1, 1, 1, 1], '8': [7, 5, 7, 5, 7], '9': [7, 5, 7, 1, 7], ':': [0, 2, 0, 2, 0],
};

function fillRect(f: Frame, x0: number, y0: number, w: number, h: number, rgb: readonly number[]): void {
  for (let y = Math.max(0, y0); y < Math.min(f.height, y0 + h); y++) {
    for (let x = Math.max(0, x0); x < Math.min(f.width, x0 + w); x++) {
      const i = (y * f.width + x) * 4;
      f.data[i] = rgb[0]!;
      f.data[i + 1] = rgb[1]!;
      f.data[i + 2] = rgb[2]!;
      f.data[i + 3] = 255;
    }
  }
}

function drawText(f: Frame, text: string, x: number, y: number, scale: number): void {
  [...text].forEach((ch, n) => {
    (GLYPHS[ch] ?? [0, 0, 0, 0, 0]).forEach((bits, row) => {
      for (let col = 0; col < 3; col++) {
        if (bits & (4 >> col)) fillRect(f, x + (n * 4 + col) * scale, y + row * scale, scale, scale, [255, 255, 255]);
      }
    });
  });
}

/**
 * Colour bars scrolling one bar-width every 2 s, a moving white sweep line, the frame counter and an
 * mm:ss clock: enough motion to show the diffusion reacting, and enough structure to check pixels.
 */
export function renderTestPattern(width: number, height: number, index: number, fps: number): Frame {
  const f = createFrame(width, height);
  const barW = Math.ceil(width / BAR_COLORS.length);
  const shift = Math.floor((index * barW) / (2 * fps)) % width;
  for (let x = 0; x < width; x++) {
    const color = BAR_COLORS[Math.floor(((x + shift) % width) / barW)]!;
    fillRect(f, x, 0, 1, height, color);
  }
  fillRect(f, 0, (index * 4) % height, width, 2, [255, 255, 255]);
  const scale = Math.max(2, Math.floor(height / 64));
  const seconds = Math.floor(index / fps);
  const clock = `${String(Math.floor(seconds / 60) % 100).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  fillRect(f, 0, height - 7 * scale, width, 7 * scale, [16, 16, 16]);
  drawText(f, String(index), scale, height - 6 * scale, scale);
  drawText(f, clock, width - 21 * scale, height - 6 * scale, scale);
  return f;
}

class TestPatternSource implements FrameSource {
  private frame: Frame | undefined;
  private index = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly counter = new StatsCounter();

  constructor(readonly spec: string, private readonly ctx: TransportContext) {
    this.tick();
    this.timer = setInterval(() => this.tick(), 1000 / ctx.fps);
  }

  private tick(): void {
    const t0 = performance.now();
    this.frame = renderTestPattern(this.ctx.width, this.ctx.height, this.index++, this.ctx.fps);
    this.counter.record(performance.now() - t0);
  }

  latest(): Frame | undefined {
    return this.frame;
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}

export const testPatternTransport: Transport = {
  scheme: 'test',
  description: 'Generated test pattern: moving colour bars, sweep line, frame counter and clock.',
  examples: ['test:bars'],
  async openSource(target, ctx) {
    if (target !== 'bars' && target !== '') throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `test:${target}: unknown test pattern (available: bars)`, 'input');
    return new TestPatternSource(`test:${target || 'bars'}`, ctx);
  },
};
