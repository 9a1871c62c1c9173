import osc, { type MetaArg, type OscPacket, type TypedArg } from 'osc';
import type { ControlAddress } from '../space/address.js';
import { ControlError, type OscArg } from '../space/values.js';

export interface DecodedMessage {
  address: string;
  args: OscArg[];
  /** The time tag of the bundles around it (ms since 1970, the latest where nested); absent for "immediately". */
  at?: number;
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

/** The OSC time tag 1 (seconds 0, fraction 1) means "immediately". */
const isImmediate = (tag: { raw: [number, number] }) => tag.raw[0] === 0 && tag.raw[1] <= 1;

function collect(packet: OscPacket, out: DecodedMessage[], at?: number): DecodedMessage[] {
  if (!('packets' in packet)) {
    out.push({ address: packet.address, args: flatten(packet.args), ...(at === undefined ? {} : { at }) });
    return out;
  }
  // A nested bundle's tag is never earlier than its parent's (OSC 1.0); the later of the two counts.
  const own = isImmediate(packet.timeTag) ? undefined : packet.timeTag.native;
  const inner = own === undefined ? at : Math.max(own, at ?? -Infinity);
  for (const p of packet.packets) collect(p, out, inner);
  return out;
}

/** Every message of a packet, bundles (nested too) flattened in order, each with its bundle's time tag. */
export function decodePacket(data: Uint8Array): DecodedMessage[] {
  try {
    return collect(osc.readPacket(data, { metadata: true }), []);
  } catch (e) {
    throw new ControlError('malformed', `malformed OSC packet: ${(e as Error).message}`);
  }
}

/**
 * One value with the OSC type its address declares, always that type (a host's OSC In CHOP has fixed types):
 * `i` rounds, `f` stays float for whole numbers too. Without a declared type the value picks it.
 */
export function typedArg(value: OscArg, type?: string): TypedArg {
  if (typeof value === 'boolean') return { type: value ? 'T' : 'F' };
  if (typeof value === 'number') return type === 'i' ? { type: 'i', value: Math.round(value) } : { type: 'f', value };
  if (typeof value === 'string') return { type: 's', value };
  if (value instanceof Uint8Array) return { type: 'b', value };
  return { type: 'N' };
}

/** An outgoing message: `types` is one tag for every argument (`f`) or one per argument (`ss`). */
export interface OutgoingMessage {
  address: string;
  args: readonly OscArg[];
  types?: string;
}

const typedArgs = ({ args, types = '' }: OutgoingMessage) => args.map((a, i) => typedArg(a, types.length > 1 ? types[i] : types || undefined));

export function encodeMessage(address: string, args: readonly OscArg[], types?: ControlAddress['type'] | string): Uint8Array {
  return osc.writePacket({ address, args: typedArgs({ address, args, types }) }, { metadata: true });
}

/** One bundle (time tag "now") of several messages: one datagram for the heartbeat. */
export function encodeBundle(messages: readonly OutgoingMessage[]): Uint8Array {
  return osc.writePacket({ timeTag: osc.timeTag(0), packets: messages.map((m) => ({ address: m.address, args: typedArgs(m) })) }, { metadata: true });
}
