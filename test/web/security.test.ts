import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { RunningApp } from '../../src/app.js';
import { encodeMessage } from '../../src/control/osc/codec.js';
import { sleep, until } from '../engine/harness.js';
import { startTestApp } from './app-harness.js';
import { closeCode, openSocket, postJson, send } from './http-client.js';

/** Opens a WebSocket, retrying while earlier sockets of this file are still closing (the cap counts them). */
async function openWhenFree(base: string, path: string): Promise<WebSocket> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50)) {
    const ws = await openSocket(base, path);
    if (ws instanceof WebSocket) return ws;
    assert.equal(ws, 503);
  }
  return assert.fail(`${path}: no free WebSocket slot within 10 s`);
}

const fpsCap = (app: RunningApp) => (app.store.snapshot as { fps_cap: number }).fps_cap;

async function refusedCount(base: string, reason: string, headers: Record<string, string> = {}): Promise<number> {
  const text = (await send(base, '/metrics', { headers })).body;
  return Number(new RegExp(`^sdlive_http_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

describe('bound to loopback, no token', () => {
  let app: RunningApp;
  let base: string;
  let port: string;
  const sameOrigin = () => `http://127.0.0.1:${port}`;

  before(async () => {
    app = await startTestApp({}, { http: { max_websockets: 3 } });
    base = app.http.url;
    port = new URL(base).port;
  });
  after(() => app.stop());

  test('a foreign Host header is refused with 421 (DNS rebinding); loopback names, with or without the port, pass', async () => {
    const before = await refusedCount(base, 'host');
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `evil.example@127.0.0.1:${port}`]) {
      const res = await send(base, '/api/params', { headers: { host } });
      assert.equal(res.status, 421, `Host "${host}"`);
      assert.match((JSON.parse(res.body) as { error: string }).error, /not this server/);
    }
    for (const host of [`127.0.0.1:${port}`, '127.0.0.1', `localhost:${port}`, 'LocalHost', `[::1]:${port}`]) {
      assert.equal((await send(base, '/api/params', { headers: { host } })).status, 200, `Host "${host}"`);
    }
    assert.equal(await openSocket(base, '/', { host: `evil.example:${port}` }), 421);
    assert.equal(await refusedCount(base, 'host'), before + 5);
  });

  test('a POST from a foreign Origin is refused with 403 and changes nothing; a same-origin POST applies', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${Number(port) + 1}`, 'null', `https://localhost.evil.example:${port}`]) {
      const res = await postJson(base, '/api/params', { fps_cap: 7 }, { origin });
      assert.equal(res.status, 403, `Origin ${origin}`);
    }
    assert.equal((await postJson(base, '/api/commands/step', {}, { origin: 'http://evil.example' })).status, 403);
    assert.equal(fpsCap(app), 0);
    const res = await postJson(base, '/api/params', { fps_cap: 7 }, { origin: sameOrigin() });
    assert.equal(res.status, 200);
    assert.equal(fpsCap(app), 7);
    assert.equal((await postJson(base, '/api/params', { fps_cap: 8 }, { origin: `http://localhost:${port}`, host: `localhost:${port}` })).status, 200);
    assert.equal(fpsCap(app), 8);
    app.store.set('fps_cap', 0, 'http');
  });

  test('a POST that is not JSON (a CORS "simple request") is refused with 415 before its body is read', async () => {
    const body = JSON.stringify({ fps_cap: 9 });
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      assert.equal((await send(base, '/api/params', { method: 'POST', headers: { 'content-type': type }, body })).status, 415, type);
    }
    assert.equal((await send(base, '/api/params', { method: 'POST', body })).status, 415, 'no content-type');
    assert.equal(fpsCap(app), 0);
    assert.equal((await send(base, '/api/params', { method: 'POST', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body })).status, 200);
    assert.equal(fpsCap(app), 9);
    app.store.set('fps_cap', 0, 'http');
  });

  test('a WebSocket from a foreign Origin is refused with 403; same-origin and Origin-less clients connect', async () => {
    for (const path of ['/', '/preview']) assert.equal(await openSocket(base, path, { origin: 'http://evil.example' }), 403, path);
    for (const headers of [{ origin: sameOrigin() }, {}] as Record<string, string>[]) {
      const ws = await openSocket(base, '/', headers);
      assert.ok(ws instanceof WebSocket, `${JSON.stringify(headers)}: ${String(ws)}`);
      ws.close();
    }
  });

  test('an oversized WebSocket message closes that socket only; the server and the other sockets live on', async () => {
    const bystander = await openWhenFree(base, '/');
    const sender = await openWhenFree(base, '/');
    sender.send(Buffer.alloc(64 * 1024));
    const code = closeCode(sender);
    sender.send(Buffer.alloc((1 << 20) + 1));
    assert.equal(await code, 1009);
    bystander.send(encodeMessage('/sdlive/fps_cap', [5]));
    await until('the other socket still sets parameters', () => fpsCap(app) === 5);
    assert.equal((await send(base, '/health')).status, 200);
    bystander.close();
    app.store.set('fps_cap', 0, 'http');
  });

  test('WebSockets beyond http.max_websockets are refused with 503 at upgrade; a freed slot can be used again', async () => {
    const open = [await openWhenFree(base, '/'), await openWhenFree(base, '/preview'), await openWhenFree(base, '/')];
    assert.equal(await openSocket(base, '/'), 503);
    assert.equal(await openSocket(base, '/preview'), 503);
    assert.ok((await refusedCount(base, 'websockets')) >= 2);
    open.pop()!.close();
    open.push(await openWhenFree(base, '/preview'));
    for (const ws of open) ws.close();
  });
});

