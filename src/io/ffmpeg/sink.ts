import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import type { Writable } from 'node:stream';
import type { Frame } from '../frame.js';
import { fitFrame } from '../resize.js';
import type { SpecTarget } from '../spec-target.js';
import { StatsCounter, type FrameSink, type TransportContext } from '../transport.js';
import { isImage, isUrl, outputArgs } from './args.js';
import { SupervisedFfmpeg } from './process.js';

/** out.mp4 -> out-N.mp4 (frames/%04d.png -> frames/%04d-N.png). */
export function segmentPath(path: string, n: number): string {
  const ext = extname(path);
  return `${path.slice(0, path.length - ext.length)}-${n}${ext}`;
}

/**
 * Frames encoded by a supervised ffmpeg (files, SRT/RTSP/UDP streams, v4l2loopback). ffmpeg starts on the
 * first frame, whose size fixes the stream's size; later frames of another size are fitted to it. write()
 * never waits: while ffmpeg's stdin is backed up or ffmpeg is restarting, frames are dropped and counted.
 */
export class FfmpegSink implements FrameSink {
  readonly retainsFrames = true;
  private ffmpeg: SupervisedFfmpeg | undefined;
  private stdin: Writable | undefined;
  private backedUp = false;
  private size: { width: number; height: number } | undefined;
  private readonly counter = new StatsCounter();
  private segment = 0;

  constructor(readonly spec: string, private readonly target: SpecTarget, private readonly ctx: TransportContext) {}

  /**
   * The file of the n-th start. A restarted recording goes on in out-1.mp4, out-2.mp4, ... instead of overwriting
   * what was recorded; a start that failed before creating its file keeps the name.
   */
  private pathFor(start: number): string {
    const path = this.target.path;
    const current = this.segment ? segmentPath(path, this.segment) : path;
    const live = isUrl(path) || path.startsWith('/dev/');
    if (start === 0 || live || (!isImage(path) && !existsSync(current))) return current;
    do this.segment++;
    while (existsSync(segmentPath(path, this.segment)));
    const next = segmentPath(path, this.segment);
    this.ctx.log.info({ io: this.spec, file: next }, 'ffmpeg restarted; the recording goes on in a new file');
    return next;
  }

  private start(width: number, height: number): void {
    this.size = { width, height };
    this.ffmpeg = new SupervisedFfmpeg({
      log: this.ctx.log,
      what: this.spec,
      args: (start) => outputArgs({ ...this.target, path: this.pathFor(start) }, width, height, this.ctx.fps),
      upWhen: 'alive',
      onStart: (child) => {
        this.stdin = child.stdin!;
        this.backedUp = false;
        this.counter.connected = true;
        child.stdin!.on('drain', () => (this.backedUp = false));
        child.once('exit', () => {
          this.stdin = undefined;
          this.counter.connected = false;
        });
      },
    });
    this.ffmpeg.start();
  }

  write(frame: Frame): void {
    if (!this.size) this.start(frame.width, frame.height);
    if (!this.stdin || this.backedUp) {
      this.counter.drops++;
      return;
    }
    const t0 = performance.now();
    const fitted = fitFrame(frame, this.size!.width, this.size!.height);
    this.backedUp = !this.stdin.write(fitted.data);
    this.counter.record(performance.now() - t0);
  }

  stats() {
    return this.counter.snapshot();
  }

  /** Closes ffmpeg's stdin and waits for it to finish the file or stream. */
  async close(): Promise<void> {
    await this.ffmpeg?.stop();
  }
}
