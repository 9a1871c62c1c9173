import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { WebSocket } from 'ws';
import type { RunningApp } from '../../src/app.js';
import { startTestApp } from './app-harness.js';
import { openSocket, postJson, send } from './http-client.js';

const TOKEN = 'correct horse;battery';
const QUERY = `token=${encodeURIComponent(TOKEN)}`;
const CHROMIUM = '/usr/bin/chromium';
const noChromium = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;

let app: RunningApp;
let base: string;

before(async () => {
  app = await startTestApp({}, { http: { token: TOKEN } });
  base = app.http.url;
});
after(() => app.stop());

/** The cookie a reply sets, as a browser would send it back. */
function cookieFrom(headers: { 'set-cookie'?: string[] }): string {
  const set = headers['set-cookie']?.[0];
  assert.ok(set, 'the reply sets a cookie');
  assert.match(set, /^sdlive_token=[^;]+; HttpOnly; SameSite=Strict; Path=\/$/);
  return set.split(';')[0]!;
}

test('without a token every route answers 401 and every WebSocket upgrade is refused with 401', async () => {
  for (const path of ['/api/params', '/ui/', '/ui/style.css', '/metrics', '/health', '/sdlive/fps_cap?VALUE', '/?HOST_INFO']) {
    const res = await send(base, path);
    assert.equal(res.status, 401, path);
    assert.match(res.body, /token required/);
  }
  assert.equal((await postJson(base, '/api/params', { fps_cap: 3 })).status, 401);
  assert.equal((app.store.snapshot as { fps_cap: number }).fps_cap, 0);
  for (const path of ['/', '/preview']) assert.equal(await openSocket(base, path), 401, path);
});

test('a wrong token is refused in the header, the query and the cookie alike', async () => {
  for (const wrong of ['correct horse;batter', `${TOKEN}x`, '', 'x'.repeat(TOKEN.length)]) {
    const bearer = { authorization: `Bearer ${wrong}` };
    assert.equal((await send(base, '/api/params', { headers: bearer })).status, 401, `header "${wrong}"`);
    assert.equal((await send(base, `/api/params?token=${encodeURIComponent(wrong)}`)).status, 401, `query "${wrong}"`);
    assert.equal((await send(base, '/api/params', { headers: { cookie: `sdlive_token=${encodeURIComponent(wrong)}` } })).status, 401, `cookie "${wrong}"`);
    assert.equal(await openSocket(base, `/?token=${encodeURIComponent(wrong)}`), 401, `WebSocket "${wrong}"`);
  }
});

test('the token in an Authorization: Bearer header is accepted and the reply sets the token cookie', async () => {
  const res = await send(base, '/api/params', { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  cookieFrom(res.headers);
});

test('?token= is removed before OSCQuery sees the query: /sdlive/fps_cap?VALUE&token=... answers VALUE', async () => {
  const formEncoded = new URLSearchParams({ token: TOKEN }).toString();
  for (const path of [`/sdlive/fps_cap?VALUE&${QUERY}`, `/sdlive/fps_cap?${QUERY}&VALUE`, `/sdlive/fps_cap?VALUE&${formEncoded}`]) {
    const res = await send(base, path);
    assert.equal(res.status, 200, `${path}: ${res.body}`);
    assert.deepEqual(JSON.parse(res.body), { VALUE: [0] });
  }
  const node = JSON.parse((await send(base, `/sdlive/fps_cap?${QUERY}`)).body) as { FULL_PATH: string };
  assert.equal(node.FULL_PATH, '/sdlive/fps_cap');
  const info = JSON.parse((await send(base, `/?HOST_INFO&${QUERY}`)).body) as { WS_PORT: number };
  assert.equal(info.WS_PORT, app.http.port);
});

test('after the first page load with ?token= the cookie alone fetches the page\'s assets and the API', async () => {
  const page = await send(base, `/ui/?${QUERY}`);
  assert.equal(page.status, 200);
  const cookie = cookieFrom(page.headers);
  for (const asset of ['/ui/style.css', '/ui/app.js', '/ui/panels/params.js', '/api/params']) {
    const res = await send(base, asset, { headers: { cookie: `theme=dark; ${cookie}` } });
    assert.equal(res.status, 200, asset);
    assert.equal(res.headers['set-cookie'], undefined, `${asset}: no cookie set again`);
  }
  assert.equal((await postJson(base, '/api/params', { fps_cap: 3 }, { cookie })).status, 200);
  assert.equal((app.store.snapshot as { fps_cap: number }).fps_cap, 3);
  app.store.set('fps_cap', 0, 'http');
});

test('WebSocket upgrades pass with the token in the query, the Authorization header or the cookie', async () => {
  const cookie = cookieFrom((await send(base, `/ui/?${QUERY}`)).headers);
  for (const [path, headers] of [[`/?${QUERY}`, {}], ['/preview', { authorization: `Bearer ${TOKEN}` }], ['/', { cookie }], ['/preview', { cookie }]] as const) {
    const ws = await openSocket(base, path, headers);
    assert.ok(ws instanceof WebSocket, `${path} ${JSON.stringify(headers)}: ${String(ws)}`);
    ws.close();
  }
});

test('in Chromium, /ui/?token= loads the page\'s CSS and modules and its live values arrive over the WebSocket', { skip: noChromium }, async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('response', (r) => r.status() >= 400 && !r.url().endsWith('/favicon.ico') && failed.push(`${r.status()} ${r.url()}`));
    page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
    await page.goto(`${base}/ui/?${QUERY}`);
    await page.waitForFunction(() => document.getElementById('channel-state')?.textContent === 'live (OSCQuery)', null, { timeout: 15_000 });
    const rules = await page.evaluate(() => [...document.styleSheets].find((s) => s.href?.endsWith('/ui/style.css'))?.cssRules.length ?? 0);
    assert.ok(rules > 0, 'style.css applied');
    app.store.set('fps_cap', 12.5, 'http');
    await page.waitForFunction(() => (document.querySelector('.param[data-key=fps_cap] input[type=range]') as HTMLInputElement | null)?.value === '12.5', null, { timeout: 10_000 });
    assert.deepEqual(failed, []);
  } finally {
    await browser.close();
    app.store.set('fps_cap', 0, 'http');
  }
});
