import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { Engine } from '../../src/engine/engine.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { testPatternTransport } from '../../src/io/test-pattern.js';
import { silentLogger } from '../../src/log.js';
import { GraphBuilder } from '../../src/models/onnx/graph-builder.js';
import { createSession, sessionOptions } from '../../src/models/providers.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import { until } from '../engine/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'sdlive-trt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CACHE_ENTRIES = (path: string) => ({ tensorrtexecutionprovider: { trt_engine_cache_enable: '1', trt_engine_cache_path: path } });

test('tensorrt_cache_dir: tensorrt sessions get the cache as session config entries (absolute path), other providers nothing', () => {
  const trt = sessionOptions('tensorrt', { deviceId: 1, tensorrtCacheDir: 'trt-cache' });
  assert.deepEqual(trt.executionProviders, [{ name: 'tensorrt', deviceId: 1 }], 'onnxruntime-node reads only deviceId there');
  assert.deepEqual((trt.extra as { ep?: unknown }).ep, CACHE_ENTRIES(resolve('trt-cache')));
  assert.equal((sessionOptions('cuda', { tensorrtCacheDir: 'trt-cache' }).extra as { ep?: unknown }).ep, undefined);
  assert.equal((sessionOptions('tensorrt', { tensorrtCacheDir: '' }).extra as { ep?: unknown }).ep, undefined, 'empty: no cache');
});

test('onnxruntime-node accepts those config entries at session creation (a real session with them runs)', async () => {
  const g = new GraphBuilder('relu', 1);
  g.output(g.op('Relu', [g.input('x', 'float32', [2])]), 'y', 'float32', [2]);
  const options = { ...sessionOptions('tensorrt', { tensorrtCacheDir: dir }), executionProviders: ['cpu'] };
  assert.deepEqual((options.extra as { ep?: unknown }).ep, CACHE_ENTRIES(dir), 'the entries are in the options created with');
  const session = await createSession(g.toBytes(17), options);
  const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2), [2]) });
  await session.release();
  assert.deepEqual(Array.from(y!.data as Float32Array), [0, 2]);
});

test('the ORT_TENSORRT_* variables set while the inference worker loads reach the process environment native code reads', async () => {
  delete process.env.ORT_TENSORRT_ENGINE_CACHE_ENABLE;
  delete process.env.ORT_TENSORRT_CACHE_PATH;
  const definition = streamDiffusion as PipelineDefinition;
  const params = { model: 'builtin:tiny', execution_providers: ['tensorrt', 'cpu'], tensorrt_cache_dir: dir, width: 256, height: 256 };
  const store = new ParameterStore(definition.schema, params);
  const source = await testPatternTransport.openSource!('bars', { log: silentLogger, width: 256, height: 256, fps: 30 });
  const engine = new Engine({ definition, store, source, sinks: [], log: silentLogger });
  try {
    await engine.start();
    await until('the model loaded', () => engine.metrics().model.loaded, 60_000);
    assert.equal(engine.metrics().model.provider, 'cpu', 'this build has no tensorrt: the next provider');
    // The main thread's process.env is the real environment; a worker's own copy would never show here.
    assert.deepEqual([process.env.ORT_TENSORRT_ENGINE_CACHE_ENABLE, process.env.ORT_TENSORRT_CACHE_PATH], ['1', dir]);
  } finally {
    await engine.stop();
  }
});

test('tensorrt_cache_dir is a load-time field the config and command line set, never a remote peer', () => {
  const store = new ParameterStore(streamDiffusion.schema, {});
  assert.equal(store.snapshot.tensorrt_cache_dir, '');
  assert.equal(store.spec('tensorrt_cache_dir')?.phase, 'load');
  const remote = store.update({ tensorrt_cache_dir: '/etc' }, 'osc');
  assert.ok(!remote.ok && /tensorrt_cache_dir: cannot be set over the network/.test(remote.error.message));
  assert.ok(store.update({ tensorrt_cache_dir: dir }, 'cli').ok);
});
