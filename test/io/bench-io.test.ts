import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchResize } from '../../src/bench/io/index.js';
import { benchShm } from '../../src/bench/io/shm.js';

test('bench-io shm measurement runs its reader in another process and reports every figure', { timeout: 30_000 }, async () => {
  const r = await benchShm(64, 20);
  for (const t of [r.write, r.read, r.endToEnd]) {
    assert.ok(Number.isFinite(t.fps) && t.fps > 0, JSON.stringify(t));
    assert.ok(t.latencyMs && t.latencyMs.mean >= 0 && Number.isFinite(t.latencyMs.p95), JSON.stringify(t));
  }
  // A few ms here; a reader that polled once a second or waited for the next write would take far longer.
  assert.ok(r.endToEnd.latencyMs!.mean < 1000, `a frame crosses processes in ${r.endToEnd.latencyMs!.mean} ms`);
});

test('bench-io resize is timed per frame: mean and p95 are separate figures', () => {
  const r = benchResize(512, 12);
  const { mean, p95 } = r.latencyMs!;
  assert.ok(mean > 0 && Number.isFinite(r.fps));
  assert.notEqual(p95, mean, 'p95 is a percentile of the samples, not the mean again');
  assert.ok(p95 >= mean * 0.5, JSON.stringify(r));
});
