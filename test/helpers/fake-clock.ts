import type { MorphClock } from '../../src/control/presets/morph.js';

/** A clock that moves only when the test advances it, running each repeating tick at its due times. */
export class FakeClock implements MorphClock {
  private time = 0;
  private readonly timers = new Set<{ ms: number; due: number; tick: () => void }>();

  now(): number {
    return this.time;
  }

  every(ms: number, tick: () => void): () => void {
    const timer = { ms, due: this.time + ms, tick };
    this.timers.add(timer);
    return () => this.timers.delete(timer);
  }

  /** Timers still running. */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.due - b.due)[0];
      if (!next || next.due > end) break;
      this.time = next.due;
      next.due += next.ms;
      next.tick();
    }
    this.time = end;
  }
}
