import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';
import type { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { until } from '../engine/harness.js';
import { startTestApp } from './app-harness.js';
import { launchBrowser, noBrowser as skip } from './browser-harness.js';

/*
 * A tablet on the LAN: the page loaded as http://show-pc.local:<port>/ui/?token=... (Chromium resolves the name to
 * 127.0.0.1, so the Host and Origin checks see a LAN name), touch, a tablet's screen.
 */
const TOKEN = 'tablet-token-1234';
const NAME = 'show-pc.local';

let app: RunningApp;
let browser: Browser;

before(async () => {
  if (skip) return;
  app = await startTestApp({ model: 'builtin:tiny', execution_providers: ['cpu'], fps_cap: 5 }, { pipeline: 'streamdiffusion', http: { token: TOKEN, allowed_hosts: [NAME] } });
  browser = await launchBrowser([`--host-resolver-rules=MAP ${NAME} 127.0.0.1`]);
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

test('from a tablet with ?token=: every asset loads, values, previews and health arrive, a prompt and a slider apply', { skip }, async () => {
  const context = await browser.newContext({ viewport: { width: 1180, height: 820 }, hasTouch: true });
  const page = await context.newPage();
  const failed: string[] = [];
  page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
  page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
  page.on('pageerror', (e) => failed.push(`page error ${e.message}`));
  try {
    await page.goto(`http://${NAME}:${app.http.port}/ui/?token=${TOKEN}`);
    await page.waitForFunction(() => document.getElementById('channel-state')?.textContent === 'live (OSCQuery)', null, { timeout: 15_000 });
    await page.waitForFunction(() => document.getElementById('health')?.textContent === 'ok', null, { timeout: 30_000 });
    await page.waitForFunction(() => (document.getElementById('preview-output') as HTMLCanvasElement).width > 0, null, { timeout: 15_000 });
    await page.locator('.param[data-key=prompt] textarea').fill('[blurry] a lighthouse');
    await page.locator('.param[data-key=prompt] textarea').press('Enter');
    await until('the prompt from the tablet', () => (app.store.snapshot as StreamDiffusionParams).prompt === '[blurry] a lighthouse', 10_000);
    await page.locator('.param[data-key=delta] input[type=range]').fill('2');
    await until('delta from the tablet', () => (app.store.snapshot as StreamDiffusionParams).delta === 2, 10_000);
    await page.locator('.param[data-key=paused] input[type=checkbox]').tap();
    await until('paused from a tap', () => (app.store.snapshot as StreamDiffusionParams).paused, 10_000);
    await page.waitForFunction(() => document.getElementById('health')?.textContent === 'paused', null, { timeout: 10_000 });
    assert.deepEqual(failed, []);
  } finally {
    await context.close();
  }
});
