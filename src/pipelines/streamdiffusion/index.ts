import type { Pipeline, PipelineDefinition } from '../pipeline.js';
import { SdliveError } from '../../errors.js';
import { StreamDiffusionParams } from './schema.js';

export const streamDiffusion: PipelineDefinition<typeof StreamDiffusionParams> = {
  name: 'streamdiffusion',
  description: 'StreamDiffusion img2img/txt2img on onnxruntime-node (Stream Batch, residual CFG, similarity filter).',
  schema: StreamDiffusionParams,
  async load(): Promise<Pipeline<StreamDiffusionParams>> {
    throw new SdliveError('SDL_ERR_MODEL_LOAD', 'the StreamDiffusion pipeline is being built (issue 3)');
  },
};
