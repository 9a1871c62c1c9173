import type { Readable } from 'node:stream';
import { createFrame, type Frame } from '../frame.js';
import type { SpecTarget } from '../spec-target.js';
import { StatsCounter, type FrameSource, type TransportContext } from '../transport.js';
import { inputArgs } from './args.js';
import { SupervisedFfmpeg } from './process.js';

/** A live input that delivers nothing for this long is restarted (a frozen stream, an unplugged camera). */
const STALL_MS = 5000;

/**
 * Frames decoded by a supervised ffmpeg, already scaled to the pipeline's size. Raw RGBA arrives on a pipe in
 * chunks; each is copied once into the frame being filled, and a complete frame replaces the held one.
 */
export class FfmpegSource implements FrameSource {
  private held: Frame | undefined;
  private filling: Frame;
  private filled = 0;
  private lastFrameAt = performance.now();
  private readonly counter = new StatsCounter();
  private readonly ffmpeg: SupervisedFfmpeg;
  private readonly watchdog: NodeJS.Timeout;
  ended = false;

  constructor(readonly spec: string, target: SpecTarget, private readonly ctx: TransportContext) {
    this.filling = createFrame(ctx.width, ctx.height);
    const plan = inputArgs(target, ctx.width, ctx.height, ctx.fps);
    this.counter.connected = false;
    this.ffmpeg = new SupervisedFfmpeg({
      log: ctx.log,
      what: spec,
      args: () => plan.args,
      upWhen: 'output',
      endsByItself: plan.endsByItself,
      onStart: (child) => this.attach(child.stdout!),
      onEnd: () => {
        this.ended = true;
        this.counter.connected = false;
        ctx.log.info({ io: spec }, 'input ended; holding the last frame');
      },
    });
    this.watchdog = setInterval(() => this.checkStall(), 1000);
    this.watchdog.unref();
    this.ffmpeg.start();
  }

  private attach(out: Readable): void {
    this.filled = 0;
    this.lastFrameAt = performance.now();
    out.on('data', (chunk: Buffer) => this.take(chunk));
  }

  private take(chunk: Buffer): void {
    const t0 = performance.now();
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.filling.data.length - this.filled);
      this.filling.data.set(chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.filling.data.length) {
        this.held = { ...this.filling, timestamp: performance.now() };
        this.filling = createFrame(this.ctx.width, this.ctx.height);
        this.filled = 0;
        this.lastFrameAt = this.held.timestamp;
        this.counter.connected = true;
        this.counter.record(this.lastFrameAt - t0);
      }
    }
  }

  private checkStall(): void {
    if (this.ffmpeg.running && !this.ended && performance.now() - this.lastFrameAt > STALL_MS) {
      this.counter.connected = false;
      this.ffmpeg.restart(`no frame for ${STALL_MS} ms`);
    }
  }

  latest(): Frame | undefined {
    return this.held;
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    await this.ffmpeg.stop(0);
  }
}
