/** The part of osc.js (no bundled types) that sdlive uses: packet encoding and decoding. */
declare module 'osc' {
  export interface TypedArg {
    type: string;
    value?: unknown;
  }
  export type MetaArg = TypedArg | MetaArg[];
  export interface OscMessage {
    address: string;
    args: MetaArg[];
  }
  export interface OscBundle {
    timeTag: { raw: [number, number]; native: number };
    packets: OscPacket[];
  }
  export type OscPacket = OscMessage | OscBundle;
  const osc: {
    readPacket(data: Uint8Array, options: { metadata: true }): OscPacket;
    writePacket(packet: OscPacket, options: { metadata: true }): Uint8Array;
    timeTag(secs: number, now?: number): OscBundle['timeTag'];
  };
  export default osc;
}
