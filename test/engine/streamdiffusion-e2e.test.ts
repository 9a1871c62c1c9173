import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { MODEL_CHOICES, modelCatalogue } from '../../src/models/catalogue.js';
import type { Frame } from '../../src/io/frame.js';
import { renderTestPattern, testPatternTransport } from '../../src/io/test-pattern.js';
import type { FrameSource } from '../../src/io/transport.js';
import { silentLogger } from '../../src/log.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { fake, FAKE_MODULE, type FakeParams } from './fake-pipelines.js';
import { CopySink, serveHealth, StillSource, until } from './harness.js';

/*
 * The engine with the REAL StreamDiffusion pipeline in its worker, on the generated tiny model (real onnxruntime
 * sessions on the CPU) at 256x256.
 */
const SIZE = 256;
const BASE = { model: 'builtin:tiny', execution_providers: ['cpu'], width: SIZE, height: SIZE };

const still = () => renderTestPattern(SIZE, SIZE, 5, 30);

async function startReal(params: Record<string, unknown>, opts: { source?: FrameSource; maxFrames?: number } = {}) {
  const definition = streamDiffusion as PipelineDefinition;
  // The catalogue the app gives its store: over OSC a model is one of these names.
  const store = new ParameterStore(definition.schema, { ...BASE, ...params }, { [MODEL_CHOICES]: modelCatalogue([]) });
  const source = opts.source ?? (await testPatternTransport.openSource!('bars', { log: silentLogger, width: SIZE, height: SIZE, fps: 30 }));
  const sink = new CopySink();
  const engine = new Engine({ definition, store, source, sinks: [sink], log: silentLogger, maxFrames: opts.maxFrames });
  const fresh: number[] = [];
  engine.on('timing', () => fresh.push(performance.now()));
  await engine.start();
  return { engine, store, sink, fresh };
}

const same = (a: Frame, b: Frame) => Buffer.from(a.data).equals(Buffer.from(b.data));

test('real pipeline: frames flow, the worker reports its provider, a runtime change applies without a reload', async () => {
  const { engine, store, sink } = await startReal({ cfg_type: 'none' }, { source: new StillSource(still()) });
  try {
    await until('fresh frames', () => engine.frameCount >= 5, 30_000);
    assert.equal(engine.metrics().model.provider, 'cpu');
    const settled = sink.frames.at(-1)!;
    assert.ok(same(sink.frames.at(-2)!, settled), 'a still input gives the same picture frame after frame');
    const n = engine.frameCount;
    assert.ok(store.update({ prompt: 'a marble statue, studio light', delta: 0.5 }, 'osc').ok);
    // Fresh frames, not sink frames: a live sink also gets held repeats when the pipeline is slower than the cadence.
    await until('fresh frames after the change', () => engine.frameCount >= n + 3, 30_000);
    assert.ok(!same(sink.frames.at(-1)!, settled), 'the new prompt changes the picture');
    assert.equal(engine.metrics().model.loads, 1, 'no reload for runtime parameters');
    assert.equal(engine.metrics().failures, 0);
  } finally {
    await engine.stop();
  }
});

test('real pipeline: Stream Batch warm-up results are not fresh; --frames N gives N real frames', async () => {
  const params = { t_index_list: [10, 20, 30] };
  const { engine, sink } = await startReal(params, { source: new StillSource(still()), maxFrames: 3 });
  await new Promise<void>((resolve) => (engine.metrics().state === 'stopped' ? resolve() : engine.once('done', resolve)));
  await engine.stop();
  const m = engine.metrics();
  assert.deepEqual([m.frameCount, m.warmupFrames, sink.frames.length], [3, 2, 3]);
  // The same steps straight on the pipeline: results 3..5 are the pictures, 1 and 2 the warm-up.
  const direct = await streamDiffusion.load(StreamDiffusionParams.parse({ ...BASE, ...params }), { log: silentLogger });
  try {
    const outputs: { frame: Frame; warmup: boolean }[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await direct.process([{ ...still(), data: still().data }], StreamDiffusionParams.parse({ ...BASE, ...params }));
      outputs.push({ frame: { ...r[0]!, data: r[0]!.data.slice() }, warmup: r.warmup === true });
    }
    assert.deepEqual(outputs.map((o) => o.warmup), [true, true, false, false, false]);
    assert.ok(!same(outputs[0]!.frame, outputs[2]!.frame));
    assert.ok(sink.frames.every((f, i) => same(f, outputs[i + 2]!.frame)), 'the sink got results 3, 4, 5: no warm-up frame');
  } finally {
    await direct.dispose();
  }
});

