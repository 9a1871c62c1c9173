import type { Clock } from '../../util/clock.js';
import { ControlError } from '../space/values.js';

/** A bundle tagged further ahead than this is refused: a wrong clock must not park messages for hours. */
export const MAX_AHEAD_MS = 10_000;
/** Messages waiting for their time at most; more are refused. */
export const MAX_QUEUED = 4096;

interface Waiting {
  at: number;
  run: () => void;
}

/**
 * OSC bundles with a time tag in the future: each message runs at its time (wall clock, ms since 1970), in
 * time order and, at equal times, in arrival order. Past and "immediately" tags run at once (the caller's job).
 */
export class TimeTagQueue {
  private queue: Waiting[] = [];
  private timer: unknown;
  private timerAt = Infinity;

  constructor(private readonly clock: Clock, private readonly onError: (e: unknown) => void) {}

  get size(): number {
    return this.queue.length;
  }

  /** How far ahead of now a tag is, ms (<= 0: due). */
  ahead(at: number): number {
    return at - this.clock.now();
  }

  /** Refuses tags more than MAX_AHEAD_MS ahead and a full queue, before anything of the packet is queued. */
  check(ats: readonly number[]): void {
    const furthest = Math.max(...ats.map((at) => this.ahead(at)));
    if (furthest > MAX_AHEAD_MS) {
      throw new ControlError('out_of_range', `bundle time tag is ${(furthest / 1000).toFixed(1)} s ahead, over the ${MAX_AHEAD_MS / 1000} s limit: refused (is the sender's clock right?)`);
    }
    if (this.queue.length + ats.length > MAX_QUEUED) throw new ControlError('rejected', `${MAX_QUEUED} time-tagged messages are already waiting`);
  }

  add(at: number, run: () => void): void {
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.at > at) i--;
    this.queue.splice(i, 0, { at, run });
    this.arm();
  }

  private arm(): void {
    const first = this.queue[0];
    if (!first || first.at >= this.timerAt) return;
    this.clock.clearTimeout(this.timer);
    this.timerAt = first.at;
    this.timer = this.clock.setTimeout(() => this.due(), this.ahead(first.at));
  }

  private due(): void {
    this.timerAt = Infinity;
    const now = this.clock.now();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) {
      try {
        this.queue.shift()!.run();
      } catch (e) {
        this.onError(e);
      }
    }
    this.arm();
  }

  close(): void {
    this.clock.clearTimeout(this.timer);
    this.timerAt = Infinity;
    this.queue = [];
  }
}
