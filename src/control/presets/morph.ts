import type { z } from 'zod';
import { type ParamChange, paramError, type ParameterStore } from '../../engine/parameter-store.js';
import { rateLimited, type Logger } from '../../log.js';
import type { ParamSpec } from '../../schema/param-spec.js';
import { ControlError } from '../space/values.js';
import type { PresetParams } from './fields.js';
import { morphPatch } from './interpolate.js';
import { every, monotonicClock, type Clock } from '../../util/clock.js';

/** The engine parameter that shows a morph's progress (0 where it started, 1 at the preset) and scrubs it when moved. */
export const MORPH_KEY = 'morph';

/** The store origin of every morph write: a move from any other origin is a performer's. */
export const MORPH_ORIGIN = 'preset';

export type MorphDuration = { seconds: number } | { beats: number };

export interface MorphOptions {
  store: ParameterStore<z.ZodType>;
  log: Logger;
  clock?: Clock;
  /** Ticks per second: at most one store write each (default 60, about one per frame). */
  hz?: number;
  /** The tempo clock's beat length, once one is connected: without it a duration in beats is refused. */
  secondsPerBeat?: () => number;
}

interface Flight {
  from: PresetParams;
  to: Record<string, unknown>;
  startedAt: number;
  ms: number;
  stopTicking?: () => void;
}

/**
 * Recall with a transition: every parameter of the preset moves from where it is to the preset's value over the
 * duration (see interpolate.ts), written to the store at most `hz` times a second with origin 'preset', and the
 * `morph` parameter follows the progress. Moving `morph` from anywhere else stops the clock and scrubs the morph
 * by hand (1 lands on the preset); moving one of the morphing parameters takes it out of the morph.
 */
export class Morph {
  private flight: Flight | undefined;
  private readonly clock: Clock;
  private readonly warn: ReturnType<typeof rateLimited>;
  private readonly specs: ReadonlyMap<string, ParamSpec>;
  private readonly onChange = (change: ParamChange<Record<string, unknown>>) => this.performerMoved(change);
  /** Morph steps the store refused (a combination the schema rejects halfway); the morph goes on. */
  failures = 0;

  constructor(private readonly options: MorphOptions) {
    this.clock = options.clock ?? monotonicClock;
    this.warn = rateLimited(options.log);
    this.specs = new Map(options.store.specs.map((s) => [s.key, s]));
    options.store.on('change', this.onChange);
  }

  get active(): boolean {
    return this.flight !== undefined;
  }

  /** The duration in milliseconds; beats need the tempo hook. */
  private milliseconds(duration: MorphDuration): number {
    if ('seconds' in duration) return duration.seconds * 1000;
    const perBeat = this.options.secondsPerBeat?.();
    if (!perBeat) throw new ControlError('rejected', 'a duration in beats needs a tempo, and none is connected: give seconds');
    return duration.beats * perBeat * 1000;
  }

  /** Starts moving to `to` (replacing a morph in flight, from where it got to); 0 applies it at once. Refuses a target the schema rejects. */
  start(to: PresetParams, duration: MorphDuration): void {
    const ms = this.milliseconds(duration);
    const { store } = this.options;
    const current = store.snapshot as Record<string, unknown>;
    const whole = store.schema.safeParse({ ...current, ...to });
    if (!whole.success) throw paramError(whole.error);
    this.stop();
    if (ms <= 0) return this.write({ ...to }, 1);
    const from = Object.fromEntries(Object.keys(to).map((k) => [k, current[k]]));
    this.flight = { from, to: { ...to }, startedAt: this.clock.now(), ms };
    this.apply(0);
    this.flight.stopTicking = every(this.clock, 1000 / (this.options.hz ?? 60), () => this.tick());
  }

  /** Leaves the parameters where the morph got them. */
  stop(): void {
    this.flight?.stopTicking?.();
    this.flight = undefined;
  }

  close(): void {
    this.stop();
    this.options.store.off('change', this.onChange);
  }

  private tick(): void {
    const f = this.flight;
    if (f) this.apply(Math.min(1, (this.clock.now() - f.startedAt) / f.ms));
  }

  private apply(t: number): void {
    const f = this.flight!;
    if (t >= 1) this.stop();
    this.write(morphPatch(this.specs, f.from, f.to, t), t);
  }

  private write(patch: Record<string, unknown>, progress: number): void {
    const { store } = this.options;
    const withProgress = store.spec(MORPH_KEY) ? { ...patch, [MORPH_KEY]: progress } : patch;
    const result = store.update(withProgress, MORPH_ORIGIN);
    if (result.ok) return;
    this.failures++;
    this.warn('morph', `preset morph: a step was refused: ${result.error.message}`);
  }

  private performerMoved(change: ParamChange<Record<string, unknown>>): void {
    const f = this.flight;
    if (!f || change.source === MORPH_ORIGIN) return;
    for (const key of change.keys) if (key !== MORPH_KEY) delete f.to[key];
    if (!change.keys.includes(MORPH_KEY)) return;
    f.stopTicking?.();
    f.stopTicking = undefined;
    this.apply(change.current[MORPH_KEY] as number);
  }
}
