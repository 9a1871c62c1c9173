import { z } from 'zod';
import type { App, AppPlugin } from '../../plugin.js';
import { errorLine } from '../../errors.js';
import type { MetricFamily } from '../../http/metrics.js';
import { sendJson } from '../../http/server.js';
import { rateLimited } from '../../log.js';
import { Modulation } from '../modulators/modulation.js';
import type { Modulator } from '../modulators/schema.js';
import { ACCESS, type ExtraNode } from '../oscquery/namespace.js';
import type { MessageGate } from '../osc/server.js';
import { AddressSpace } from '../space/address-space.js';
import { controlSurfaceOf } from '../surface.js';
import { BeatScheduler } from './beat-scheduler.js';
import { monotonicClock, type Clock } from '../../util/clock.js';
import { MidiClockIn } from './midi-clock.js';
import { MidiClockOut } from './midi-clock-out.js';
import type { TempoState } from './state.js';
import { TapTempo } from './tap.js';
import { BPM_RANGE, TempoClock, type BeatUnit, type TempoSource } from './tempo-clock.js';

type TempoParams = { quantize?: 'off' | BeatUnit; beats_per_bar?: number; modulators?: readonly Modulator[] };

/** Parameters whose change is never held back by quantize (turning it off must work at once). */
const UNQUANTISED = new Set(['quantize']);

const sourceOf = (origin: string): TempoSource => (origin === 'osc' || origin === 'http' || origin === 'cli' ? origin : 'osc');

/**
 * The show's tempo and what hangs on it: the tempo clock (MIDI clock in, OSC `tempo/bpm`, `tempo/tap`), beat
 * and bar phase as OSCQuery read values, quantised OSC changes (`quantize`), and the modulators applied to
 * every frame. Other plugins reach it with `tempoOf(app)` (presets: `scheduleAtBeat`, `quantized`).
 */
export class TempoControl {
  readonly tempo: TempoClock;
  readonly scheduler: BeatScheduler;
  readonly modulation: Modulation;
  readonly midiClock: MidiClockIn;
  private readonly taps = new TapTempo();
  private readonly closers: (() => void)[] = [];

  constructor(private readonly app: App, private readonly clock: Clock = monotonicClock) {
    const warn = rateLimited(app.log);
    this.tempo = new TempoClock(clock, this.params().beats_per_bar ?? 4);
    this.scheduler = new BeatScheduler(this.tempo, clock, () => app.engine.metrics().latencyMs, (e) => warn('quantised', `a quantised change failed: ${errorLine(e)}`));
    this.midiClock = new MidiClockIn(this.tempo);
    const surface = controlSurfaceOf(app);
    this.modulation = new Modulation(surface?.space ?? new AddressSpace(app.definition.schema), this.tempo, clock, app.log);
    const followBar = () => void (this.tempo.beatsPerBar = this.params().beats_per_bar ?? 4);
    app.store.on('change', followBar);
    this.closers.push(() => app.store.off('change', followBar));
    this.closers.push(app.engine.overlayParams((p) => this.modulated(p)));
    this.registerCommands();
    if (surface) this.attachSurface(surface);
    app.http.route('GET', '/api/tempo', (_req, res) => sendJson(res, 200, this.state()));
    this.closers.push(app.http.metrics.add(() => this.metricFamilies()));
  }

  private metricFamilies(): MetricFamily[] {
    return [
      { name: 'tempo_bpm', type: 'gauge', help: 'The tempo, beats per minute', samples: [[{ source: this.tempo.source }, this.tempo.bpm]] },
      { name: 'quantised_waiting', type: 'gauge', help: 'Quantised changes waiting for their beat', samples: [[{}, this.scheduler.pending]] },
    ];
  }

  private params(): TempoParams {
    return this.app.store.snapshot as TempoParams;
  }

  /** Runs `run` on the next beat or bar, early by the engine's measured latency; returns a function that cancels it. */
  scheduleAtBeat(run: () => void, unit: BeatUnit): () => void {
    return this.scheduler.scheduleAtBeat(run, unit);
  }

  /** Runs `run` as the `quantize` parameter says: now when it is off, else on the next beat or bar. */
  quantized(run: () => void): void {
    const unit = this.params().quantize ?? 'off';
    if (unit === 'off') run();
    else this.scheduleAtBeat(run, unit);
  }

  /** A tap now: the tempo once two taps are in, each tap landing on a beat. */
  tap(t = this.clock.now()): number | undefined {
    const bpm = this.taps.tap(t);
    if (bpm !== undefined) this.tempo.syncTo(t, Math.round(this.tempo.position(t)), bpm, 'tap');
    return bpm;
  }

