import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { frameBytes } from '../../src/io/frame.js';
import { silentLogger } from '../../src/log.js';
import { launchBrowser, noBrowser as skip, openControlPage } from './browser-harness.js';

/** The page's Outputs panel: record on cue, outputs added and removed, refusals shown. */
const dir = mkdtempSync(join(tmpdir(), 'sdlive-panel-outputs-'));
let app: RunningApp;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  app = await startApp(resolveConfig({
    pipeline: 'passthrough', params: { width: 256, height: 256 }, http: { port: 0 }, midi: { enabled: false },
    osc: { port: 0, host: '127.0.0.1', zeroconf: false }, recordings: { folder: dir },
  }), silentLogger);
  browser = await launchBrowser();
  page = await openControlPage(browser, app);
});

after(async () => {
  await browser?.close();
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const panel = () => page.locator('#panel-outputs');
const listed = () => page.$$eval('#panel-outputs ul.outputs li', (items) => items.map((li) => li.textContent ?? ''));

test('the record button records a named take into recordings.folder and stops it', { skip, timeout: 60_000 }, async () => {
  await panel().locator('input[placeholder^="take"]').fill('page-take.rgba');
  await panel().getByRole('button', { name: '● Record' }).click();
  await page.waitForFunction(() => /Stop recording page-take\.rgba/.test(document.querySelector('#panel-outputs button.record')?.textContent ?? ''), null, { timeout: 10_000 });
  await page.waitForFunction(() => [...document.querySelectorAll('#panel-outputs li')].some((li) => /page-take\.rgba \(recording\): [1-9]/.test(li.textContent ?? '')), null, { timeout: 10_000 });
  await panel().locator('button.record').click();
  await page.waitForFunction(() => document.querySelector('#panel-outputs button.record')?.textContent === '● Record', null, { timeout: 10_000 });
  const size = statSync(join(dir, 'page-take.rgba')).size;
  assert.ok(size > 0 && size % frameBytes(256, 256) === 0, `whole frames recorded (${size} bytes)`);
});

test('an output added from the page is listed and removed by its button; a refusal is shown with its reason', { skip, timeout: 60_000 }, async () => {
  const spec = `shm:sdlive-panel-${process.pid}`;
  const field = panel().locator('input[placeholder^="shm:"]');
  await field.fill(spec);
  await panel().getByRole('button', { name: 'Add output' }).click();
  await page.waitForFunction((s) => [...document.querySelectorAll('#panel-outputs li')].some((li) => li.textContent?.startsWith(s)), spec, { timeout: 10_000 });
  assert.deepEqual(app.engine.metrics().io.sinks.map((s) => s.spec), [spec]);
  await panel().locator('li', { hasText: spec }).getByRole('button', { name: 'Remove' }).click();
  await page.waitForFunction(() => document.querySelectorAll('#panel-outputs li').length === 0, null, { timeout: 10_000 });
  assert.deepEqual(await listed(), []);
  await field.fill(`file:${join(dir, 'x.mp4')}`);
  await panel().getByRole('button', { name: 'Add output' }).click();
  await page.waitForFunction(() => /may not write files/.test(document.querySelector('#panel-outputs .note')?.textContent ?? ''), null, { timeout: 10_000 });
});
