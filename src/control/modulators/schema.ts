import { z } from 'zod';

export const LFO_SHAPES = ['sine', 'triangle', 'saw', 'square', 'random'] as const;
export type LfoShape = (typeof LFO_SHAPES)[number];

const common = {
  /** Named in `modulator/trigger NAME` and in the page's list. */
  name: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lowercase letters, digits, _ and -, at most 32'),
  /** An address as mapping files name it: `delta`, `guidance_scale`, `prompts/1/weight`. */
  target: z.string().min(1).max(64),
  /** Swing in the target's own units: the value moves by up to depth either way (LFO) or up by depth (envelope). */
  depth: z.number().min(-1000).max(1000).default(0),
  /** Added to the stored value before the swing. */
  offset: z.number().min(-1000).max(1000).default(0),
  enabled: z.boolean().default(true),
};

export const LfoModulator = z.strictObject({
  ...common,
  kind: z.literal('lfo'),
  shape: z.enum(LFO_SHAPES).default('sine'),
  /** Cycles per second, when `beats` is not set. */
  rate: z.number().min(0).max(100).default(1),
  /** Cycle length in beats (4 = one cycle per 4/4 bar), locked to the tempo; wins over `rate`. */
  beats: z.number().min(1 / 64).max(1024).optional(),
  /** Where in the cycle it starts, 0..1. */
  phase: z.number().min(0).max(1).default(0),
});

export const EnvelopeModulator = z.strictObject({
  ...common,
  kind: z.literal('envelope'),
  /** Seconds. */
  attack: z.number().min(0).max(60).default(0.01),
  decay: z.number().min(0).max(60).default(0.3),
  /** Level held while the gate is on, 0..1 (0: a plain attack-decay). */
  sustain: z.number().min(0).max(1).default(0),
  release: z.number().min(0).max(60).default(0.3),
});

export const Modulator = z.discriminatedUnion('kind', [LfoModulator, EnvelopeModulator]);
export type Modulator = z.output<typeof Modulator>;
export type LfoModulator = z.output<typeof LfoModulator>;
export type EnvelopeModulator = z.output<typeof EnvelopeModulator>;

export const MAX_MODULATORS = 16;

export const ModulatorList = z.array(Modulator).max(MAX_MODULATORS).default([]).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((m, i) => {
    if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `modulator name "${m.name}" is used twice` });
    seen.add(m.name);
  });
});
