import { z } from 'zod';
import type { Frame } from '../../io/frame.js';
import type { Pipeline, PipelineDefinition } from '../pipeline.js';
import { streamDiffusionFields } from '../streamdiffusion/schema.js';

const { width, height } = streamDiffusionFields;

/** The engine's own parameters (fps_cap, paused) are merged in by the registry. */
export const PassthroughParams = z.strictObject({ width, height });
export type PassthroughParams = z.output<typeof PassthroughParams>;

/** Returns its input unchanged: the simplest pipeline, for tests and as the template for new ones. */
export const passthrough: PipelineDefinition<typeof PassthroughParams> = {
  name: 'passthrough',
  description: 'Copies input frames to the output unchanged.',
  schema: PassthroughParams,
  async load(params): Promise<Pipeline<PassthroughParams>> {
    return {
      prepare: () => ({ width: params.width, height: params.height, batch: 1 }),
      process: async (frames: readonly Frame[]) => frames.map((f) => ({ ...f, data: new Uint8Array(f.data) })),
      dispose: async () => {},
    };
  },
};
