import type { Readable } from 'node:stream';
import { createFrame, type Frame } from '../frame.js';
import type { SpecTarget } from '../spec-target.js';
import { StatsCounter, type FrameSource, type TransportContext } from '../transport.js';
import { inputArgs } from './args.js';
import { SupervisedFfmpeg } from './process.js';

/**
 * A live input that delivered frames and then nothing for this long is restarted (a frozen stream, an unplugged
 * camera). Until its first frame an ffmpeg is connecting (waiting for a sender that may be gone for minutes) and is
 * left alone: killing it there would restart it just as the sender comes back.
 */
const STALL_MS = 5000;
/** Longest pause between two starts of a live input, so a returning camera or stream is picked up within ~1 s. */
const LIVE_MAX_DELAY_MS = 1000;

/**
 * Frames decoded by a supervised ffmpeg, already scaled to the pipeline's size. Raw RGBA arrives on a pipe in
 * chunks; each is copied once into the frame being filled, and a complete frame replaces the held one.
 */
export class FfmpegSource implements FrameSource {
  private held: Frame | undefined;
  private filling: Frame;
  private filled = 0;
  private lastFrameAt = performance.now();
  /** Frames have come from the running ffmpeg (it is past connecting). */
  private flowing = false;
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
      maxDelayMs: plan.live ? LIVE_MAX_DELAY_MS : undefined,
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
    this.flowing = false;
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
        this.flowing = true;
        this.counter.connected = true;
        this.counter.record(this.lastFrameAt - t0);
      }
    }
  }

  private checkStall(): void {
    if (this.flowing && this.ffmpeg.running && !this.ended && performance.now() - this.lastFrameAt > STALL_MS) {
      this.flowing = false;
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
