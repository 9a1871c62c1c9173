import { z } from 'zod';
import { ModulatorList } from '../control/modulators/schema.js';
import { param } from '../schema/param.js';
import type { PipelineDefinition } from './pipeline.js';

/** Parameters the engine itself reads, whatever the pipeline: the registry merges them into every pipeline's schema. */
export const ENGINE_FIELDS = {
  fps_cap: param(z.number().min(0).max(240).default(0), {
    label: 'FPS cap', group: 'Engine', order: 70, phase: 'runtime', show: true, unit: 'fps',
    description: 'Upper bound on output frame rate; 0 runs as fast as the model allows.',
  }),
  paused: param(z.boolean().default(false), {
    label: 'Paused', group: 'Engine', order: 71, phase: 'runtime', show: true,
    description: 'Hold the last output frame and stop running the model.',
  }),
  morph: param(z.number().min(0).max(1).default(1), {
    label: 'Morph', group: 'Engine', order: 71.5, phase: 'runtime', show: true,
    description: 'Progress of the preset morph in flight: 0 where it started, 1 at the preset. Move it (a fader) to scrub the morph by hand.',
  }),
  quantize: param(z.enum(['off', 'beat', 'bar']).default('off'), {
    label: 'Quantize', group: 'Tempo', order: 72, phase: 'runtime', show: true,
    description: 'OSC parameter changes wait for the next beat or bar (early by the measured latency, so the frame lands on it).',
  }),
  beats_per_bar: param(z.int().min(1).max(16).default(4), {
    label: 'Beats per bar', group: 'Tempo', order: 73, phase: 'runtime', show: true,
    description: 'Bar length for the bar phase, bar quantize and beat-locked modulators.',
  }),
  modulators: param(ModulatorList, {
    label: 'Modulators', group: 'Tempo', order: 74, phase: 'runtime',
    description: 'LFOs and envelopes moving numeric parameters at frame time on top of their stored values (JSON list).',
  }),
  blackout: param(z.boolean().default(false), {
    label: 'Blackout', group: 'Engine', order: 75, phase: 'runtime', show: true,
    description: 'Send black to every output at once (the model keeps running).',
  }),
  fade: param(z.number().min(0).max(1).default(0), {
    label: 'Fade', group: 'Engine', order: 76, phase: 'runtime', show: true,
    description: 'Fade every output towards fade_to: 0 shows the output, 1 shows only black or only the input.',
  }),
  fade_to: param(z.enum(['black', 'input']).default('black'), {
    label: 'Fade to', group: 'Engine', order: 77, phase: 'runtime', show: true,
    description: 'What fade blends towards: black, or the input picture.',
  }),
};

export const EngineParams = z.object(ENGINE_FIELDS);
export type EngineParams = z.output<typeof EngineParams>;

/**
 * The definition with ENGINE_FIELDS in its schema (a pipeline may declare them itself; the engine's are the ones
 * that count), so every store the engine reads validates fps_cap, paused and morph. The schema must be a zod object.
 */
export function withEngineParams(def: PipelineDefinition): PipelineDefinition {
  if (!(def.schema instanceof z.ZodObject)) throw new Error(`pipeline ${def.name}: its parameter schema must be a zod object`);
  return { ...def, schema: def.schema.safeExtend(ENGINE_FIELDS) };
}
