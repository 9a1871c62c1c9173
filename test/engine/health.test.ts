import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { fake, FAKE_MODULE } from './fake-pipelines.js';
import { CollectSink, serveHealth, SilentSource, startFakeEngine, until } from './harness.js';

test('/health with a loaded model and a silent input says no input frames arrive (503 "stalled" after the stall window)', async (t) => {
  const definition = fake as PipelineDefinition;
  const engine = new Engine({ definition, store: new ParameterStore(definition.schema), source: new SilentSource(), sinks: [new CollectSink()], log: silentLogger, pipelineModule: FAKE_MODULE });
  await engine.start();
  const { http, get } = await serveHealth(engine);
  try {
    assert.equal(engine.metrics().state, 'waiting');
    assert.equal(engine.metrics().model.loaded, true);
    const early = await get();
    assert.equal(early.status, 503);
    // Within the stall window (counted from the load) the engine is still starting; a loaded machine may answer only after it.
    const sinceReady = engine.metrics().sinceReadyMs ?? 0;
    if (sinceReady < 2000) assert.deepEqual([early.body.status, early.body.reason], ['starting', 'model loaded; waiting for the first input frame']);
    else t.diagnostic(`the first answer came ${Math.round(sinceReady)} ms after the load, past the stall window`);
    await until('the stall window', () => (engine.metrics().sinceReadyMs ?? 0) > 2100, 30_000);
    const silent = await get();
    assert.equal(silent.status, 503);
    assert.equal(silent.body.status, 'stalled');
    assert.match(silent.body.reason, /^model loaded; no input frames for [2-9] s from silent:$/);
  } finally {
    await http.close();
    await engine.stop();
  }
});

test('/health turns 503 "failing" when the pipeline fails every frame, and 200 again when it recovers', async () => {
  const { engine, store } = await startFakeEngine({}, 30);
  const { http, get } = await serveHealth(engine);
  try {
    await until('frames', () => engine.frameCount >= 2, 30_000);
    assert.equal((await get()).status, 200);
    store.set('mode', 'throw', 'test');
    await until('a failure streak', () => (engine.metrics().failStreak?.frames ?? 0) >= 5, 30_000);
    const failing = await get();
    assert.equal(failing.status, 503);
    assert.equal(failing.body.status, 'failing');
    assert.match(failing.body.reason, /^the pipeline fails every frame \(\d+ in a row on cpu\): SDL_ERR_PIPELINE: injected inference error; no execution provider left to fall back to$/);
    const metrics = await (await fetch(`${http.url}/metrics`)).text();
    assert.match(metrics, /^sdlive_pipeline_errors_total\{code="SDL_ERR_PIPELINE"\} [1-9]\d*$/m);
    const failedAt = engine.frameCount;
    store.set('mode', 'ok', 'test');
    await until('fresh frames again', () => engine.frameCount >= failedAt + 2, 60_000);
    const ok = await get();
    assert.deepEqual([ok.status, ok.body.status], [200, 'ok']);
    assert.deepEqual(engine.metrics().model.failedProviders, [], 'cpu, with nothing to fall back to, is in use again');
  } finally {
    await http.close();
    await engine.stop();
  }
});
