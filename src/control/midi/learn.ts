import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { AddressSpace } from '../space/address-space.js';
import type { MidiBinding } from '../mappings/schema.js';
import { ControlError } from '../space/values.js';
import { NRPN } from './decoder.js';
import type { MidiEvent } from './messages.js';

/** Time to wait for the LSB of a 14-bit CC (or the rest of an NRPN) before settling on what was seen. */
const PAIR_WINDOW_MS = 60;

/** One line for logs and the web page: "cc14 ch1 #7 -> delta" ("program ch1 -> preset/recall" for a command). */
export function describeBinding(b: MidiBinding): string {
  const number = 'number' in b ? ` #${b.number}` : '';
  return `${b.type} ch${b.channel}${number} -> ${'command' in b && b.command ? b.command : b.param}`;
}

const sameControl = (a: MidiBinding, b: MidiBinding) =>
  a.type === b.type && a.channel === b.channel && ('number' in a ? a.number : -1) === ('number' in b ? b.number : -1);

/** Appends a binding to a mapping file (created when missing), replacing any binding of the same control. */
export async function writeBinding(file: string, binding: MidiBinding): Promise<void> {
  let doc: { name: string; midi: MidiBinding[]; [k: string]: unknown } = { name: 'learned', description: 'Bindings made with MIDI learn', midi: [], osc: [] };
  try {
    doc = JSON.parse(await readFile(file, 'utf8')) as typeof doc;
    doc.midi ??= [];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ControlError('rejected', `cannot update ${file}: ${(e as Error).message}`);
  }
  doc.midi = [...doc.midi.filter((b) => !sameControl(b, binding)), binding];
  await writeFileAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
}

/**
 * MIDI learn: arm with a target address, move a control, and the binding is written to the learn file.
 * A CC below 32 followed by its LSB (n+32) becomes 14-bit; CC 99/98 start an NRPN; notes become buttons.
 */
export class MidiLearn extends EventEmitter<{ learned: [MidiBinding, string]; armed: [string]; failed: [Error] }> {
  private armed: string | undefined;
  private pending: { event: Extract<MidiEvent, { kind: 'cc' }>; timer: NodeJS.Timeout } | undefined;
  private nrpn = new Map<number, { msb: number; number?: number }>();
  private deadline: NodeJS.Timeout | undefined;

  constructor(private readonly space: AddressSpace, private readonly file: () => string) {
    super();
  }

  get target(): string {
    return this.armed ?? '';
  }

  start(target: string, timeoutMs = 30_000): void {
    const address = this.space.target(target);
    if (!address) throw new ControlError('unknown_address', `no address ${this.space.root}/${target} to learn`);
    this.cancel();
    this.armed = address.target;
    this.deadline = setTimeout(() => this.cancel(), timeoutMs);
    this.deadline.unref();
    this.emit('armed', this.armed);
  }

  cancel(): void {
    clearTimeout(this.deadline);
    clearTimeout(this.pending?.timer);
    this.pending = undefined;
    this.nrpn.clear();
    if (this.armed !== undefined) {
      this.armed = undefined;
      this.emit('armed', '');
    }
  }

  observe(e: MidiEvent): void {
    if (this.armed === undefined) return;
    const param = this.armed;
    if (e.kind === 'cc') return this.observeCc(e, param);
    const boolean = this.space.target(param)?.type === 'T';
    if (e.kind === 'note' && e.on) this.finish({ type: 'note', channel: e.channel, number: e.number, param, button: boolean ? 'toggle' : 'trigger' });
    else if (e.kind === 'pitchbend') this.finish(this.continuous({ type: 'pitchbend', channel: e.channel, param }));
    else if (e.kind === 'program') this.finish({ type: 'program', channel: e.channel, param, offset: 0 });
  }

  private continuous<T extends object>(b: T): T & Pick<Extract<MidiBinding, { type: 'cc' }>, 'curve' | 'invert' | 'smoothing_ms' | 'takeover'> {
    return { ...b, curve: 'linear', invert: false, smoothing_ms: 0, takeover: 'pickup' };
  }

  private observeCc(e: Extract<MidiEvent, { kind: 'cc' }>, param: string): void {
    const s = this.nrpn.get(e.channel) ?? { msb: 0 };
    this.nrpn.set(e.channel, s);
    if (e.number === NRPN.paramMsb) return void (s.msb = e.value);
    if (e.number === NRPN.paramLsb) return void (s.number = (s.msb << 7) | e.value);
    if ((e.number === NRPN.dataMsb || e.number === NRPN.dataLsb) && s.number !== undefined) {
      return this.finish(this.continuous({ type: 'nrpn', channel: e.channel, number: s.number, bits: 14, step: 1 / 128, param }));
    }
    const pending = this.pending;
    if (pending && pending.event.channel === e.channel && pending.event.number + 32 === e.number) {
      clearTimeout(pending.timer);
      this.pending = undefined;
      return this.finish(this.continuous({ type: 'cc14', channel: e.channel, number: pending.event.number, param }));
    }
    if (e.number < 32) {
      this.pending = { event: e, timer: setTimeout(() => this.finishCc(e, param), PAIR_WINDOW_MS) };
      return;
    }
    this.finishCc(e, param);
  }

  private finishCc(e: Extract<MidiEvent, { kind: 'cc' }>, param: string): void {
    this.pending = undefined;
    const boolean = this.space.target(param)?.type === 'T';
    this.finish(boolean
      ? { type: 'cc', channel: e.channel, number: e.number, param, button: 'toggle', curve: 'linear', invert: false, smoothing_ms: 0, takeover: 'jump' }
      : this.continuous({ type: 'cc', channel: e.channel, number: e.number, param }));
  }

  private finish(binding: MidiBinding): void {
    const file = this.file();
    this.cancel();
    writeBinding(file, binding).then(
      () => this.emit('learned', binding, file),
      (e: unknown) => this.emit('failed', e as Error),
    );
  }
}
