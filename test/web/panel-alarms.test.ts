import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';
import { until } from '../engine/harness.js';
import { startTestApp } from './app-harness.js';
import { launchBrowser, noBrowser as skip, openControlPage } from './browser-harness.js';

/** The alarm banner: the /health state, its reason and the spec concerned, impossible to miss. */
let browser: Browser;
const apps: RunningApp[] = [];

before(async () => {
  if (!skip) browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await Promise.all(apps.map((a) => a.stop()));
});

async function open(params: Record<string, unknown>, opts: { input?: string; pipeline?: string } = {}): Promise<{ app: RunningApp; page: Page }> {
  const app = await startTestApp(params, { pipeline: opts.pipeline, input: opts.input });
  apps.push(app);
  return { app, page: await openControlPage(browser, app) };
}

const banner = (page: Page) => page.locator('#alarm');

async function bannerSays(page: Page, title: RegExp, timeout = 20_000): Promise<string> {
  await page.waitForFunction((source) => {
    const el = document.getElementById('alarm');
    return el && !el.hidden && new RegExp(source).test(el.querySelector('.title')?.textContent ?? '');
  }, title.source, { timeout });
  return banner(page).innerText();
}

test('no banner while frames flow; the header shows the health state', { skip }, async () => {
  const { page } = await open({});
  await page.waitForFunction(() => document.getElementById('health')?.textContent === 'ok', null, { timeout: 20_000 });
  assert.equal(await banner(page).isVisible(), false);
});

test('an input that sends no frames: a banner naming the input spec, an alarm once the stall window passed', { skip }, async () => {
  const input = `shm:sdlive-page-alarm-${process.pid}`;
  const { page } = await open({}, { input });
  const text = await bannerSays(page, /^No input frames$/);
  assert.match(text, /no input frames for \d+ s from shm:sdlive-page-alarm-/);
  assert.match(text, new RegExp(`input: ${input}`));
  assert.equal(await banner(page).getAttribute('data-level'), 'alarm');
  assert.equal(await page.locator('#health').textContent(), 'stalled');
  await page.screenshot({ path: '/tmp/sdlive-page-alarm.png' });
});

test('a model that fails to load: the banner says so with the loader\'s reason', { skip }, async () => {
  const { app, page } = await open({ model: 'builtin:tiny', execution_providers: ['cpu'], fps_cap: 5 }, { pipeline: 'streamdiffusion' });
  assert.ok(app.store.update({ model: '/nonexistent/sdlive-model' }, 'config').ok);
  await until('the failed reload', () => Boolean(app.engine.metrics().model.lastLoadError), 60_000);
  const text = await bannerSays(page, /^Model reload failed$/);
  assert.match(text, /the last reload failed; the previous model keeps running/);
  assert.match(text, /model: streamdiffusion \(/);
});

test('an output frozen by NaN (stream state resets while State says running): a banner with the reason and the outputs', { skip }, async () => {
  const { app, page } = await open({ model: 'builtin:tiny', execution_providers: ['cpu'], t_index_list: [0], cfg_type: 'self', guidance_scale: 20, delta: 5 }, { pipeline: 'streamdiffusion' });
  await until('a stream state reset', () => app.engine.metrics().resets.count >= 1, 90_000);
  const text = await bannerSays(page, /^(Output unstable: the stream state was reset|Output frozen: the pipeline fails on every frame)$/);
  assert.match(text, /non-finite|SDL_ERR_NONFINITE/);
  assert.match(text, /outputs: /);
});
