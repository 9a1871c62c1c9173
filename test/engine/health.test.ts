import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../../src/app.js';
import { Engine } from '../../src/engine/engine.js';
import { engineHttpPlugin } from '../../src/engine/http-plugin.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { HttpHub } from '../../src/http/server.js';
import { StatsCounter, type FrameSource } from '../../src/io/transport.js';
import { silentLogger } from '../../src/log.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { fake, FAKE_MODULE } from './fake-pipelines.js';
import { CollectSink, startFakeEngine, until } from './harness.js';

/** An input nobody writes to (like shm:nowriter): never a frame. */
class SilentSource implements FrameSource {
  readonly spec = 'silent:';
  latest() {
    return undefined;
  }
  stats() {
    return new StatsCounter().snapshot();
  }
  async close(): Promise<void> {}
}

async function serveHealth(engine: Engine) {
  const http = new HttpHub({ port: 0, host: '127.0.0.1' }, silentLogger);
  await engineHttpPlugin.register({ http, engine } as unknown as App);
  await http.listen();
  const get = async () => {
    const res = await fetch(`${http.url}/health`);
    return { status: res.status, body: (await res.json()) as { status: string; reason: string } };
  };
  return { http, get };
}

test('/health with a loaded model and a silent input says no input frames arrive (503 "stalled" after the stall window)', async (t) => {
  const definition = fake as PipelineDefinition;
  const engine = new Engine({ definition, store: new ParameterStore(definition.schema), source: new SilentSource(), sinks: [new CollectSink()], log: silentLogger, pipelineModule: FAKE_MODULE });
  const { http, get } = await serveHealth(engine);
  try {
    await engine.start();
    assert.equal(engine.metrics().state, 'waiting');
    assert.equal(engine.metrics().model.loaded, true);
    const early = await get();
    assert.equal(early.status, 503);
    // Within the stall window the engine is still starting; a loaded machine may answer only after it.
    if (engine.metrics().uptimeMs < 2000) assert.deepEqual([early.body.status, early.body.reason], ['starting', 'model loaded; waiting for the first input frame']);
    else t.diagnostic(`the first answer came ${Math.round(engine.metrics().uptimeMs)} ms after start, past the stall window`);
    await until('the stall window', () => engine.metrics().uptimeMs > 2100, 30_000);
    const silent = await get();
    assert.equal(silent.status, 503);
    assert.equal(silent.body.status, 'stalled');
    const seconds = /^model loaded; no input frames for (\d+) s from silent:$/.exec(silent.body.reason)?.[1];
    assert.ok(Number(seconds) >= 2, silent.body.reason);
  } finally {
    await http.close();
    await engine.stop();
  }
});

test('/health turns 503 "stalled" when the pipeline keeps failing, and 200 again when it recovers', async () => {
  const { engine, store } = await startFakeEngine({}, 30);
  const { http, get } = await serveHealth(engine);
  try {
    await until('frames', () => engine.frameCount >= 2, 60_000);
    assert.equal((await get()).status, 200);
    store.set('mode', 'throw', 'test');
    await until('stall', () => (engine.metrics().lastFrameAgeMs ?? 0) > 2100, 30_000);
    const stalled = await get();
    assert.equal(stalled.status, 503);
    assert.equal(stalled.body.status, 'stalled');
    assert.match(stalled.body.reason, /the pipeline is failing; the last good frame is held/);
    const metrics = await (await fetch(`${http.url}/metrics`)).text();
    assert.match(metrics, /^sdlive_pipeline_errors_total\{code="SDL_ERR_PIPELINE"\} [1-9]\d*$/m);
    const failedAt = engine.frameCount;
    store.set('mode', 'ok', 'test');
    await until('fresh frames again', () => engine.frameCount >= failedAt + 2, 60_000);
    assert.equal((await get()).status, 200);
  } finally {
    await http.close();
    await engine.stop();
  }
});
