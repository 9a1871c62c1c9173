import type { Clock } from '../../util/clock.js';
import { MIDI_CLOCK, TICKS_PER_BEAT } from './midi-clock.js';
import type { TempoClock } from './tempo-clock.js';

/**
 * Sends MIDI clock at the show tempo: Start just before a bar begins, then 24 ticks per beat, each timed from
 * the tempo's beat position, so timer jitter never adds up and a bpm change or a resync moves the next tick.
 */
export class MidiClockOut {
  /** The index of the next tick (beat position × 24). */
  private tick = 0;
  private timer: unknown;
  private running = false;
  private readonly retime = () => this.running && this.arm();

  constructor(private readonly tempo: TempoClock, private readonly clock: Clock, private readonly send: (bytes: readonly number[]) => void) {}

  /** Starts on the next bar. */
  start(): void {
    const bar = this.tempo.nextBoundary('bar');
    this.tick = Math.round(this.tempo.position(bar) * TICKS_PER_BEAT);
    this.timer = this.clock.setTimeout(() => {
      this.send([MIDI_CLOCK.start]);
      this.running = true;
      this.tempo.on('change', this.retime);
      this.next();
    }, bar - this.clock.now());
  }

  private next(): void {
    this.send([MIDI_CLOCK.tick]);
    this.tick++;
    this.arm();
  }

  private arm(): void {
    const position = this.tempo.position(this.clock.now()) * TICKS_PER_BEAT;
    // After a resync or a jump the count follows the tempo instead of racing to catch up or waiting for it.
    if (Math.abs(position - this.tick) > TICKS_PER_BEAT) this.tick = Math.floor(position) + 1;
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.next(), this.tempo.timeAt(this.tick / TICKS_PER_BEAT) - this.clock.now());
  }

  stop(): void {
    this.clock.clearTimeout(this.timer);
    this.tempo.off('change', this.retime);
    if (this.running) this.send([MIDI_CLOCK.stop]);
    this.running = false;
  }
}
