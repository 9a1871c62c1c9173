/** Frames per second over the last `windowMs`: falls to 0 when frames stop (an average would not). */
export class FpsMeter {
  private readonly times: number[] = [];

  constructor(private readonly windowMs = 2000, private readonly maxSamples = 240) {}

  tick(now: number): void {
    this.times.push(now);
    if (this.times.length > this.maxSamples) this.times.shift();
  }

  fps(now: number): number {
    const recent = this.times.filter((t) => now - t <= this.windowMs);
    if (recent.length < 2) return 0;
    return (recent.length - 1) / ((recent.at(-1)! - recent[0]!) / 1000);
  }
}
