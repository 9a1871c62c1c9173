import type { MidiBinding } from '../mappings/schema.js';
import type { MidiEvent } from './messages.js';

/** What a binding's control did, independent of how the bytes encoded it. */
export type ControlInput =
  | { kind: 'position'; value: number }
  | { kind: 'delta'; value: number }
  | { kind: 'press' }
  | { kind: 'release' }
  | { kind: 'program'; value: number };

export interface DecodedInput {
  binding: MidiBinding;
  input: ControlInput;
}

/** The controller numbers of an NRPN: 99/98 select the parameter, 6/38 carry its value, 96/97 step it. */
export const NRPN = { paramMsb: 99, paramLsb: 98, dataMsb: 6, dataLsb: 38, increment: 96, decrement: 97 } as const;
const NRPN_CCS = new Set<number>(Object.values(NRPN));

export function relativeTicks(encoding: Extract<MidiBinding, { type: 'relative' }>['encoding'], v: number): number {
  if (encoding === 'binary_offset') return v - 64;
  if (encoding === 'sign_magnitude') return v & 0x40 ? -(v & 0x3f) : v & 0x3f;
  return v < 64 ? v : v - 128;
}

interface NrpnState {
  param?: number;
  paramMsb: number;
  dataMsb: number;
}

/**
 * Turns MIDI messages into control inputs for the bindings of a mapping: 7-bit and 14-bit CC (MSB n, LSB
 * n+32, applied when the LSB arrives), NRPN (99/98 select, 6/38 data, 96/97 inc/dec), relative encoders,
 * CC and note buttons, pitch bend and program change. Keeps per-channel state (MSBs, NRPN selection).
 */
export class MidiDecoder {
  private readonly msb = new Map<string, number>();
  private readonly nrpn = new Map<number, NrpnState>();

  constructor(private readonly bindings: readonly MidiBinding[]) {}

  decode(e: MidiEvent): DecodedInput[] {
    const out: DecodedInput[] = [];
    const emit = (binding: MidiBinding, input: ControlInput) => out.push({ binding, input });
    const on = (b: MidiBinding) => b.channel === e.channel;
    if (e.kind === 'cc') {
      this.decodeCc(e, on, emit);
      return out;
    }
    for (const b of this.bindings) {
      if (!on(b)) continue;
      if (e.kind === 'note' && b.type === 'note' && b.number === e.number) emit(b, { kind: e.on ? 'press' : 'release' });
      else if (e.kind === 'pitchbend' && b.type === 'pitchbend') emit(b, { kind: 'position', value: e.value / 16383 });
      else if (e.kind === 'program' && b.type === 'program') emit(b, { kind: 'program', value: e.program });
    }
    return out;
  }

  private decodeCc(e: Extract<MidiEvent, { kind: 'cc' }>, on: (b: MidiBinding) => boolean, emit: (b: MidiBinding, i: ControlInput) => void): void {
    if (NRPN_CCS.has(e.number) && this.bindings.some((b) => b.type === 'nrpn' && on(b))) return this.decodeNrpn(e, on, emit);
    for (const b of this.bindings) {
      if (!on(b)) continue;
      if (b.type === 'cc' && b.number === e.number) emit(b, b.button ? { kind: e.value >= 64 ? 'press' : 'release' } : { kind: 'position', value: e.value / 127 });
      else if (b.type === 'relative' && b.number === e.number) emit(b, { kind: 'delta', value: relativeTicks(b.encoding, e.value) * b.step });
      else if (b.type === 'cc14' && b.number === e.number) this.msb.set(`${e.channel}:${e.number}`, e.value);
      else if (b.type === 'cc14' && b.number + 32 === e.number) {
        const msb = this.msb.get(`${e.channel}:${b.number}`) ?? 0;
        emit(b, { kind: 'position', value: ((msb << 7) | e.value) / 16383 });
      }
    }
  }

  private decodeNrpn(e: Extract<MidiEvent, { kind: 'cc' }>, on: (b: MidiBinding) => boolean, emit: (b: MidiBinding, i: ControlInput) => void): void {
    const s = this.nrpn.get(e.channel) ?? { paramMsb: 0, dataMsb: 0 };
    this.nrpn.set(e.channel, s);
    if (e.number === NRPN.paramMsb) s.paramMsb = e.value;
    else if (e.number === NRPN.paramLsb) s.param = (s.paramMsb << 7) | e.value;
    if (s.param === undefined || e.number === NRPN.paramMsb || e.number === NRPN.paramLsb) return;
    const binding = this.bindings.find((b): b is Extract<MidiBinding, { type: 'nrpn' }> => b.type === 'nrpn' && on(b) && b.number === s.param);
    if (!binding) return;
    if (e.number === NRPN.dataMsb) {
      s.dataMsb = e.value;
      if (binding.bits === 7) emit(binding, { kind: 'position', value: e.value / 127 });
    } else if (e.number === NRPN.dataLsb && binding.bits === 14) emit(binding, { kind: 'position', value: ((s.dataMsb << 7) | e.value) / 16383 });
    else if (e.number === NRPN.increment) emit(binding, { kind: 'delta', value: binding.step });
    else if (e.number === NRPN.decrement) emit(binding, { kind: 'delta', value: -binding.step });
  }
}
