import type { Logger } from '../log.js';
import type { Frame } from './frame.js';

export interface IoStats {
  frames: number;
  drops: number;
  errors: number;
  /** Mean time spent per frame inside the transport (read or write), ms. */
  msPerFrame: number;
  connected: boolean;
}

/** A place frames come from. Latest-frame-wins: the engine asks for the newest frame and stale ones are dropped. */
export interface FrameSource {
  readonly spec: string;
  /** The newest frame received, or undefined before the first. Never blocks. */
  latest(): Frame | undefined;
  stats(): IoStats;
  close(): Promise<void>;
}

/** A place frames go to. write() never blocks the engine: a busy sink drops and counts. */
export interface FrameSink {
  readonly spec: string;
  /**
   * True when write() may still read frame.data after it returns (an asynchronous write). The engine then never
   * recycles an output buffer; sinks that copy synchronously (shm, Spout, Syphon) leave it unset.
   */
  readonly retainsFrames?: boolean;
  /** A recording (file, image sequence, raw file): gets only fresh frames, never held repeats, and loses none. */
  readonly recording?: boolean;
  write(frame: Frame): void;
  stats(): IoStats;
  close(): Promise<void>;
}

export interface TransportContext {
  log: Logger;
  /** Frame size the pipeline wants; sources may use it as their natural size (test pattern, raw shm). */
  width: number;
  height: number;
  /** Output frame rate hint for generated sources, fps. */
  fps: number;
}

/** One backend (spout, shm, ffmpeg...): registered by scheme, opened from the part of the spec after "scheme:". */
export interface Transport {
  readonly scheme: string;
  readonly description: string;
  /** Example specs for --help and docs. */
  readonly examples: readonly string[];
  openSource?(target: string, ctx: TransportContext): Promise<FrameSource>;
  openSink?(target: string, ctx: TransportContext): Promise<FrameSink>;
}

/** Counts frames and time for a backend's stats(); every backend uses this rather than its own counters. */
export class StatsCounter {
  frames = 0;
  drops = 0;
  errors = 0;
  connected = true;
  private totalMs = 0;

  record(ms: number): void {
    this.frames++;
    this.totalMs += ms;
  }

  snapshot(): IoStats {
    return { frames: this.frames, drops: this.drops, errors: this.errors, connected: this.connected, msPerFrame: this.frames ? this.totalMs / this.frames : 0 };
  }
}
