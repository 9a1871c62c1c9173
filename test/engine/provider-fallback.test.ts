import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAIL_STREAK } from '../../src/engine/engine.js';
import { longestGap, serveHealth, startFakeEngine, until } from './harness.js';

test('a provider that loads but fails every frame: the engine falls back to the next one, once, and says so', async () => {
  const { engine, store, sink } = await startFakeEngine({ execution_providers: ['webgpu', 'cpu'], fail_provider: 'webgpu' }, 30);
  const { http, get } = await serveHealth(engine);
  try {
    assert.equal(engine.metrics().model.provider, 'webgpu', 'the worker reports the provider the pipeline runs on');
    const from = sink.frames.length;
    await until('frames on the fallback provider', () => engine.frameCount >= 3);
    const m = engine.metrics();
    assert.equal(m.model.provider, 'cpu');
    assert.equal(m.model.loads, 2, 'one background reload');
    assert.ok(m.errors.other! >= FAIL_STREAK, 'the fallback came after a failure streak');
    assert.deepEqual(m.model.failedProviders.map((f) => [f.provider, f.next]), [['webgpu', 'cpu']]);
    assert.match(m.model.failedProviders[0]!.error, /Kernel .* failed on webgpu/);
    // The input is shown while webgpu fails and the fallback loads: no gap in the output.
    assert.ok(longestGap(sink, from) < 300, `longest output gap ${longestGap(sink, from).toFixed(0)} ms`);
    const h = await get();
    assert.deepEqual([h.status, h.body.status], [200, 'degraded']);
    assert.match(h.body.reason, /^running on the fallback provider cpu: webgpu failed every frame \(.*Kernel/);
    assert.match(await (await fetch(`${http.url}/metrics`)).text(), /^sdlive_health\{status="degraded"\} 1$/m);
    // A later reload keeps the failed provider out; a new provider list gives it a new chance.
    assert.ok(store.update({ width: 128 }, 'osc').ok);
    await until('reloaded at 128', () => engine.metrics().model.width === 128);
    assert.equal(engine.metrics().model.provider, 'cpu');
    assert.ok(store.update({ execution_providers: ['webgpu'], fail_provider: '' }, 'osc').ok);
    await until('back on webgpu', () => engine.metrics().model.provider === 'webgpu');
    assert.deepEqual(engine.metrics().model.failedProviders, []);
  } finally {
    await http.close();
    await engine.stop();
  }
});

test('no provider left to fall back to: /health says "failing" with the error, the engine emits failing once', async () => {
  const { engine } = await startFakeEngine({ execution_providers: ['webgpu'], fail_provider: 'webgpu' }, 30);
  const failing: Error[] = [];
  engine.on('failing', (e) => failing.push(e));
  const { http, get } = await serveHealth(engine);
  try {
    await until('a failing streak', () => (engine.metrics().failStreak?.frames ?? 0) >= FAIL_STREAK + 3);
    const h = await get();
    assert.deepEqual([h.status, h.body.status], [503, 'failing']);
    assert.match(h.body.reason, /^the pipeline fails every frame \(\d+ in a row on webgpu\): .*Kernel .* failed on webgpu; no execution provider left to fall back to$/);
    assert.equal(failing.length, 1);
    assert.match(failing[0]!.message, /fails every frame .* no execution provider is left/);
    assert.equal(engine.metrics().model.loads, 1, 'no reload attempted');
    assert.match(await (await fetch(`${http.url}/metrics`)).text(), /^sdlive_fail_streak [1-9]\d*$/m);
  } finally {
    await http.close();
    await engine.stop();
  }
});

test('non-finite results: one stream state reset per streak (it reaches the worker), never a provider change', async () => {
  const { engine, store } = await startFakeEngine({ execution_providers: ['webgpu', 'cpu'], mode: 'nan' }, 30);
  const { http, get } = await serveHealth(engine);
  try {
    await until('a long NaN streak', () => (engine.metrics().errors.SDL_ERR_NONFINITE ?? 0) >= FAIL_STREAK + 5);
    const m = engine.metrics();
    assert.deepEqual([m.model.loads, m.model.provider, m.resets.count], [1, 'webgpu', 1]);
    assert.match(m.resets.lastReason!, /^3 non-finite results in a row: SDL_ERR_NONFINITE: unet output has NaN$/);
    const h = await get();
    assert.equal(h.body.status, 'failing');
    assert.match(h.body.reason, /in a row on webgpu, even after a stream state reset\): SDL_ERR_NONFINITE/);
    store.set('mode', 'ok', 'test');
    await until('frames again', () => engine.frameCount >= 3);
    assert.equal(engine.metrics().stages.resets!.last, 1, 'the fake pipeline was reset once');
    assert.equal((await get()).body.status, 'degraded', 'a recent reset');
  } finally {
    await http.close();
    await engine.stop();
  }
});