test('real pipeline: a reload to another tiny variant swaps while the old model keeps serving', async () => {
  const { engine, store, fresh } = await startReal({});
  try {
    await until('fresh frames', () => engine.frameCount >= 3, 30_000);
    const from = fresh.length;
    assert.ok(store.set('model', 'builtin:tiny-sd15', 'osc').ok);
    await until('the swap', () => engine.metrics().model.loads === 2 && !engine.metrics().model.loading, 60_000);
    const n = engine.frameCount;
    await until('fresh frames from the new model', () => engine.frameCount >= n + 3, 30_000);
    const m = engine.metrics();
    assert.equal(m.model.loadFailures, 0);
    let worst = 0;
    for (let i = from + 1; i < fresh.length; i++) worst = Math.max(worst, fresh[i]! - fresh[i - 1]!);
    // Without a background load the fresh frames would stop for the whole load.
    assert.ok(worst < m.model.lastLoadMs, `longest gap between fresh frames ${worst.toFixed(0)} ms, load ${m.model.lastLoadMs.toFixed(0)} ms`);
  } finally {
    await engine.stop();
  }
});

test('real pipeline: a killed worker is restarted with its sessions and fresh frames resume', async () => {
  const { engine, sink } = await startReal({});
  try {
    await until('fresh frames', () => engine.frameCount >= 3, 30_000);
    const good = engine.output!;
    await (engine as unknown as { host: { worker: Worker } }).host.worker.terminate();
    await until('the crash noticed', () => engine.metrics().model.workerRestarts === 1);
    const from = sink.frames.length;
    assert.ok(sink.frames.slice(from).every((f) => same(f, good)), 'the last good frame is held meanwhile');
    const n = engine.frameCount;
    await until('fresh frames from the new worker', () => engine.frameCount >= n + 3, 30_000);
    assert.deepEqual([engine.metrics().model.loaded, engine.metrics().model.loads], [true, 2]);
  } finally {
    await engine.stop();
  }
});

test('real pipeline: residual CFG diverging to NaN on every step resets the stream state, fresh frames resume, /health says so', async () => {
  const { engine } = await startReal({ t_index_list: [0], cfg_type: 'self', guidance_scale: 20, delta: 5 });
  const { http, get } = await serveHealth(engine);
  try {
    await until('a stream state reset', () => engine.metrics().resets.count >= 1, 60_000);
    const atReset = engine.frameCount;
    assert.ok((engine.metrics().errors.SDL_ERR_NONFINITE ?? 0) >= 3);
    await until('fresh frames after the reset', () => engine.frameCount >= atReset + 5, 30_000);
    const h = await get();
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'degraded');
    assert.match(h.body.reason, /^stream state reset \d+ times?, the last [\d.]+ s ago, after 3 non-finite results in a row: SDL_ERR_NONFINITE/);
    assert.ok(h.body.resets.count >= 1);
    // It diverges again from the fresh state: the reset repeats rather than the output freezing.
    await until('a second reset', () => engine.metrics().resets.count >= 2, 60_000);
    assert.ok(engine.frameCount > atReset + 5);
  } finally {
    await http.close();
    await engine.stop();
  }
});

/** How long stop() takes with the fake pipeline's step stuck after `stuck` is set. */
async function stopWithStuckStep(stuck: Partial<FakeParams>): Promise<number> {
  const definition = fake as PipelineDefinition;
  const source = await testPatternTransport.openSource!('bars', { log: silentLogger, width: 64, height: 64, fps: 30 });
  const engine = new Engine({ definition, store: new ParameterStore(definition.schema), source, sinks: [new CopySink()], log: silentLogger, pipelineModule: FAKE_MODULE });
  await engine.start();
  await until('frames', () => engine.frameCount >= 2);
  assert.ok(engine.store.update(stuck, 'test').ok);
  await until('the stuck frame in flight', () => engine.metrics().queues.inflight === 1 && (engine.metrics().lastFrameAgeMs ?? 0) > 200);
  const t0 = performance.now();
  await engine.stop();
  assert.equal(engine.metrics().state, 'stopped');
  return performance.now() - t0;
}

// Before the bound, stop() waited for the stuck step forever; now at most 1 s each for the frame, dispose, terminate.
test('stop() with a frame in flight that never returns finishes within a bound', async () => {
  const ms = await stopWithStuckStep({ mode: 'hang' });
  assert.ok(ms < 6000, `stop took ${ms.toFixed(0)} ms`);
});

test('stop() with a worker thread blocked in a step (as in a native call) finishes within a bound', async () => {
  const ms = await stopWithStuckStep({ block_ms: 600_000 });
  assert.ok(ms < 6000, `stop took ${ms.toFixed(0)} ms`);
});
