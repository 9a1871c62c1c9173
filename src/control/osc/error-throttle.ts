/** Keys remembered at most; beyond it the oldest go (an unknown-address flood must not grow memory). */
const MAX_KEYS = 1024;

/**
 * At most one pass per key and interval: `take(key)` is the number of calls it swallowed since the last pass
 * (0 for the first), or undefined while the key is inside its interval.
 */
export class Throttle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  take(key: string): number | undefined {
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return undefined;
    }
    this.last.delete(key);
    if (this.last.size >= MAX_KEYS) this.last.delete(this.last.keys().next().value!);
    this.last.set(key, { at: now, suppressed: 0 });
    return seen?.suppressed ?? 0;
  }
}
