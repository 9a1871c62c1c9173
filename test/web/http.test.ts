import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import type { RunningApp } from '../../src/app.js';
import { until } from '../engine/harness.js';
import { startTestApp } from './app-harness.js';

let app: RunningApp;
let base: string;

before(async () => {
  app = await startTestApp();
  base = app.http.url;
  await until('frames', () => app.engine.frameCount >= 5);
});
after(() => app.stop());

test('/metrics speaks the Prometheus text format with frame counters and per-stage summaries', async () => {
  const res = await fetch(`${base}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  assert.ok(value('sdlive_frames_total') >= 5);
  assert.equal(value('sdlive_up'), 1);
  assert.ok(value('sdlive_fps') > 5, `fps ${value('sdlive_fps')}`);
  assert.match(text, /^# TYPE sdlive_stage_ms summary$/m);
  for (const stage of ['receive', 'preprocess', 'pipeline', 'ipc', 'send']) assert.match(text, new RegExp(`^sdlive_stage_ms\\{stage="${stage}",quantile="0.95"\\} [0-9.e-]+$`, 'm'));
  assert.match(text, /^sdlive_memory_bytes\{kind="rss"\} \d+$/m);
  assert.match(text, /^sdlive_io_frames_total\{spec="test:bars",direction="in"\} \d+$/m);
  for (const line of text.trim().split('\n')) assert.match(line, /^(# (HELP|TYPE) sdlive_\w+ .+|sdlive_\w+(\{[^}]*\})? -?[0-9.e+-]+)$/, line);
});

test('/health is 200 while frames flow and while paused', async () => {
  let res = await fetch(`${base}/health`);
  let body = (await res.json()) as { status: string; fps: number };
  assert.equal(res.status, 200);
  assert.equal(body.status, 'ok');
  app.store.set('paused', true, 'http');
  await until('paused state', () => app.engine.metrics().state === 'paused');
  res = await fetch(`${base}/health`);
  body = (await res.json()) as typeof body;
  assert.deepEqual([res.status, body.status], [200, 'paused']);
  app.store.set('paused', false, 'http');
});

test('/api/params lists every schema parameter with its value; POST changes it or names the error', async () => {
  const got = (await (await fetch(`${base}/api/params`)).json()) as { specs: { key: string }[]; values: Record<string, unknown> };
  assert.deepEqual(got.specs.map((s) => s.key), app.store.specs.map((s) => s.key));
  assert.deepEqual(got.values, app.store.snapshot);
  let res = await fetch(`${base}/api/params`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fps_cap: 24 }) });
  assert.equal(res.status, 200);
  assert.equal(app.store.get('fps_cap' as never), 24);
  res = await fetch(`${base}/api/params`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ fps_cap: 1000 }) });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { error: string }).error, /^SDL_ERR_PARAM: fps_cap/);
  res = await fetch(`${base}/api/params`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"fps_cap": ' });
  assert.equal(res.status, 400);
  app.store.set('fps_cap', 0, 'http');
});

test('/ui/ serves the page and its modules, and nothing outside the static folder', async () => {
  const page = await fetch(`${base}/ui/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="app.js">/);
  const js = await fetch(`${base}/ui/panels/params.js`);
  assert.match(js.headers.get('content-type')!, /text\/javascript/);
  for (const bad of ['/ui/../../package.json', '/ui/%2e%2e/%2e%2e/package.json', '/ui/nope.js']) assert.equal((await fetch(`${base}${bad}`)).status, 404, bad);
  assert.equal((await fetch(`${base}/ui`, { redirect: 'manual' })).status, 301);
});

test('/preview sends downscaled input and output pictures as RGBA with a small header', async () => {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/preview`);
  const kinds = new Set<number>();
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (data: Buffer) => {
      const [kind, w, h] = [data.readUInt8(0), data.readUInt16LE(4), data.readUInt16LE(6)];
      assert.ok(w <= 256 && h <= 256 && w > 0);
      assert.equal(data.length, 8 + w * h * 4);
      assert.ok(data.subarray(8).some((v, i) => i % 4 !== 3 && v > 0), 'not a black picture');
      kinds.add(kind);
      if (kinds.size === 2) resolve();
    });
    ws.on('error', reject);
  });
  ws.close();
  assert.deepEqual([...kinds].sort(), [0, 1]);
});
