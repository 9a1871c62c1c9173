import { EventEmitter } from 'node:events';
import type { Clock } from '../../util/clock.js';

export const BPM_RANGE = { min: 20, max: 999 } as const;

/** Where the tempo came from last. */
export type TempoSource = 'default' | 'tap' | 'osc' | 'midi' | 'http' | 'cli';

export type BeatUnit = 'beat' | 'bar';

const frac = (x: number) => x - Math.floor(x);

/**
 * The show's tempo: beats counted from an anchor (a time and the beat position there) at a bpm, so the position
 * stays continuous when the bpm changes. Sources (MIDI clock, OSC, tap) re-anchor it; everything else reads it.
 */
export class TempoClock extends EventEmitter<{ change: [] }> {
  private bpmNow = 120;
  private anchor: { at: number; beat: number };
  source: TempoSource = 'default';

  constructor(private readonly clock: Clock, public beatsPerBar = 4) {
    super();
    this.anchor = { at: clock.now(), beat: 0 };
  }

  get bpm(): number {
    return this.bpmNow;
  }

  /** Beats since the start (fractional) at time t. */
  position(t = this.clock.now()): number {
    return this.anchor.beat + ((t - this.anchor.at) * this.bpmNow) / 60_000;
  }

  /** When the beat position is `beat` at the current tempo. */
  timeAt(beat: number): number {
    return this.anchor.at + ((beat - this.anchor.beat) * 60_000) / this.bpmNow;
  }

  /** 0..1 through the current beat. */
  beatPhase(t = this.clock.now()): number {
    return frac(this.position(t));
  }

  /** 0..1 through the current bar. */
  barPhase(t = this.clock.now()): number {
    return frac(this.position(t) / this.beatsPerBar);
  }

  /** Milliseconds per beat. */
  get beatMs(): number {
    return 60_000 / this.bpmNow;
  }

  /** A new tempo from now on; the beat position carries on from where it is. */
  setBpm(bpm: number, source: TempoSource, t = this.clock.now()): void {
    this.syncTo(t, this.position(t), bpm, source);
  }

  /** Beat position `beat` at time t, at `bpm` from there (MIDI clock ticks, taps). */
  syncTo(t: number, beat: number, bpm: number, source: TempoSource): void {
    this.anchor = { at: t, beat };
    this.bpmNow = Math.min(BPM_RANGE.max, Math.max(BPM_RANGE.min, bpm));
    this.source = source;
    this.emit('change');
  }

  /**
   * The time of the first beat (or bar) boundary that is more than `leadMs` away: a change scheduled for
   * `boundary - leadMs` then still happens in the future.
   */
  nextBoundary(unit: BeatUnit, leadMs = 0, t = this.clock.now()): number {
    const size = unit === 'bar' ? this.beatsPerBar : 1;
    const ahead = this.position(t + leadMs);
    return this.timeAt((Math.floor(ahead / size + 1e-9) + 1) * size);
  }
}
