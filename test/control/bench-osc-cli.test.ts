import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';

test('sdlive bench-osc with small counts prints latency percentiles and flood throughput and exits 0', { timeout: 120_000 }, async () => {
  const r = await runCli(['bench-osc', '--messages', '50', '--flood', '500', '--rate', '5000'], { timeoutMs: 110_000 });
  assert.equal(r.code, 0, r.stderr);
  const [engine, latency, flood] = r.stdout.trim().split('\n');
  const e = /^pipeline passthrough, address \/sdlive\/fps_cap, engine ([\d.]+) fps \((\d+) frames\)$/.exec(engine ?? '');
  assert.ok(e, engine);
  assert.ok(Number(e[1]) > 0 && Number(e[2]) > 0, 'the pipeline ran during the benchmark');
  const l = /^latency \(send -> applied\), 50 messages: p50 ([\d.]+) ms, p95 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms$/.exec(latency ?? '');
  assert.ok(l, latency);
  const [p50, p95, p99, max] = l.slice(1).map(Number) as [number, number, number, number];
  assert.ok(p50 > 0 && p50 <= p95 && p95 <= p99 && p99 <= max, latency);
  // A message is applied within milliseconds; seconds would mean it waited for something else.
  assert.ok(p50 < 1000, latency);
  const f = /^flood from another thread at 5000 msg\/s: 500 sent in ([\d.]+) s, (\d+) handled in ([\d.]+) s = (\d+) msg\/s, last value applied: (true|false)$/.exec(flood ?? '');
  assert.ok(f, flood);
  const handled = Number(f[2]);
  assert.ok(handled > 0 && handled <= 500, flood);
  assert.ok(Number(f[4]) > 0, flood);
});
