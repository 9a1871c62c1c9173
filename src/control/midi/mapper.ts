import { errorLine } from '../../errors.js';
import { rateLimited, type Logger } from '../../log.js';
import type { CommandRegistry } from '../commands/registry.js';
import type { ControlAddress, Patch } from '../space/address.js';
import type { AddressSpace } from '../space/address-space.js';
import type { LoadedMapping } from '../mappings/load.js';
import type { MidiBinding } from '../mappings/schema.js';
import type { ControlStore } from '../osc/server.js';
import { clamp01, ControlError, type OscArg } from '../space/values.js';
import { applyCurve, invertCurve, type Curve } from './curves.js';
import { MidiDecoder, type ControlInput } from './decoder.js';
import { parseMidi, type MidiEvent } from './messages.js';
import { Smoother } from './smoother.js';
import { Takeover } from './takeover.js';

type Value = OscArg;

/** A binding with its resolved address and its live state (takeover, smoothing, button memory). */
class BoundControl {
  readonly takeover: Takeover;
  readonly smoother: Smoother;
  private readonly lo: number;
  private readonly hi: number;
  private written: number | undefined;
  private target: number | undefined;
  previous: Value | undefined;

  /** `apply` gets the patch as a function: computing it may throw (a list entry that went away while gliding). */
  constructor(readonly binding: MidiBinding, readonly address: ControlAddress, private readonly apply: (patch: () => Patch) => boolean, private readonly store: ControlStore) {
    const b = binding as Partial<{ range: [number, number]; takeover: 'jump' | 'pickup' | 'scale'; smoothing_ms: number }>;
    const [min, max] = address.unitView?.range ?? [address.min, address.max];
    const toUnit = (v: number) => (min !== undefined && max !== undefined && max !== min ? (v - min) / (max - min) : v);
    [this.lo, this.hi] = b.range ? [toUnit(b.range[0]), toUnit(b.range[1])] : [0, 1];
    this.takeover = new Takeover(b.takeover ?? 'jump');
    this.smoother = new Smoother(b.smoothing_ms ?? 0, (u) => this.writeUnit(u));
  }

  private get curve(): Curve {
    return 'curve' in this.binding ? this.binding.curve : 'linear';
  }

  private get inverted(): boolean {
    return 'invert' in this.binding && this.binding.invert;
  }

  get unitNow(): number {
    return this.address.unitView!.get(this.store.snapshot as Record<string, unknown>);
  }

  /** Control travel -> the address's 0..1 view, through invert, curve and range. */
  toUnit(position: number): number {
    return this.lo + applyCurve(this.curve, this.inverted ? 1 - position : position) * (this.hi - this.lo);
  }

  /** Where the control would have to be for the current value. */
  toPosition(unit: number): number {
    const t = this.hi === this.lo ? 0 : clamp01((unit - this.lo) / (this.hi - this.lo));
    const x = invertCurve(this.curve, t);
    return this.inverted ? 1 - x : x;
  }

  /** True when something other than this control moved the value since it last wrote. */
  get movedElsewhere(): boolean {
    return this.written !== undefined && Math.abs(this.unitNow - this.written) > 1e-6;
  }

  position(position: number): void {
    if (this.movedElsewhere) {
      this.takeover.release();
      this.target = undefined;
    }
    const current = this.target !== undefined ? this.toPosition(this.target) : this.toPosition(this.unitNow);
    const out = this.takeover.move(position, current);
    if (out !== undefined) this.glideTo(this.toUnit(out));
  }

  delta(value: number): void {
    const base = this.target !== undefined && !this.movedElsewhere ? this.target : this.unitNow;
    this.glideTo(clamp01(base + value * (this.hi - this.lo)));
  }

  private glideTo(unit: number): void {
    this.target = unit;
    this.smoother.set(unit, this.written !== undefined && !this.movedElsewhere ? this.written : this.unitNow);
  }

  private writeUnit(unit: number): void {
    if (this.apply(() => this.address.unitView!.patch(this.store.snapshot as Record<string, unknown>, unit))) this.written = this.unitNow;
  }
}

/** The value a button press sets when the binding names none: true, the next enum choice, or the maximum. */
function pressValue(address: ControlAddress, current: Value): Value {
  if (address.type === 'T') return !current;
  if (address.values?.length) return address.values[(address.values.indexOf(String(current)) + 1) % address.values.length]!;
  if (address.max !== undefined) return address.max;
  throw new ControlError('bad_type', `${address.target}: a button needs "value"`);
}

