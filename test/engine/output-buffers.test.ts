import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputPool } from '../../src/engine/output-pool.js';
import { CollectSink, CopySink, startFakeEngine, until } from './harness.js';

test('the output pool hands over its own buffers without a copy and copies anything else', () => {
  const pool = new OutputPool();
  const data = pool.take(16);
  const frame = { width: 2, height: 2, data, timestamp: 0 };
  assert.equal(pool.handOver(frame), frame, 'a whole buffer from take() goes as it is');
  const own = { width: 2, height: 2, data: new Uint8Array(16).fill(7), timestamp: 0 };
  const copied = pool.handOver(own);
  assert.notEqual(copied.data.buffer, own.data.buffer);
  assert.deepEqual([...copied.data], [...own.data]);
  const view = pool.take(32).subarray(0, 16);
  assert.notEqual(pool.handOver({ ...frame, data: view }).data.buffer, view.buffer, 'a view into a pool buffer is copied');
  pool.give([data.buffer as ArrayBuffer]);
  assert.equal(pool.take(16).buffer, data.buffer, 'a buffer given back is taken again');
  assert.notEqual(pool.take(16).buffer, data.buffer, 'and only once');
});

test('with sinks that copy on write, output buffers go back to the worker and every frame stays intact', async () => {
  const sink = new CopySink();
  const { engine } = await startFakeEngine({ gain: 2 }, 60, undefined, sink);
  try {
    await until('20 frames', () => engine.frameCount >= 20);
    assert.equal(engine.metrics().stages.recycled!.median, 1, 'the pipeline writes into recycled buffers');
    for (const f of sink.frames.slice(-15)) {
      assert.equal(f.data[0], 64 / 4, 'marker pixel of the fake model');
      assert.ok(f.data.every((v, i) => i % 4 !== 3 || v === 255));
    }
  } finally {
    await engine.stop();
  }
});

test('a sink that keeps frames (asynchronous writes) stops recycling: frames it holds are never taken back', async () => {
  const sink = new CollectSink();
  const { engine } = await startFakeEngine({ gain: 2 }, 60, undefined, sink);
  try {
    await until('20 frames', () => engine.frameCount >= 20);
    assert.equal(engine.metrics().stages.recycled!.median, 0);
    assert.ok(sink.frames.every((f) => f.data.byteLength === 64 * 64 * 4 && f.data[0] !== undefined), 'no held frame was detached');
  } finally {
    await engine.stop();
  }
});
