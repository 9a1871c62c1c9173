import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { testPatternTransport } from '../../src/io/test-pattern.js';
import { silentLogger } from '../../src/log.js';
import { GraphBuilder } from '../../src/models/onnx/graph-builder.js';
import { OPSET } from '../../src/models/tiny/nets.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import { runCli } from '../helpers/cli.js';
import { copyOfTiny } from '../models/helpers.js';
import { CopySink, serveHealth, until } from './harness.js';

/*
 * A model that loads but whose UNet fails every run inside onnxruntime (what webgpu on Mesa's lavapipe does):
 * the tiny model with a UNet of the same inputs and outputs that gathers batch index 7 of a batch of 1 or 2.
 */
function brokenUnetModel(): string {
  const dir = copyOfTiny('sd-turbo');
  const g = new GraphBuilder('unet', 1);
  const sample = g.input('sample', 'float32', ['batch_size', 4, 'height', 'width']);
  g.input('timestep', 'float32', ['batch_size']);
  g.input('encoder_hidden_states', 'float32', ['batch_size', 'sequence_length', 1024]);
  const picked = g.op('Gather', [sample, g.constant([1], BigInt64Array.of(7n))], { axis: 0 });
  g.output(picked, 'out_sample', 'float32', ['batch_size', 4, 'height', 'width']);
  writeFileSync(join(dir, 'unet/model.onnx'), g.toBytes(OPSET));
  return dir;
}

const model = brokenUnetModel();
after(() => rmSync(dirname(model), { recursive: true, force: true }));

test('sdlive bench on a model that fails every frame stops with one clear error line instead of looping', async () => {
  const r = await runCli(['bench', '--model', model, '--ep', 'cpu', '--frames', '5', '--set', 'width=256', '--set', 'height=256', '--json'], { timeoutMs: 90_000 });
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, '', 'no report');
  const last = r.stderr.trim().split('\n').at(-1)!;
  assert.match(last, /^sdlive: SDL_ERR_PIPELINE: the pipeline fails every frame \(5 in a row on cpu\) and no execution provider is left to fall back to: .*(Gather|indices|out of)/i);
});

test('the real pipeline failing every frame on its only provider: /health "failing" with the provider and the error', async () => {
  const definition = streamDiffusion as PipelineDefinition;
  const store = new ParameterStore(definition.schema, { model, execution_providers: ['cpu'], width: 256, height: 256 });
  const source = await testPatternTransport.openSource!('bars', { log: silentLogger, width: 256, height: 256, fps: 30 });
  const sink = new CopySink();
  const engine = new Engine({ definition, store, source, sinks: [sink], log: silentLogger });
  await engine.start();
  const { http, get } = await serveHealth(engine);
  try {
    await until('a failing streak', () => (engine.metrics().failStreak?.frames ?? 0) >= 5, 30_000);
    const h = await get();
    assert.deepEqual([h.status, h.body.status], [503, 'failing']);
    assert.match(h.body.reason, /^the pipeline fails every frame \(\d+ in a row on cpu\): .*; no execution provider left to fall back to$/);
    assert.deepEqual(engine.metrics().model.failedProviders.map((f) => [f.provider, f.next]), [['cpu', null]]);
    assert.ok(sink.frames.length > 0 && engine.frameCount === 0, 'the input is shown, no fresh frame');
  } finally {
    await http.close();
    await engine.stop();
  }
});
