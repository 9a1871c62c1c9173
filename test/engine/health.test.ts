import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../../src/app.js';
import { engineHttpPlugin } from '../../src/engine/http-plugin.js';
import { HttpHub } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { startFakeEngine, until } from './harness.js';

test('/health turns 503 "stalled" when the pipeline keeps failing, and 200 again when it recovers', async () => {
  const { engine, store } = await startFakeEngine({}, 30);
  const http = new HttpHub({ port: 0, host: '127.0.0.1' }, silentLogger);
  await engineHttpPlugin.register({ http, engine, store } as unknown as App);
  await http.listen();
  const get = async () => {
    const res = await fetch(`${http.url}/health`);
    return { status: res.status, body: (await res.json()) as { status: string; reason: string } };
  };
  try {
    await until('frames', () => engine.frameCount >= 2);
    assert.equal((await get()).status, 200);
    store.set('mode', 'throw', 'test');
    await until('stall', () => (engine.metrics().lastFrameAgeMs ?? 0) > 2100, 5000);
    const stalled = await get();
    assert.equal(stalled.status, 503);
    assert.equal(stalled.body.status, 'stalled');
    assert.match(stalled.body.reason, /the pipeline is failing; the last good frame is held/);
    const metrics = await (await fetch(`${http.url}/metrics`)).text();
    assert.match(metrics, /^sdlive_pipeline_errors_total\{code="SDL_ERR_PIPELINE"\} [1-9]\d*$/m);
    store.set('mode', 'ok', 'test');
    await until('recovered', () => (engine.metrics().lastFrameAgeMs ?? 1e9) < 100);
    assert.equal((await get()).status, 200);
  } finally {
    await http.close();
    await engine.stop();
  }
});
