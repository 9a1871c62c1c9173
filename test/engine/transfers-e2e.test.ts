import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { renderTestPattern } from '../../src/io/test-pattern.js';
import { silentLogger } from '../../src/log.js';
import type { Transfers } from '../../src/models/sd-models.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import { CopySink, StillSource, until } from './harness.js';

const SIZE = 256;

test('the engine\'s timing event carries each fresh frame\'s host<->device transfers from the worker (what `sdlive bench` reads)', async () => {
  const definition = streamDiffusion as PipelineDefinition;
  const store = new ParameterStore(definition.schema, { model: 'builtin:tiny', execution_providers: ['cpu'], width: SIZE, height: SIZE, cfg_type: 'none', t_index_list: [20] });
  const engine = new Engine({ definition, store, source: new StillSource(renderTestPattern(SIZE, SIZE, 5, 30)), sinks: [new CopySink()], log: silentLogger });
  const seen: (Transfers | undefined)[] = [];
  engine.on('timing', (_, transfers) => seen.push(transfers));
  await engine.start();
  try {
    await until('fresh frames', () => seen.length >= 3, 60_000);
  } finally {
    await engine.stop();
  }
  // On the CPU host path: preprocess, encoder, UNet (sample, timestep, embeddings), decoder, postprocess inputs up.
  const last = seen.at(-1)!;
  assert.equal(last.up.tensors, 7);
  assert.ok(last.up.bytes > SIZE * SIZE * 4 && last.down.tensors === 6, JSON.stringify(last));
});
