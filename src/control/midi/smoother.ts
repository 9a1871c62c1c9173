const TICK_MS = 10;
const SETTLE = 1e-4;

/**
 * Slew for one target: the written value glides toward the latest target with a time constant, one write
 * per tick, and stops (exactly on target) once it has settled.
 */
export class Smoother {
  private value: number | undefined;
  private target = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;

  constructor(private readonly timeConstantMs: number, private readonly write: (value: number) => void) {}

  /** Moves toward `target`, starting from `from` when not already gliding. */
  set(target: number, from: number): void {
    this.target = target;
    if (this.timeConstantMs <= 0) return this.write(target);
    if (this.timer) return;
    this.value = from;
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const alpha = 1 - Math.exp(-(now - this.lastTick) / this.timeConstantMs);
    this.lastTick = now;
    this.value = this.value! + (this.target - this.value!) * alpha;
    if (Math.abs(this.target - this.value) < SETTLE) {
      this.value = this.target;
      this.stop();
    }
    this.write(this.value);
  }

  get active(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
