import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutputPool } from '../../src/engine/output-pool.js';
import type { Frame } from '../../src/io/frame.js';
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

/** A sink that copies on write (no retainsFrames) and also keeps the engine's own frames: it sees every recycle. */
class RecycleProbe extends CopySink {
  readonly originals: Frame[] = [];

  override write(frame: Frame): void {
    this.originals.push(frame);
    super.write(frame);
  }
}

/** A sink that keeps the engine's frames (retainsFrames) and a snapshot of each, to compare with later. */
class SnapshotSink extends CollectSink {
  readonly snapshots: Uint8Array[] = [];

  override write(frame: Frame): void {
    this.snapshots.push(frame.data.slice());
    super.write(frame);
  }
}

const FRAME_BYTES = 64 * 64 * 4;

/** Frames from the first one the model made on (the input is shown until then). */
function fromFirstModelFrame<T>(items: T[], data: (item: T) => Uint8Array): T[] {
  const first = items.findIndex((item) => data(item)[0] === 64 / 4);
  assert.ok(first >= 0, 'the model made frames');
  return items.slice(first);
}

function assertFakeModelFrame(data: Uint8Array, what: string): void {
  assert.equal(data.byteLength, FRAME_BYTES, `${what}: its buffer was taken back`);
  assert.equal(data[0], 64 / 4, `${what}: marker pixel of the fake model`);
  assert.ok(data.every((v, i) => i % 4 !== 3 || v === 255), `${what}: alpha`);
}

test('with sinks that copy on write, output buffers go back to the worker and every frame stays intact', async () => {
  const sink = new RecycleProbe();
  const { engine, store } = await startFakeEngine({ gain: 2 }, 60, undefined, sink);
  try {
    await until('40 frames', () => engine.frameCount >= 40, 60_000);
    assert.equal(engine.metrics().stages.recycled!.median, 1, 'the pipeline writes into recycled buffers');
    // A failing step sends the last good frame again: it must not have gone back to the worker with the step.
    store.set('mode', 'throw', 'test');
    await until('5 failed steps', () => engine.metrics().failures >= 5, 60_000);
    fromFirstModelFrame(sink.frames, (f) => f.data).forEach((f, i) => assertFakeModelFrame(f.data, `copy of model frame ${i}`));
    assertFakeModelFrame(engine.output!.data, 'the frame the sinks carry now');
    // What a sink that keeps frames without saying so would see: the engine took the buffers back.
    const earlier = [...new Set(sink.originals)].slice(-30, -2);
    const detached = earlier.filter((f) => f.data.byteLength === 0).length;
    assert.ok(detached >= 10, `${detached} of the ${earlier.length} frames before the last two went back to the worker`);
  } finally {
    await engine.stop();
  }
});

test('a sink that keeps frames (asynchronous writes) stops recycling: frames it holds keep their pixels', async () => {
  const sink = new SnapshotSink();
  const { engine } = await startFakeEngine({ gain: 2 }, 60, undefined, sink);
  try {
    await until('20 frames', () => engine.frameCount >= 20, 60_000);
    const held = sink.frames.map((frame, i) => ({ frame, snapshot: sink.snapshots[i]! }));
    await until('20 more frames', () => engine.frameCount >= 40, 60_000);
    assert.equal(engine.metrics().stages.recycled!.median, 0);
    fromFirstModelFrame(held, (h) => h.snapshot).forEach(({ frame, snapshot }, i) => {
      assertFakeModelFrame(frame.data, `held model frame ${i}, 20 frames later`);
      assert.deepEqual(frame.data, snapshot, `held model frame ${i} has the pixels it was written with`);
    });
  } finally {
    await engine.stop();
  }
});
