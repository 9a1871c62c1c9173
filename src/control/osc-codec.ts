import osc, { type MetaArg, type OscPacket, type TypedArg } from 'osc';
import type { ControlAddress } from './address.js';
import { ControlError, type OscArg } from './values.js';

export interface DecodedMessage {
  address: string;
  args: OscArg[];
}

function plain(arg: TypedArg): OscArg {
  const v = arg.value as unknown;
  switch (arg.type) {
    case 'T': return true;
    case 'F': return false;
    case 'I': return true;
    case 'N': return null;
    case 'h': return (v as { toNumber(): number }).toNumber();
    case 't': return (v as { native: number }).native;
    case 'r': return null;
    default: return v as OscArg;
  }
}

function flatten(args: readonly MetaArg[], out: OscArg[] = []): OscArg[] {
  for (const a of args) {
    if (Array.isArray(a)) flatten(a, out);
    else out.push(plain(a));
  }
  return out;
}

function collect(packet: OscPacket, out: DecodedMessage[]): DecodedMessage[] {
  if ('packets' in packet) for (const p of packet.packets) collect(p, out);
  else out.push({ address: packet.address, args: flatten(packet.args) });
  return out;
}

/**
 * Every message of a packet, bundles (nested too) flattened in order. Bundle time tags are not scheduled:
 * a live controller wants the value now, and the newest value wins anyway.
 */
export function decodePacket(data: Uint8Array): DecodedMessage[] {
  try {
    return collect(osc.readPacket(data, { metadata: true }), []);
  } catch (e) {
    throw new ControlError('malformed', `malformed OSC packet: ${(e as Error).message}`);
  }
}

/** One value with the OSC type the address advertises (integers stay `i`, floats `f`). */
export function typedArg(value: OscArg, type?: ControlAddress['type']): TypedArg {
  if (typeof value === 'boolean') return { type: value ? 'T' : 'F' };
  if (typeof value === 'number') return { type: type === 'i' && Number.isInteger(value) ? 'i' : 'f', value };
  if (typeof value === 'string') return { type: 's', value };
  if (value instanceof Uint8Array) return { type: 'b', value };
  return { type: 'N' };
}

export function encodeMessage(address: string, args: readonly OscArg[], type?: ControlAddress['type']): Uint8Array {
  return osc.writePacket({ address, args: args.map((a) => typedArg(a, type)) }, { metadata: true });
}

export function encodeBundle(messages: readonly DecodedMessage[]): Uint8Array {
  return osc.writePacket({ timeTag: osc.timeTag(0), packets: messages.map((m) => ({ address: m.address, args: m.args.map((a) => typedArg(a)) })) }, { metadata: true });
}
