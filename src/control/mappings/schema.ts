import { z } from 'zod';
import { OscPattern } from '../osc/pattern.js';

const channel = z.int().min(1).max(16).default(1).describe('MIDI channel 1..16.');
const data7 = z.int().min(0).max(127);
const target = z.string().min(1).describe('Address under /sdlive: delta, prompts/1/weight, t_index_list/0, prompts/select, norm/cfg_type...');

const continuous = {
  param: target,
  range: z.tuple([z.number(), z.number()]).optional().describe('Native values at the two ends of the control (default: the parameter range).'),
  curve: z.enum(['linear', 'exponential', 'log']).default('linear'),
  invert: z.boolean().default(false),
  smoothing_ms: z.number().min(0).max(10_000).default(0).describe('Slew time constant: the value glides to the control instead of jumping.'),
  takeover: z.enum(['jump', 'pickup', 'scale']).default('jump')
    .describe('jump: follow at once; pickup: no effect until the control crosses the value; scale: converge proportionally.'),
};

export const BUTTON_MODES = ['trigger', 'toggle', 'hold'] as const;
const button = {
  button: z.enum(BUTTON_MODES).describe('trigger: set value on press; toggle: alternate value/off; hold: value while held.'),
  value: z.union([z.number(), z.string(), z.boolean()]).optional()
    .describe('Value a press sets (default: true, the maximum, or the next choice of an enum).'),
  off: z.union([z.number(), z.string(), z.boolean()]).optional().describe('Value of toggle-off (default: the value before the press).'),
};

export const MidiBinding = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('cc'), channel, number: data7, ...continuous, button: button.button.optional(), value: button.value, off: button.off })
    .describe('7-bit CC; with `button`, values >= 64 press and < 64 release (CC buttons).'),
  z.strictObject({ type: z.literal('cc14'), channel, number: z.int().min(0).max(31).describe('MSB controller; the LSB is number + 32.'), ...continuous }),
  z.strictObject({ type: z.literal('nrpn'), channel, number: z.int().min(0).max(16383), bits: z.union([z.literal(7), z.literal(14)]).default(14), step: z.number().positive().max(1).default(1 / 128), ...continuous }),
  z.strictObject({
    type: z.literal('relative'), channel, number: data7,
    encoding: z.enum(['twos_complement', 'binary_offset', 'sign_magnitude']).default('twos_complement'),
    step: z.number().positive().max(1).default(1 / 128).describe('Fraction of the range per encoder tick.'),
    param: target, range: continuous.range, smoothing_ms: continuous.smoothing_ms,
  }),
  z.strictObject({ type: z.literal('note'), channel, number: data7, param: target, ...button }),
  z.strictObject({ type: z.literal('pitchbend'), channel, ...continuous }),
  z.strictObject({
    type: z.literal('program'), channel, param: target.default('prompts/select'), offset: z.int().default(0).describe('Added to the program number.'),
    command: z.string().regex(/^[a-z0-9][a-z0-9_/-]*$/, 'a command name, e.g. preset/recall').optional()
      .describe('Run this command with the program number (plus offset) instead of setting param: "preset/recall" recalls the preset of that number.'),
  }),
]);
export type MidiBinding = z.output<typeof MidiBinding>;

export const OscBinding = z.strictObject({
  address: z.string().regex(/^\//, 'must start with /').describe('Exact OSC address a host sends.'),
  param: target.optional(),
  range: z.tuple([z.number(), z.number()]).optional().describe('Incoming values at the two ends of the parameter range (e.g. [0, 1] for Resolume).'),
  value: z.union([z.number(), z.string(), z.boolean()]).optional().describe('Fixed value to set, whatever the message carries (/pause -> paused true).'),
  map: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional().describe('Translate the first argument (as text) to a value.'),
  ignore: z.boolean().default(false).describe('Accept and drop (addresses a host sends that sdlive has no use for).'),
}).refine((b) => b.ignore || b.param !== undefined, { message: 'needs "param" (or "ignore": true)', path: ['param'] });
export type OscBinding = z.output<typeof OscBinding>;

/** The syntax error of an OSC address pattern, or undefined when it is one. */
function patternError(pattern: string): string | undefined {
  try {
    new OscPattern(pattern);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const IgnorePattern = z.string().regex(/^\//, 'must start with /').superRefine((p, ctx) => {
  const error = patternError(p);
  if (error) ctx.addIssue({ code: 'custom', message: error });
});

export const MappingFile = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1),
  description: z.string().default(''),
  device: z.string().optional().describe('Only MIDI inputs whose name contains this apply the bindings.'),
  midi: z.array(MidiBinding).default([]),
  osc: z.array(OscBinding).default([]),
  ignore: z.array(IgnorePattern).default([])
    .describe('OSC address patterns (*, ?, [a-z], {a,b}) a host sends that sdlive drops without an error reply; each also covers the addresses below it ("/composition" drops /composition/layers/1/video/opacity).'),
});
export type MappingFile = z.output<typeof MappingFile>;
