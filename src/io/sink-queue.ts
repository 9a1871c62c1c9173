import type { Writable } from 'node:stream';
import { rateLimited, type Logger } from '../log.js';
import type { StatsCounter } from './transport.js';

/** What a recording may hold in memory while its writer catches up (ffmpeg starting, a slow disk): ~500 frames of 512x512. */
export const RECORDING_QUEUE_BYTES = 512 * 1024 * 1024;
/** A live sink keeps this many frames waiting behind the one being written; older ones are dropped. */
const LIVE_WAITING_FRAMES = 1;

export interface SinkQueueOptions {
  spec: string;
  log: Logger;
  counter: StatsCounter;
  /** A recording keeps every frame it can hold; a live sink (a stream, a pipe) keeps the newest. */
  recording: boolean;
  maxBytes?: number;
}

/**
 * Frames on their way into a stream that takes them at its own pace (ffmpeg's stdin, a file, a pipe). push()
 * never waits: frames queue while the stream is backed up or not there yet (ffmpeg starting or restarting).
 * A recording loses a frame only when its queue is full: counted as a drop, with one warning and a reminder
 * every 10 s while it lasts. A live sink drops its oldest waiting frame instead, counted too.
 */
export class SinkQueue {
  private readonly waiting: Uint8Array[] = [];
  private waitingBytes = 0;
  private stream: Writable | undefined;
  private backedUp = false;
  private onIdle: (() => void)[] = [];
  private readonly warn;

  constructor(private readonly opts: SinkQueueOptions) {
    this.warn = rateLimited(opts.log, 10_000);
  }

  get queuedFrames(): number {
    return this.waiting.length;
  }

  push(data: Uint8Array): void {
    const { counter, recording, spec } = this.opts;
    if (recording && this.waitingBytes + data.length > (this.opts.maxBytes ?? RECORDING_QUEUE_BYTES)) {
      counter.drops++;
      this.warn(spec, 'the recording cannot keep up (encoder or disk too slow): frames are being lost', { io: spec, drops: counter.drops, queued: this.waiting.length });
      return;
    }
    while (!recording && this.waiting.length >= LIVE_WAITING_FRAMES) {
      this.waitingBytes -= this.waiting.shift()!.length;
      counter.drops++;
    }
    this.waiting.push(data);
    this.waitingBytes += data.length;
    this.pump();
  }

  /** The stream frames go into from now on (a fresh ffmpeg's stdin). */
  attach(stream: Writable): void {
    this.stream = stream;
    this.backedUp = false;
    stream.on('drain', () => {
      if (this.stream !== stream) return;
      this.backedUp = false;
      this.pump();
    });
    this.pump();
  }

  /** The stream is gone (ffmpeg exited, the pipe broke): frames wait for the next one. */
  detach(): void {
    this.stream = undefined;
    this.idle();
  }

  /**
   * A recording: resolves once every queued frame went into the stream, at once when there is no stream to take
   * them, or when the stream took nothing for `stallMs` (a wedged writer must not hold up a shutdown). A live
   * sink is not waited for (a paused viewer must not delay the end of the show).
   */
  async flushed(stallMs = 10_000): Promise<void> {
    if (!this.opts.recording || !this.stream || !this.waiting.length) return;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<void>((resolve) => this.onIdle.push(resolve));
    const stalled = new Promise<void>((resolve) => {
      let before = this.waiting.length;
      timer = setInterval(() => {
        if (this.waiting.length === before) resolve();
        before = this.waiting.length;
      }, stallMs);
    });
    await Promise.race([idle, stalled]);
    clearInterval(timer);
  }

  /** Forgets the frames still waiting, as drops; returns how many. */
  discard(): number {
    const lost = this.waiting.length;
    this.opts.counter.drops += lost;
    this.waiting.length = 0;
    this.waitingBytes = 0;
    return lost;
  }

  private pump(): void {
    const stream = this.stream;
    while (stream && !this.backedUp && this.waiting.length) {
      const data = this.waiting.shift()!;
      this.waitingBytes -= data.length;
      const t0 = performance.now();
      this.backedUp = !stream.write(data);
      this.opts.counter.record(performance.now() - t0);
    }
    if (!this.waiting.length) this.idle();
  }

  private idle(): void {
    const waiters = this.onIdle;
    this.onIdle = [];
    for (const resolve of waiters) resolve();
  }
}
