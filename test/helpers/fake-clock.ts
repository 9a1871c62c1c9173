import type { Clock } from '../../src/util/clock.js';

/** A clock that moves only when told to: timers fire in time order as advance() passes them. */
export class FakeClock implements Clock {
  private timers: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;

  constructor(private t = 0) {}

  now(): number {
    return this.t;
  }

  setTimeout(run: () => void, ms: number): unknown {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, run };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((x) => x !== handle);
  }

  /** Moves to `to`, firing every timer due on the way at its own time. */
  advanceTo(to: number): void {
    for (;;) {
      const next = this.timers.filter((x) => x.at <= to).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = next.at;
      next.run();
    }
    this.t = to;
  }

  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  get pending(): number {
    return this.timers.length;
  }
}
