import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { until } from '../engine/harness.js';
import { launchBrowser, noBrowser as skip, openControlPage } from './browser-harness.js';

let app: RunningApp;
let browser: Browser;
let page: Page;
const folder = mkdtempSync(join(tmpdir(), 'sdlive-panel-presets-'));
const values = () => app.store.snapshot as Record<string, unknown>;

before(async () => {
  if (skip) return;
  writeFileSync(join(folder, 'show.json'), JSON.stringify({
    name: 'show',
    presets: [{ name: 'soft', number: 1, params: { delta: 0.2, prompt: 'a soft dawn' } }, { name: 'hard', number: 2, params: { delta: 1.8, prompt: 'a hard noon' } }],
  }));
  app = await startApp(resolveConfig({
    pipeline: 'streamdiffusion', params: { model: 'builtin:tiny', execution_providers: ['cpu'], fps_cap: 5, width: 256, height: 256 },
    http: { port: 0 }, osc: { port: 0, host: '127.0.0.1', zeroconf: false }, midi: { enabled: false }, presets: { folder, bank: 'show' },
  }), silentLogger);
  browser = await launchBrowser();
  page = await openControlPage(browser, app);
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

test('the Presets panel shows the bank as buttons; a click recalls, with the morph time given', { skip }, async () => {
  await page.waitForSelector('#panel-presets button.preset[data-preset=hard]', { timeout: 10_000 });
  assert.deepEqual(await page.$$eval('#panel-presets button.preset', (bs) => bs.map((b) => b.textContent)), ['1 · soft', '2 · hard']);
  await page.locator('#panel-presets button.preset[data-preset=hard]').click();
  await until('hard recalled', () => values().delta === 1.8 && values().prompt === 'a hard noon', 10_000);
  const progress: number[] = [];
  app.store.on('change', (c) => c.keys.includes('morph' as never) && progress.push((c.current as Record<string, unknown>).morph as number));
  await page.locator('#panel-presets input[type=number]').fill('1.5');
  await page.locator('#panel-presets button.preset[data-preset=soft]').click();
  await until('the morph lands on soft', () => values().delta === 0.2 && values().morph === 1, 15_000);
  assert.ok(progress.some((p) => p > 0 && p < 1), `went through the middle: ${progress.slice(0, 5).join(', ')}...`);
  assert.equal(values().prompt, 'a soft dawn');
  assert.equal(await page.locator('#panel-presets button.preset.active').textContent(), '1 · soft');
});

test('save as adds the current look to the bank file and a button for it', { skip }, async () => {
  app.store.set('delta', 0.9, 'http');
  await page.locator('#panel-presets input[type=text]').fill('middle');
  await page.locator('#panel-presets button', { hasText: 'Save as' }).click();
  await page.waitForSelector('#panel-presets button.preset[data-preset=middle]', { timeout: 10_000 });
  assert.equal(await page.locator('#panel-presets button.preset[data-preset=middle]').textContent(), '3 · middle');
  const bank = JSON.parse(readFileSync(join(folder, 'show.json'), 'utf8')) as { presets: { name: string; params: { delta: number } }[] };
  assert.equal(bank.presets.find((p) => p.name === 'middle')!.params.delta, 0.9);
  await page.locator('#panel-presets input[type=text]').fill('42');
  await page.locator('#panel-presets button', { hasText: 'Save as' }).click();
  await page.waitForFunction(() => /not only digits/.test(document.querySelector('#panel-presets .note')?.textContent ?? ''), null, { timeout: 5000 });
  const metrics = await (await fetch(`${app.http.url}/metrics`)).text();
  assert.match(metrics, /^sdlive_preset_bank_failures_total 0$/m);
  assert.match(metrics, /^sdlive_preset_morph_refused_total 0$/m);
});

test('the morph fader scrubs a morph in flight and follows it', { skip }, async () => {
  app.store.set('delta', 0.9, 'http');
  await page.locator('#panel-presets input[type=number]').fill('600');
  await page.locator('#panel-presets button.preset[data-preset=hard]').click();
  await until('the long morph under way', () => values().morph !== 1, 10_000);
  const drag = (v: number) => page.locator('#panel-presets input.morph-fader').evaluate((input: HTMLInputElement, value) => {
    input.value = String(value);
    input.dispatchEvent(new Event('input'));
  }, v);
  await drag(0.5);
  await until('scrubbed halfway', () => values().morph === 0.5, 10_000);
  assert.ok(Math.abs((values().delta as number) - 1.35) < 1e-9, String(values().delta));
  await drag(1);
  await until('landed on hard', () => values().delta === 1.8 && values().prompt === 'a hard noon', 10_000);
  app.store.set('morph', 0.25, 'osc');
  await page.waitForFunction(() => (document.querySelector('#panel-presets input.morph-fader') as HTMLInputElement).value === '0.25', null, { timeout: 10_000 });
});
