import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { fake, FAKE_MODULE } from './fake-pipelines.js';
import { CollectSink, serveHealth, SilentSource, startFakeEngine, until } from './harness.js';

test('/health after a model load longer than the stall window: "starting" until a stall window passes after the load', async () => {
  const definition = fake as PipelineDefinition;
  const store = new ParameterStore(definition.schema, { load_ms: 2600 });
  const engine = new Engine({ definition, store, source: new SilentSource(), sinks: [new CollectSink()], log: silentLogger, pipelineModule: FAKE_MODULE });
  await engine.start();
  const { http, get } = await serveHealth(engine);
  try {
    assert.ok(engine.metrics().uptimeMs > 2600, 'the load took longer than the 2 s stall window');
    const early = await get();
    assert.deepEqual([early.status, early.body.status, early.body.reason], [503, 'starting', 'model loaded; waiting for the first input frame']);
    await until('a stall window after the load', () => (engine.metrics().sinceReadyMs ?? 0) > 2100, 5000);
    const late = await get();
    assert.equal(late.body.status, 'stalled');
    assert.match(late.body.reason, /^model loaded; no input frames for 2 s from silent:$/);
  } finally {
    await http.close();
    await engine.stop();
  }
});

test('/health after a failed reload: 200 "degraded" with the reason while the previous model serves; "ok" after a good load', async () => {
  const { engine, store } = await startFakeEngine({}, 30);
  const { http, get } = await serveHealth(engine);
  try {
    await until('frames', () => engine.frameCount >= 2);
    assert.equal((await get()).body.status, 'ok');
    store.update({ fail_load: true, width: 128 }, 'osc');
    await until('load failure', () => engine.metrics().model.loadFailures === 1);
    const n = engine.frameCount;
    await until('frames after the failure', () => engine.frameCount >= n + 2);
    const h = await get();
    assert.deepEqual([h.status, h.body.status], [200, 'degraded']);
    assert.equal(h.body.reason, 'the last reload failed; the previous model keeps running: SDL_ERR_MODEL_LOAD: fake model refuses to load');
    assert.ok(store.update({ width: 128 }, 'osc').ok);
    await until('a good load', () => engine.metrics().model.width === 128);
    await until('ok again', () => engine.frameCount >= n + 6);
    assert.equal((await get()).body.status, 'ok');
  } finally {
    await http.close();
    await engine.stop();
  }
});
