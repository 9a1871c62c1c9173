import { SdliveError } from '../errors.js';
import { didYouMean } from '../util/did-you-mean.js';
import { passthrough } from './passthrough/index.js';
import type { PipelineDefinition } from './pipeline.js';
import { streamDiffusion } from './streamdiffusion/index.js';

export const PIPELINES: Readonly<Record<string, PipelineDefinition>> = Object.freeze({
  streamdiffusion: streamDiffusion as PipelineDefinition,
  passthrough: passthrough as PipelineDefinition,
});

export function pipelineByName(name: string): PipelineDefinition {
  const def = PIPELINES[name];
  if (!def) {
    const hint = didYouMean(name, Object.keys(PIPELINES));
    throw new SdliveError('SDL_ERR_CONFIG', `config field "pipeline" = "${name}": unknown pipeline${hint ? ` (did you mean "${hint}"?)` : ''}; one of: ${Object.keys(PIPELINES).join(', ')}`, 'pipeline');
  }
  return def;
}
