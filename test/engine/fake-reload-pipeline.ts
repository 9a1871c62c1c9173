import { z } from 'zod';
import { RELOAD_STRATEGIES } from '../../src/engine/reload-strategy.js';
import type { Pipeline, PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { param } from '../../src/schema/param.js';
import { fake, FakeParams } from './fake-pipelines.js';

/** The fake pipeline with a reload_strategy parameter, as streamdiffusion has (test-only, loaded by the worker). */
export const FakeReloadParams = FakeParams.extend({
  reload_strategy: param(z.enum(RELOAD_STRATEGIES).default('parallel'), { label: 'reload_strategy', group: 'Model', order: 0, phase: 'load', description: 'reload_strategy' }),
});

export const fakeReload: PipelineDefinition<typeof FakeReloadParams> = {
  name: 'fake_reload',
  description: 'The fake pipeline, with reload_strategy.',
  schema: FakeReloadParams,
  load: (params, ctx) => fake.load(params, ctx) as Promise<Pipeline<z.output<typeof FakeReloadParams>>>,
};

export const pipelines: Record<string, PipelineDefinition> = { fake_reload: fakeReload as PipelineDefinition };
export const FAKE_RELOAD_MODULE = import.meta.url;
