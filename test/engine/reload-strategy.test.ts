import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { unloadsFirst } from '../../src/engine/reload-strategy.js';
import { testPatternTransport } from '../../src/io/test-pattern.js';
import { silentLogger } from '../../src/log.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { FAKE_RELOAD_MODULE, fakeReload } from './fake-reload-pipeline.js';
import { CollectSink, isBlack, longestGap, until } from './harness.js';

const GB = 2 ** 30;

test('reload strategy: explicit choices hold; auto unloads first only on cpu when free RAM cannot hold a second copy', () => {
  const cpu = (freeGb: number, modelGb = 2) => ({ provider: 'cpu', modelBytes: modelGb * GB, freeBytes: freeGb * GB });
  assert.equal(unloadsFirst('unload_first', cpu(100)), true);
  assert.equal(unloadsFirst('parallel', cpu(0.1)), false);
  assert.equal(unloadsFirst('auto', cpu(2)), true, '2 GB free for a 2 GB model: no room for its load');
  assert.equal(unloadsFirst('auto', cpu(8)), false);
  assert.equal(unloadsFirst('auto', { provider: 'cpu', modelBytes: undefined, freeBytes: 0.1 * GB }), false, 'model size unknown: parallel');
  assert.equal(unloadsFirst('auto', { provider: 'cuda', modelBytes: 2 * GB, freeBytes: 0.1 * GB }), false, 'GPU memory is not known: parallel');
  assert.equal(unloadsFirst(undefined, cpu(0.1)), false, 'a pipeline without the parameter reloads in parallel');
  assert.equal(StreamDiffusionParams.parse({}).reload_strategy, 'auto');
});

async function startEngine(reloadStrategy: string) {
  const definition = fakeReload as PipelineDefinition;
  const store = new ParameterStore(definition.schema, { reload_strategy: reloadStrategy });
  const source = await testPatternTransport.openSource!('bars', { log: silentLogger, width: 64, height: 64, fps: 30 });
  const sink = new CollectSink();
  const engine = new Engine({ definition, store, source, sinks: [sink], log: silentLogger, pipelineModule: FAKE_RELOAD_MODULE });
  await engine.start();
  return { engine, store, sink };
}

/** Reloads at width 128 with a 700 ms load; returns what the metrics showed while it loaded. */
async function reloadAndWatch(reloadStrategy: string) {
  const { engine, store, sink } = await startEngine(reloadStrategy);
  try {
    await until('frames', () => engine.frameCount >= 3);
    const from = sink.frames.length;
    assert.ok(store.update({ width: 128, load_ms: 700 }, 'osc').ok);
    const seen = { unloadedWhileLoading: false, loadingSeen: false };
    await until('swap', () => {
      const { model } = engine.metrics();
      seen.loadingSeen ||= model.loading;
      seen.unloadedWhileLoading ||= model.loading && !model.loaded;
      return sink.frames.at(-1)!.width === 128;
    }, 20_000);
    assert.equal(sink.frames.at(-1)!.data[0], 128 / 4, 'the new model runs');
    assert.ok(sink.frames.slice(from).every((f) => !isBlack(f)), 'never a black frame');
    // A stall would last the whole 700 ms load; 300 ms leaves room for a loaded machine.
    assert.ok(longestGap(sink, from) < 300, `longest output gap during the reload ${longestGap(sink, from).toFixed(0)} ms`);
    return seen;
  } finally {
    await engine.stop();
  }
}

test('unload_first: the running model is released before the new one loads; the outputs hold the last frame meanwhile', async () => {
  const seen = await reloadAndWatch('unload_first');
  assert.equal(seen.unloadedWhileLoading, true);
});

test('parallel: the running model keeps serving while the new one loads', async () => {
  const seen = await reloadAndWatch('parallel');
  assert.equal(seen.loadingSeen, true);
  assert.equal(seen.unloadedWhileLoading, false);
});
