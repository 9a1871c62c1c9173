import { ControlError } from '../space/values.js';
import type { Clock } from '../../util/clock.js';
import type { BeatUnit, TempoClock } from './tempo-clock.js';

/** Changes waiting for their beat at most: a flood of quantised messages is refused beyond this, not queued. */
export const MAX_WAITING = 1024;
/** The lookahead is the engine's measured latency, but never more than this (a stalled engine reports seconds). */
export const MAX_LOOKAHEAD_MS = 1000;

/**
 * Runs changes on the next beat or bar, early by the lookahead (the engine's input-to-output latency), so the
 * frame that shows the change comes out on the beat.
 */
export class BeatScheduler {
  private readonly waiting = new Set<unknown>();

  constructor(private readonly tempo: TempoClock, private readonly clock: Clock, private readonly lookaheadMs: () => number, private readonly onError: (e: unknown) => void) {}

  /** The lookahead used now, ms (0..MAX_LOOKAHEAD_MS). */
  get lookahead(): number {
    const ms = this.lookaheadMs();
    return Number.isFinite(ms) ? Math.min(MAX_LOOKAHEAD_MS, Math.max(0, ms)) : 0;
  }

  /** When `scheduleAtBeat(…, unit)` would run now: the next boundary, less the lookahead. */
  runTime(unit: BeatUnit): number {
    const lead = this.lookahead;
    return this.tempo.nextBoundary(unit, lead) - lead;
  }

  /** Runs `run` at the next beat or bar boundary less the lookahead; returns a function that cancels it. */
  scheduleAtBeat(run: () => void, unit: BeatUnit): () => void {
    if (this.waiting.size >= MAX_WAITING) throw new ControlError('rejected', `${MAX_WAITING} quantised changes are already waiting for their beat`);
    const handle = this.clock.setTimeout(() => {
      this.waiting.delete(handle);
      try {
        run();
      } catch (e) {
        this.onError(e);
      }
    }, this.runTime(unit) - this.clock.now());
    this.waiting.add(handle);
    return () => {
      this.clock.clearTimeout(handle);
      this.waiting.delete(handle);
    };
  }

  get pending(): number {
    return this.waiting.size;
  }

  close(): void {
    for (const handle of this.waiting) this.clock.clearTimeout(handle);
    this.waiting.clear();
  }
}
