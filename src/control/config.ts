import { z } from 'zod';

export const OscTarget = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.int().min(1).max(65535),
});

export const OscConfig = z.strictObject({
  port: z.int().min(0).max(65535).default(9000).describe('UDP port the OSC server listens on (0 picks a free port).'),
  host: z.string().default('0.0.0.0').describe('Address the OSC server binds.'),
  feedback: z.array(OscTarget).default([]).describe('Where parameter changes, fps, latency and the heartbeat are sent.'),
  reply_to_sender: z.boolean().default(false).describe('Also send feedback to the address of the last sender.'),
  zeroconf: z.boolean().default(true).describe('Advertise OSC and OSCQuery with Zeroconf (_osc._udp, _oscjson._tcp).'),
});
export type OscConfig = z.output<typeof OscConfig>;

export const MidiConfig = z.strictObject({
  enabled: z.boolean().default(true),
  inputs: z.array(z.union([z.string(), z.int().min(0)])).default(['all']).describe('MIDI inputs by name (substring), index, or "all".'),
  outputs: z.array(z.union([z.string(), z.int().min(0)])).default([]).describe('MIDI outputs for LED/motor-fader feedback.'),
});
export type MidiConfig = z.output<typeof MidiConfig>;
