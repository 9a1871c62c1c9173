import type { TempoClock } from './tempo-clock.js';

/** MIDI real-time status bytes. */
export const MIDI_CLOCK = { tick: 0xf8, start: 0xfa, continue: 0xfb, stop: 0xfc } as const;
export const TICKS_PER_BEAT = 24;

/** Ticks the tempo is estimated over (two beats): long enough to average jitter out, short enough to follow a change. */
const WINDOW_TICKS = 2 * TICKS_PER_BEAT;
/** A gap this long between ticks means the clock stopped: the estimate starts over. */
const GAP_MS = 1000;
/** Ticks needed before the estimate is trusted (a quarter of a beat). */
const MIN_TICKS = 6;

/** Milliseconds per tick, by least squares over tick times (index i at time t_i): robust to per-tick jitter. */
function tickPeriod(times: readonly number[]): number {
  const n = times.length;
  const meanI = (n - 1) / 2;
  const meanT = times.reduce((s, t) => s + t, 0) / n;
  let cov = 0;
  let variance = 0;
  times.forEach((t, i) => {
    cov += (i - meanI) * (t - meanT);
    variance += (i - meanI) ** 2;
  });
  return cov / variance;
}

/**
 * Follows a MIDI clock master: 24 ticks per quarter note set the bpm (smoothed) and the beat position. Start
 * (0xFA) puts the next tick on beat 0 (bar start), Continue (0xFB) carries on counting, Stop (0xFC) leaves the
 * tempo free-running at the last bpm until ticks come again.
 */
export class MidiClockIn {
  private times: number[] = [];
  private ticks = 0;
  private startPending = false;
  /** Ticks received while following (for the metrics and tests). */
  received = 0;

  constructor(private readonly tempo: TempoClock) {}

  /** One real-time status byte at time t (ms). Returns whether it was a clock message. */
  handle(status: number, t: number): boolean {
    switch (status) {
      case MIDI_CLOCK.tick: this.tick(t); return true;
      case MIDI_CLOCK.start: this.startPending = true; return true;
      case MIDI_CLOCK.continue: this.startPending = false; return true;
      case MIDI_CLOCK.stop: this.times = []; return true;
      default: return false;
    }
  }

  /** The smoothed bpm, once enough ticks have come in; undefined before. */
  get bpm(): number | undefined {
    return this.times.length >= MIN_TICKS ? 60_000 / (tickPeriod(this.times) * TICKS_PER_BEAT) : undefined;
  }

  private tick(t: number): void {
    this.received++;
    if (this.times.length > 0 && t - this.times.at(-1)! > GAP_MS) this.times = [];
    if (this.startPending) {
      this.startPending = false;
      this.ticks = 0;
    }
    this.times.push(t);
    if (this.times.length > WINDOW_TICKS) this.times.shift();
    const bpm = this.bpm;
    if (bpm !== undefined) this.tempo.syncTo(t, this.ticks / TICKS_PER_BEAT, bpm, 'midi');
    this.ticks++;
  }
}
