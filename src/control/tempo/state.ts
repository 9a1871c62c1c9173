import type { TempoSource } from './tempo-clock.js';

/** GET /api/tempo: what the page shows. */
export interface TempoState {
  bpm: number;
  source: TempoSource;
  beatsPerBar: number;
  /** 0..1 through the beat and the bar, now. */
  beat: number;
  bar: number;
  /** How early quantised changes run (the engine's measured latency, capped). */
  lookaheadMs: number;
  /** Quantised changes waiting for their beat. */
  waiting: number;
  /** The modulated value of each target on the last frame. */
  modulation: Record<string, number>;
}
