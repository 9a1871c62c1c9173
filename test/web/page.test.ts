import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';
import { encodeMessage } from '../../src/control/osc/codec.js';
import { controlSurfaceOf } from '../../src/control/surface.js';
import { until } from '../engine/harness.js';
import { startTestApp } from './app-harness.js';
import { launchBrowser, noBrowser as skip, openControlPage } from './browser-harness.js';

let app: RunningApp;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  app = await startTestApp();
  browser = await launchBrowser();
  page = await openControlPage(browser, app);
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

test('the page shows a control for every schema parameter', { skip }, async () => {
  const keys = await page.$$eval('.param', (rows) => rows.map((r) => (r as HTMLElement).dataset.key));
  assert.deepEqual([...keys].sort(), app.store.specs.map((s) => s.key).sort());
  assert.deepEqual(await page.$$eval('#panel-perform .param', (rows) => rows.map((r) => (r as HTMLElement).dataset.key)), ['paused', 'blackout', 'fade'], 'the performer\'s controls first');
  assert.equal(await page.locator('.param[data-key=fps_cap] input[type=range]').getAttribute('max'), '240');
  assert.equal(await page.locator('.param[data-key=paused] input[type=checkbox]').count(), 1);
});

test('the preview canvases show the input and output pictures (not blank)', { skip }, async () => {
  for (const id of ['preview-input', 'preview-output']) {
    await page.waitForFunction((canvasId) => {
      const c = document.getElementById(canvasId) as HTMLCanvasElement;
      if (!c.width) return false;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      return px.some((v, i) => i % 4 !== 3 && v > 0);
    }, id, { timeout: 10_000 });
  }
});

test('moving a slider changes the engine parameter (over the OSCQuery WebSocket)', { skip }, async () => {
  const sources: string[] = [];
  app.store.on('change', (c) => sources.push(c.source));
  await page.locator('.param[data-key=fps_cap] input[type=range]').fill('30');
  await until('fps_cap from the page', () => (app.store.snapshot as { fps_cap: number }).fps_cap === 30, 5000);
  assert.ok(sources.length > 0 && !sources.includes('web'), `changed through OSC over the WebSocket, not HTTP: ${sources.join(',')}`);
  await page.locator('.param[data-key=paused] input[type=checkbox]').check();
  await until('paused from the page', () => (app.store.snapshot as { paused: boolean }).paused, 5000);
  await page.locator('.param[data-key=paused] input[type=checkbox]').uncheck();
});

test('a change sent over OSC (UDP) appears in the page', { skip }, async () => {
  const port = controlSurfaceOf(app)!.osc.port;
  const udp = createSocket('udp4');
  try {
    udp.send(encodeMessage('/sdlive/fps_cap', [12.5]), port, '127.0.0.1');
    await page.waitForFunction(() => (document.querySelector('.param[data-key=fps_cap] input[type=range]') as HTMLInputElement).value === '12.5', null, { timeout: 5000 });
    assert.equal(await page.locator('.param[data-key=fps_cap] output').textContent(), '12.5');
    udp.send(encodeMessage('/sdlive/paused', [true]), port, '127.0.0.1');
    await page.waitForFunction(() => (document.querySelector('.param[data-key=paused] input') as HTMLInputElement).checked, null, { timeout: 5000 });
  } finally {
    udp.close();
  }
});

test('the engine panel shows live metrics', { skip }, async () => {
  await page.waitForFunction(() => /^\d+$/.test(document.querySelector('tr[data-metric=Frames] td:last-child')?.textContent ?? ''), null, { timeout: 5000 });
  const frames = Number(await page.locator('tr[data-metric=Frames] td:last-child').textContent());
  assert.ok(frames > 0);
});

test('learn buttons: none while MIDI is off; with a MIDI input open, on numbers and switches, armed as the server reports', { skip }, async () => {
  assert.equal(await page.locator('button.learn').count(), 0, 'MIDI is off: no learn button');
  const midi = controlSurfaceOf(app)!.midi;
  // Stands in for an open MIDI input port only; arming and the armed state are the server's own.
  Object.defineProperty(midi, 'available', { get: () => true, configurable: true });
  const withMidi = await openControlPage(browser, app);
  try {
    const learnRows = await withMidi.$$eval('.param:has(button.learn)', (rows) => rows.map((r) => (r as HTMLElement).dataset.key).sort());
    assert.deepEqual(learnRows, ['beats_per_bar', 'blackout', 'fade', 'fade_to', 'fps_cap', 'height', 'morph', 'paused', 'quantize', 'width']);
    await withMidi.locator('.param[data-key=fps_cap] button.learn').click();
    await until('learn armed by the page', () => midi.learn.target === 'fps_cap', 5000);
    await withMidi.waitForSelector('.param[data-key=fps_cap] button.learn.armed', { timeout: 5000 });
    midi.learn.start('paused');
    await withMidi.waitForSelector('.param[data-key=paused] button.learn.armed', { timeout: 5000 });
    assert.equal(await withMidi.locator('button.learn.armed').count(), 1);
    midi.learn.cancel();
    await withMidi.waitForSelector('button.learn.armed', { state: 'detached', timeout: 5000 });
  } finally {
    midi.learn.cancel();
    delete (midi as { available?: boolean }).available;
    await withMidi.close();
  }
});
