import { SdliveError } from '../errors.js';
import { didYouMeanSuffix } from '../util/did-you-mean.js';
import { withEngineParams } from './engine-params.js';
import { passthrough } from './passthrough/index.js';
import type { PipelineDefinition } from './pipeline.js';
import { streamDiffusion } from './streamdiffusion/index.js';

/** The pipelines by name, each schema with the engine's parameters (fps_cap, paused) merged in. */
export const PIPELINES: Readonly<Record<string, PipelineDefinition>> = Object.freeze({
  streamdiffusion: withEngineParams(streamDiffusion as PipelineDefinition),
  passthrough: withEngineParams(passthrough as PipelineDefinition),
});

export function pipelineByName(name: string): PipelineDefinition {
  const def = PIPELINES[name];
  if (!def) {
    throw new SdliveError('SDL_ERR_CONFIG', `config field "pipeline" = "${name}": unknown pipeline${didYouMeanSuffix(name, Object.keys(PIPELINES))}; one of: ${Object.keys(PIPELINES).join(', ')}`, 'pipeline');
  }
  return def;
}
