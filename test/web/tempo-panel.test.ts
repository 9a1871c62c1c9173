import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';
import { tempoOf } from '../../src/control/tempo/plugin.js';
import { until } from '../engine/harness.js';
import { startTestApp } from './app-harness.js';
import { launchBrowser, noBrowser as skip, openControlPage } from './browser-harness.js';

let app: RunningApp;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  app = await startTestApp({ beats_per_bar: 3 });
  browser = await launchBrowser();
  page = await openControlPage(browser, app);
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

test('the tempo panel shows the bpm and one beat light per beat of the bar; the tap button taps the tempo', { skip }, async () => {
  const tempo = tempoOf(app)!.tempo;
  tempo.setBpm(97, 'osc');
  await page.waitForFunction(() => (document.querySelector('#panel-tempo input.bpm') as HTMLInputElement | null)?.value === '97.0', null, { timeout: 5000 });
  assert.equal(await page.locator('#panel-tempo .beats .beat').count(), 3);
  await page.locator('#panel-tempo button.tap').dispatchEvent('pointerdown');
  await page.locator('#panel-tempo button.tap').dispatchEvent('pointerdown');
  await until('taps from the page', () => tempo.source === 'tap', 5000);
});

test('modulators set on the engine appear with their live value; an envelope has a trigger button', { skip }, async () => {
  const modulators = [
    { kind: 'lfo', name: 'hold', target: 'fps_cap', rate: 0, phase: 0.25, depth: 5, offset: 10 },
    { kind: 'envelope', name: 'hit', target: 'fps_cap', depth: 1, attack: 0, decay: 5 },
  ];
  assert.ok(app.store.update({ modulators }, 'osc').ok);
  await page.waitForSelector('#panel-tempo .modulator[data-name=hit] button', { timeout: 5000 });
  await page.waitForFunction(() => /→ fps_cap 15\.000/.test(document.querySelector('#panel-tempo .modulator[data-name=hold]')?.textContent ?? ''), null, { timeout: 10_000 });
  await page.locator('#panel-tempo .modulator[data-name=hit] button').click();
  await until('the envelope triggered (its value above the LFO alone)', () => (tempoOf(app)!.modulation.live.fps_cap ?? 0) > 15, 5000);
});