  /** What the page shows: the tempo, where the beat and bar are, the lookahead and the modulated values. */
  state(): TempoState {
    const t = this.clock.now();
    return {
      bpm: this.tempo.bpm, source: this.tempo.source, beatsPerBar: this.tempo.beatsPerBar, beat: this.tempo.beatPhase(t), bar: this.tempo.barPhase(t),
      lookaheadMs: this.scheduler.lookahead, waiting: this.scheduler.pending, modulation: this.modulation.live,
    };
  }

  private modulated(p: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>> {
    try {
      return this.modulation.apply(p);
    } catch (e) {
      this.app.log.warn({ err: errorLine(e) }, 'modulators failed on this frame; the stored values were used');
      return p;
    }
  }

  private registerCommands(): void {
    const { commands } = this.app;
    const bpm = () => [this.tempo.bpm];
    this.closers.push(
      commands.register({
        name: 'tempo/tap', description: 'Tap the tempo: the average of the last taps; a pause over 2 s starts over', types: '', args: z.tuple([]),
        run: () => ({ bpm: this.tap() ?? null, taps: this.taps.count }), read: bpm,
      }),
      commands.register({
        name: 'tempo/bpm', description: `Set the tempo (${BPM_RANGE.min}..${BPM_RANGE.max} bpm); a running MIDI clock overrides it`, types: 'f',
        args: z.tuple([z.number().min(BPM_RANGE.min).max(BPM_RANGE.max)]),
        run: ([value], origin) => void this.tempo.setBpm(value, sourceOf(origin)), read: bpm,
      }),
      commands.register({
        name: 'tempo/resync', description: 'A bar starts now (the downbeat), at the same tempo', types: '', args: z.tuple([]),
        run: () => void this.tempo.syncTo(this.clock.now(), 0, this.tempo.bpm, this.tempo.source),
      }),
      commands.register({
        name: 'modulator/trigger', description: 'Trigger an envelope modulator by name: one shot, or T holds it and F releases it', types: 'sT',
        args: z.tuple([z.string(), z.union([z.boolean(), z.number().transform((n) => n >= 0.5)]).optional()]),
        run: ([name, gate]) => this.modulation.trigger(this.params().modulators ?? [], name, gate),
      }),
    );
  }

  private attachSurface(surface: NonNullable<ReturnType<typeof controlSurfaceOf>>): void {
    this.closers.push(surface.addNodes(() => this.readNodes(surface.space.root)));
    this.closers.push(surface.osc.setGate(this.gate));
    this.closers.push(surface.midi.onRealtime((status) => this.midiClock.handle(status, this.clock.now())));
    if (!this.app.config.midi.clock_out) return;
    const out = new MidiClockOut(this.tempo, this.clock, (bytes) => surface.midi.send(bytes));
    out.start();
    this.closers.push(() => out.stop());
  }

  /** Parameter messages wait for the beat while `quantize` is on (queries and commands never do). */
  private readonly gate: MessageGate = (_message, targets, apply) => {
    const unit = this.params().quantize ?? 'off';
    if (unit === 'off' || targets.every((t) => UNQUANTISED.has(t.spec.key))) return false;
    this.scheduleAtBeat(apply, unit);
    return true;
  };

  private readNodes(root: string): ExtraNode[] {
    return [
      { path: `${root}/tempo/beat`, type: 'f', access: ACCESS.read, description: 'Beat phase, 0..1 through the current beat', read: () => [this.tempo.beatPhase()] },
      { path: `${root}/tempo/bar`, type: 'f', access: ACCESS.read, description: 'Bar phase, 0..1 through the current bar', read: () => [this.tempo.barPhase()] },
      { path: `${root}/tempo/source`, type: 's', access: ACCESS.read, description: 'Where the tempo came from last: default, tap, osc, http, cli or midi', read: () => [this.tempo.source] },
      { path: `${root}/modulation`, type: 's', access: ACCESS.read, description: 'The modulated values on the last frame, JSON {target: value}', read: () => [JSON.stringify(this.modulation.live)] },
    ];
  }

  close(): void {
    for (const close of this.closers.splice(0).reverse()) close();
    this.scheduler.close();
  }
}

const controls = new WeakMap<object, TempoControl>();

/** The running tempo of an app (keyed by its store, like controlSurfaceOf). */
export function tempoOf(app: Pick<App, 'store'>): TempoControl | undefined {
  return controls.get(app.store);
}

export const tempoPlugin: AppPlugin = {
  name: 'tempo',
  register(app) {
    const control = new TempoControl(app);
    controls.set(app.store, control);
    return Promise.resolve({ close: async () => control.close() });
  },
};