/**
 * The MIDI mapping engine: raw MIDI bytes from any input, through each mapping file's decoder and bindings,
 * into store changes (source 'midi'). Every failure is logged at a rate limit; nothing throws to the caller.
 */
export class MidiMapper {
  private decoders: { device?: string; decoder: MidiDecoder; controls: Map<MidiBinding, BoundControl> }[] = [];
  private readonly warn: ReturnType<typeof rateLimited>;
  /** MIDI messages refused (a failed binding or a value the store rejected). */
  failures = 0;

  /** `commands`: where a binding with a `command` (program change -> preset/recall) runs it. */
  constructor(private readonly store: ControlStore, private readonly space: AddressSpace, log: Logger, private readonly commands?: Pick<CommandRegistry, 'run'>) {
    this.warn = rateLimited(log);
  }

  setMappings(mappings: readonly LoadedMapping[]): void {
    this.close();
    this.decoders = mappings.map(({ mapping }) => {
      const controls = new Map<MidiBinding, BoundControl>();
      const runsCommand = mapping.midi.filter((b) => 'command' in b && b.command);
      for (const b of mapping.midi) {
        const address = runsCommand.includes(b) ? undefined : this.space.target(b.param);
        if (address) controls.set(b, new BoundControl(b, address, (patch) => this.applyPatch(patch, address.path), this.store));
      }
      return { device: mapping.device, decoder: new MidiDecoder([...controls.keys(), ...runsCommand]), controls };
    });
  }

  /** Every bound control, for LED feedback. */
  controls(): BoundControl[] {
    return this.decoders.flatMap((d) => [...d.controls.values()]);
  }

  handleBytes(bytes: readonly number[], port = ''): void {
    const event = parseMidi(bytes);
    if (event) this.handle(event, port);
  }

  handle(event: MidiEvent, port = ''): void {
    for (const { device, decoder, controls } of this.decoders) {
      if (device && !port.toLowerCase().includes(device.toLowerCase())) continue;
      for (const { binding, input } of decoder.decode(event)) {
        try {
          const control = controls.get(binding);
          if (control) this.dispatch(control, input);
          else this.runCommand(binding, input);
        } catch (e) {
          this.refuse(binding.param, (e as Error).message);
        }
      }
    }
  }

  private dispatch(control: BoundControl, input: ControlInput): void {
    const { address, binding } = control;
    const p = () => this.store.snapshot as Record<string, unknown>;
    const current = () => address.read(p())[0] ?? null;
    const set = (v: Value) => this.applyPatch(() => address.write(p(), [v]), address.path);
    switch (input.kind) {
      case 'position': return control.position(input.value);
      case 'delta': return control.delta(input.value);
      case 'program': return void set(input.value + (binding.type === 'program' ? binding.offset : 0));
      case 'press': return this.press(control, current(), set);
      case 'release':
        if ('button' in binding && binding.button === 'hold' && control.previous !== undefined) set(control.previous);
    }
  }

  /** A program change bound to a command: the command runs with the program number plus the offset. */
  private runCommand(binding: MidiBinding, input: ControlInput): void {
    if (binding.type !== 'program' || !binding.command || input.kind !== 'program') return;
    const name = binding.command;
    if (!this.commands) return this.refuse(name, 'commands are not available here');
    this.commands.run(name, [input.value + binding.offset], 'midi').catch((e: unknown) => this.refuse(name, errorLine(e)));
  }

  private press(control: BoundControl, current: Value, set: (v: Value) => boolean): void {
    const b = control.binding as Partial<{ button: 'trigger' | 'toggle' | 'hold'; value: Value; off: Value }>;
    const on = b.value ?? pressValue(control.address, current);
    if (b.button === 'toggle' && b.value !== undefined && current === b.value) {
      set(b.off ?? control.previous ?? pressValue(control.address, current));
      return;
    }
    if (b.button !== 'trigger') control.previous = current;
    set(on);
  }

  private refuse(path: string, reason: string): void {
    this.failures++;
    this.warn(`midi ${path}`, `midi: ${path}: ${reason}`);
  }

  /** Computes and applies a binding's patch; a throw (a list entry gone while a knob glides) or a refusal is counted, never thrown. */
  private applyPatch(patchOf: () => Patch, path: string): boolean {
    try {
      const result = this.store.update(patchOf(), 'midi');
      if (!result.ok) this.refuse(path, result.error.message);
      return result.ok;
    } catch (e) {
      this.refuse(path, (e as Error).message);
      return false;
    }
  }

  close(): void {
    for (const c of this.controls()) c.smoother.stop();
  }
}

export type { BoundControl };