describe('bound beyond loopback (0.0.0.0, reached over 127.0.0.1)', () => {
  const token = 'tablet-token-1234';
  const auth = { authorization: `Bearer ${token}` };
  let app: RunningApp;
  let base: string;
  let port: string;

  before(async () => {
    app = await startTestApp({}, { http: { host: '0.0.0.0', token, allowed_hosts: ['Show-PC.local'], allowed_origins: ['http://show-pc.local:9001'] } });
    base = app.http.url;
    port = new URL(base).port;
  });
  after(() => app?.stop());

  test('Host: loopback names, this machine\'s addresses and http.allowed_hosts pass; other names get 421', async () => {
    const own = Object.values(networkInterfaces()).flat().find((i) => i && !i.internal && i.family === 'IPv4')?.address;
    const good = [`127.0.0.1:${port}`, `show-pc.local:${port}`, 'SHOW-PC.LOCAL', ...(own ? [`${own}:${port}`] : [])];
    for (const host of good) assert.equal((await send(base, '/api/params', { headers: { host, ...auth } })).status, 200, `Host "${host}"`);
    for (const host of [`show-pc.local.evil.example:${port}`, `tablet.local:${port}`, `192.0.2.1:${port}`]) {
      assert.equal((await send(base, '/api/params', { headers: { host, ...auth } })).status, 421, `Host "${host}"`);
    }
  });

  test('Origin: a page served from an http.allowed_origins origin may POST; the same name on another port may not', async () => {
    assert.equal((await postJson(base, '/api/params', { fps_cap: 4 }, { origin: 'http://show-pc.local:9002', ...auth })).status, 403);
    assert.equal(fpsCap(app), 0);
    assert.equal((await postJson(base, '/api/params', { fps_cap: 4 }, { origin: 'http://show-pc.local:9001', ...auth })).status, 200);
    assert.equal(fpsCap(app), 4);
    const ws = await openSocket(base, '/preview', { origin: 'http://show-pc.local:9001', host: `show-pc.local:${port}`, ...auth });
    assert.ok(ws instanceof WebSocket, String(ws));
    ws.close();
  });
});
