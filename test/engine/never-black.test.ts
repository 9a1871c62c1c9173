import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PipelineHost } from '../../src/engine/pipeline-host.js';
import { FAKE_MODULE } from './fake-pipelines.js';
import { isBlack, longestGap, sleep, startFakeEngine, until } from './harness.js';

test('before the first pipeline frame the output carries the input, never nothing or black', async () => {
  const started = startFakeEngine({ load_ms: 800 }, 30);
  const { engine, sink } = await started;
  try {
    // start() resolved after the 800 ms load; the input was shown meanwhile.
    const placeholders = sink.frames.length;
    assert.ok(placeholders >= 10, `${placeholders} input frames shown while loading`);
    assert.notEqual(sink.frames[0]!.data[0], 16, 'the first frames are the input, not pipeline output');
    await until('pipeline frames', () => engine.frameCount >= 3);
    assert.ok(sink.frames.every((f) => f.width === 64 && !isBlack(f)));
    // A stall would last the whole 800 ms load; 300 ms leaves room for a loaded CI machine.
    assert.ok(longestGap(sink) < 300, `longest gap ${longestGap(sink).toFixed(0)} ms`);
  } finally {
    await engine.stop();
  }
});

test('a reload loads in a second worker while the old model keeps serving, then swaps', async () => {
  const { engine, store, sink } = await startFakeEngine({}, 30);
  try {
    await until('frames', () => engine.frameCount >= 3);
    const from = sink.frames.length;
    assert.ok(store.update({ width: 128, load_ms: 700 }, 'osc').ok);
    await until('loading', () => engine.metrics().model.loading);
    await sleep(400);
    assert.equal(engine.metrics().model.width, 64, 'the old model still runs');
    assert.equal(sink.frames.at(-1)!.data[0], 64 / 4, 'frames come from the old model during the reload');
    await until('swap', () => sink.frames.at(-1)!.width === 128);
    assert.equal(sink.frames.at(-1)!.data[0], 128 / 4);
    const m = engine.metrics();
    assert.equal(m.model.loads, 2);
    assert.equal(m.model.loading, false);
    // A stall would last the whole 700 ms load; 300 ms leaves room for a loaded CI machine.
    assert.ok(longestGap(sink, from) < 300, `longest output gap during the reload ${longestGap(sink, from).toFixed(0)} ms`);
    assert.ok(sink.frames.slice(from).every((f) => !isBlack(f)));
  } finally {
    await engine.stop();
  }
});

test('a failed reload keeps the old model and reports why', async () => {
  const { engine, store, sink } = await startFakeEngine({}, 30);
  try {
    await until('frames', () => engine.frameCount >= 2);
    store.update({ fail_load: true, width: 128 }, 'osc');
    await until('load failure', () => engine.metrics().model.loadFailures === 1);
    const n = engine.frameCount;
    await until('frames after the failure', () => engine.frameCount >= n + 3);
    const m = engine.metrics();
    assert.match(m.model.lastLoadError!, /SDL_ERR_MODEL_LOAD: fake model refuses to load/);
    assert.equal(m.model.width, 64);
    assert.equal(sink.frames.at(-1)!.data[0], 64 / 4);
    const params = store.snapshot as { fail_load: boolean; width: number };
    assert.deepEqual([params.fail_load, params.width], [false, 64], 'the store shows what is loaded again');
    assert.ok(store.update({ width: 128 }, 'osc').ok);
    await until('the next load-time change loads', () => sink.frames.at(-1)!.width === 128);
    assert.equal(engine.metrics().model.loadFailures, 1);
  } finally {
    await engine.stop();
  }
});

test('a pipeline failing from its very first frame still shows the input, never an empty or black frame', async () => {
  const { engine, sink } = await startFakeEngine({ mode: 'throw' }, 30);
  try {
    await until('failures', () => engine.metrics().failures >= 3);
    const after = sink.frames.slice(-3);
    assert.ok(after.every((f) => f.data.byteLength === 64 * 64 * 4 && !isBlack(f)), 'the input is shown while every step fails');
  } finally {
    await engine.stop();
  }
});

test('an inference error holds the last good frame, counts, and recovers', async () => {
  const { engine, store, sink } = await startFakeEngine({}, 30);
  try {
    await until('frames', () => engine.frameCount >= 2);
    store.set('mode', 'throw', 'osc');
    await until('failures', () => engine.metrics().failures >= 5);
    const good = engine.output!;
    const tail = sink.frames.slice(-3);
    assert.ok(tail.every((f) => f === good), 'the sink gets the last good frame while the pipeline fails');
    assert.equal(engine.metrics().errors.SDL_ERR_PIPELINE, engine.metrics().failures);
    store.set('mode', 'ok', 'osc');
    const n = engine.frameCount;
    await until('recovery', () => engine.frameCount >= n + 2);
    assert.notEqual(sink.frames.at(-1), good);
  } finally {
    await engine.stop();
  }
});

test('NaN guard: a non-finite result never reaches the sink', async () => {
  const { engine, store, sink } = await startFakeEngine({}, 30);
  try {
    await until('frames', () => engine.frameCount >= 2);
    store.set('mode', 'nan', 'osc');
    await sleep(50);
    const good = engine.output!;
    const from = sink.frames.length;
    await until('NaN frames', () => (engine.metrics().errors.SDL_ERR_NONFINITE ?? 0) >= 5);
    assert.ok(sink.frames.slice(from).every((f) => f === good));
    assert.ok(sink.frames.length > from, 'the output keeps flowing (held frame)');
    assert.equal(engine.metrics().state, 'running');
  } finally {
    await engine.stop();
  }
});

test('a crashed worker is restarted with the last good parameters; the last good frame is held meanwhile', async () => {
  const { engine, store, sink } = await startFakeEngine({}, 30);
  try {
    await until('frames', () => engine.frameCount >= 2);
    const good = engine.output!;
    store.set('mode', 'crash', 'osc');
    await until('worker error', () => (engine.metrics().errors.SDL_ERR_WORKER ?? 0) >= 1);
    store.set('mode', 'ok', 'osc');
    const from = sink.frames.length;
    await sleep(100);
    assert.ok(sink.frames.slice(from).every((f) => f === good), 'held frame while the worker restarts');
    const n = engine.frameCount;
    await until('frames from the restarted worker', () => engine.frameCount >= n + 3);
    assert.ok(engine.metrics().model.workerRestarts >= 1);
    assert.equal(engine.metrics().model.loaded, true);
  } finally {
    await engine.stop();
  }
});

test('worker protocol: an unknown message code ends the worker and becomes an error event', async () => {
  const host = new PipelineHost();
  await host.load({ pipeline: 'fake', module: FAKE_MODULE, params: { width: 64, height: 64 }, logLevel: 'silent' });
  const error = new Promise<Error>((resolve) => host.once('error', resolve));
  (host as unknown as { worker: { postMessage(m: unknown): void } }).worker.postMessage({ code: 'bogus' });
  assert.match((await error).message, /SDL_ERR_WORKER|inference worker crashed: .*unknown message code "bogus"/);
  await assert.rejects(host.process([], {}), /inference worker is gone/);
  await host.terminate();
});
