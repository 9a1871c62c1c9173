/** Time and timers, injectable so tests can drive them by hand. */
export interface Clock {
  /** Milliseconds; only differences matter (monotonic), except for the wall clock (ms since 1970). */
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const timers = {
  setTimeout: (run: () => void, ms: number) => setTimeout(run, Math.max(0, ms)),
  clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
};

/** performance.now(): for beats, taps and MIDI clock ticks. */
export const monotonicClock: Clock = { now: () => performance.now(), ...timers };

/** Date.now(): OSC time tags are wall-clock times. */
export const wallClock: Clock = { now: () => Date.now(), ...timers };

/** Runs `tick` every `ms` on `clock` (each due time from the previous one, so late ticks do not drift); returns the stop function. */
export function every(clock: Clock, ms: number, tick: () => void): () => void {
  let due = clock.now() + ms;
  let handle: unknown;
  const schedule = () => {
    handle = clock.setTimeout(() => {
      due += ms;
      schedule();
      tick();
    }, due - clock.now());
  };
  schedule();
  return () => clock.clearTimeout(handle);
}
