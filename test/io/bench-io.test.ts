import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchShm } from '../../src/io/bench/shm-bench.js';

test('bench-io shm measurement runs its reader in another process and reports every figure', { timeout: 30_000 }, async () => {
  const r = await benchShm(64, 20);
  for (const t of [r.write, r.read, r.endToEnd]) {
    assert.ok(Number.isFinite(t.fps) && t.fps > 0, JSON.stringify(t));
    assert.ok(t.latencyMs && t.latencyMs.mean >= 0 && Number.isFinite(t.latencyMs.p95), JSON.stringify(t));
  }
  assert.ok(r.endToEnd.latencyMs!.mean < 100, 'a frame crosses processes in well under 100 ms');
});
