import type { Frame } from '../frame.js';
import { firstSegment, freeSegment, recordingExists, segmentPath } from '../recording-path.js';
import { fitFrame } from '../resize.js';
import { SinkQueue } from '../sink-queue.js';
import { flagOption, type SpecTarget } from '../spec-target.js';
import { StatsCounter, type FrameSink, type TransportContext } from '../transport.js';
import { isRecording, outputArgs } from './args.js';
import { SupervisedFfmpeg } from './process.js';

/**
 * Frames encoded by a supervised ffmpeg (files, SRT/RTSP/UDP streams, v4l2loopback). ffmpeg starts on the
 * first frame, whose size fixes the stream's size; later frames of another size are fitted to it. write()
 * never waits: frames queue while ffmpeg starts, restarts or is busy. A recording (a file, an image sequence)
 * keeps them all; a live stream keeps the newest and counts the others as drops.
 */
export class FfmpegSink implements FrameSink {
  readonly retainsFrames = true;
  readonly recording: boolean;
  private ffmpeg: SupervisedFfmpeg | undefined;
  private size: { width: number; height: number } | undefined;
  private readonly counter = new StatsCounter();
  private readonly queue: SinkQueue;
  private segment = 0;

  constructor(readonly spec: string, private readonly target: SpecTarget, private readonly ctx: TransportContext) {
    this.recording = isRecording(target.path);
    this.queue = new SinkQueue({ spec, log: ctx.log, counter: this.counter, recording: this.recording });
    if (this.recording) this.segment = firstSegment(spec, target.path, flagOption(target, 'overwrite'), ctx.log);
  }

  /**
   * The file of the n-th start. A restarted recording goes on in out-1.mp4, out-2.mp4, ... instead of overwriting
   * what was recorded; a start that failed before creating its file keeps the name.
   */
  private pathFor(start: number): string {
    const path = this.target.path;
    const current = segmentPath(path, this.segment);
    if (start === 0 || !this.recording || !recordingExists(current)) return current;
    this.segment = freeSegment(path, this.segment + 1);
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
        this.counter.connected = true;
        this.queue.attach(child.stdin!);
        child.once('exit', () => {
          this.queue.detach();
          this.counter.connected = false;
        });
      },
    });
    this.ffmpeg.start();
  }

  write(frame: Frame): void {
    if (!this.size) this.start(frame.width, frame.height);
    this.queue.push(fitFrame(frame, this.size!.width, this.size!.height).data);
  }

  stats() {
    return this.counter.snapshot();
  }

  /** Hands ffmpeg every queued frame, then closes its stdin and waits for it to finish the file or stream. */
  async close(): Promise<void> {
    await this.queue.flushed();
    const lost = this.queue.discard();
    if (lost && this.recording) this.ctx.log.warn({ io: this.spec, lost }, 'the recording closed with frames ffmpeg never took (it was down or stuck): they are lost');
    await this.ffmpeg?.stop();
  }
}
