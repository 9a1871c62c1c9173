/** Taps further apart than this start a new count. */
export const TAP_RESET_MS = 2000;
/** The intervals averaged: the last seven (eight taps). */
const MAX_TAPS = 8;

/** Tap tempo: the average interval of the last taps; a pause over TAP_RESET_MS starts over. */
export class TapTempo {
  private taps: number[] = [];

  /** One tap at time t; the bpm once there are two taps in a row, else undefined. */
  tap(t: number): number | undefined {
    if (this.taps.length > 0 && t - this.taps.at(-1)! > TAP_RESET_MS) this.taps = [];
    this.taps.push(t);
    if (this.taps.length > MAX_TAPS) this.taps.shift();
    if (this.taps.length < 2) return undefined;
    const interval = (this.taps.at(-1)! - this.taps[0]!) / (this.taps.length - 1);
    return 60_000 / interval;
  }

  get count(): number {
    return this.taps.length;
  }
}
