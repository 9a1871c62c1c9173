export type TakeoverMode = 'jump' | 'pickup' | 'scale';

/** Within this distance (control travel 0..1) a control counts as having caught the value. */
const CATCH = 0.02;

/**
 * What a physical control does when it disagrees with the value (after a preset, another controller, OSC):
 * jump follows at once; pickup ignores the control until it crosses the value; scale moves the value
 * proportionally toward the end the control is heading for, so both meet at the end of travel.
 */
export class Takeover {
  private last: number | undefined;
  private engaged = false;

  constructor(private readonly mode: TakeoverMode) {}

  /** The control moved to `position`; `current` is where the value is, in control travel. Returns the new value or undefined. */
  move(position: number, current: number): number | undefined {
    const last = this.last;
    this.last = position;
    if (this.mode === 'jump') return position;
    if (!this.engaged) {
      const crossed = last !== undefined && (last - current) * (position - current) <= 0;
      this.engaged = Math.abs(position - current) <= CATCH || crossed;
    }
    if (this.engaged) return position;
    if (this.mode === 'pickup' || last === undefined || last === position) return undefined;
    const out = position > last ? current + ((position - last) * (1 - current)) / (1 - last) : current - ((last - position) * current) / last;
    if (Math.abs(out - position) <= CATCH) this.engaged = true;
    return out;
  }

  /** The value moved elsewhere: the control must catch it again. */
  release(): void {
    this.engaged = false;
  }
}
