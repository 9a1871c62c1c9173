import { z } from 'zod';
import { parseAllowEntry } from './osc/allow-list.js';

/** Where "?" queries are answered: the sender (default), the feedback targets, or both. */
export const QUERY_ANSWER_MODES = ['sender', 'feedback', 'both'] as const;
export type QueryAnswerMode = (typeof QUERY_ANSWER_MODES)[number];

export const OscTarget = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.int().min(1).max(65535),
});

export const StreamDiffusionTdConfig = z.strictObject({
  port: z.int().min(0).max(65535).default(8247).describe('UDP port the StreamDiffusionTD component sends to.'),
  reply_host: z.string().default('127.0.0.1'),
  reply_port: z.int().min(1).max(65535).default(8248).describe('UDP port the component listens on for /server_active, /framecount, /stream-info/*.'),
  heartbeat_ms: z.int().min(50).max(60000).default(750),
  output_name: z.string().optional()
    .describe('Reported as /stream-info/output-name: the shared memory the component reads frames from (default: the name of the first shm:NAME?raw=1 output, else "sdlive").'),
});
export type StreamDiffusionTdConfig = z.output<typeof StreamDiffusionTdConfig>;

export const OscConfig = z.strictObject({
  port: z.int().min(0).max(65535).default(9000).describe('UDP port the OSC server listens on (0 picks a free port).'),
  host: z.string().default('127.0.0.1')
    .describe('Address the OSC and StreamDiffusionTD listeners bind: loopback by default; "0.0.0.0" (or this machine\'s LAN address) takes OSC from the network.'),
  allow: z.array(z.string().refine((e) => parseAllowEntry(e) !== undefined, 'expected an IPv4/IPv6 address or CIDR, e.g. "192.168.1.0/24" or "10.0.0.7"'))
    .optional().describe('Senders the OSC and StreamDiffusionTD listeners accept (addresses and CIDRs); datagrams from others are dropped and counted as not_allowed. Unset: any sender that reaches osc.host.'),
  feedback: z.array(OscTarget).default([]).describe('Where parameter changes, fps, latency and the heartbeat are sent.'),
  reply_to_sender: z.boolean().default(false).describe('Also send feedback to the address of the last sender.'),
  answer_queries_to: z.enum(QUERY_ANSWER_MODES).default('sender')
    .describe('Where "?" queries are answered: the sender\'s port (default), the feedback targets (senders that cannot receive, e.g. liblo\'s oscsend), or both.'),
  zeroconf: z.boolean().default(true).describe('Advertise OSC and OSCQuery with Zeroconf (_osc._udp, _oscjson._tcp).'),
  heartbeat_ms: z.int().min(0).max(60000).default(1000).describe('Interval of /sdlive/heartbeat and the metrics feedback: fps, latency, drops, stage times, memory, health (0 = off).'),
  time_tags: z.enum(['schedule', 'ignore']).default('schedule')
    .describe('"schedule": a bundle whose time tag is in the future is applied at that time (up to 10 s ahead; further is refused); "ignore": on arrival (a sender whose clock runs ahead).'),
  max_packet_bytes: z.int().min(64).max(65507).default(65507).describe('Larger OSC datagrams are dropped and counted as oversize.'),
  streamdiffusiontd: z.union([z.boolean(), StreamDiffusionTdConfig]).default(false)
    .describe('Speak the StreamDiffusionTD wire contract (listen 8247, reply 8248) so its TouchDesigner component drives sdlive.'),
});
export type OscConfig = z.output<typeof OscConfig>;

export const MidiConfig = z.strictObject({
  enabled: z.boolean().default(true),
  inputs: z.array(z.union([z.string(), z.int().min(0)])).default(['all']).describe('MIDI inputs by name (substring), index, or "all".'),
  outputs: z.array(z.union([z.string(), z.int().min(0)])).default([]).describe('MIDI outputs for LED/motor-fader feedback.'),
  clock_out: z.boolean().default(false).describe('Send MIDI clock (24 per beat, Start on a bar, Stop at exit) at the show tempo to the MIDI outputs.'),
  learn_file: z.string().optional().describe('Mapping file MIDI learn writes to (default: the first of `mappings`, else mappings/learned.json).'),
});
export type MidiConfig = z.output<typeof MidiConfig>;
