import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';
import { startTestApp } from './app-harness.js';
import { launchBrowser, noBrowser as skip, openControlPage } from './browser-harness.js';

/** The page as a performer's panel, on the StreamDiffusion schema: what is where, at 1024x768 and 1920x1080. */
let app: RunningApp;
let browser: Browser;

before(async () => {
  if (skip) return;
  app = await startTestApp({ model: 'builtin:tiny', execution_providers: ['cpu'], fps_cap: 5 }, { pipeline: 'streamdiffusion' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.stop();
});

async function openAt(width: number, height: number): Promise<{ page: Page; failed: string[] }> {
  const failed: string[] = [];
  const page = await browser.newPage({ viewport: { width, height } });
  page.on('response', (r) => r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`));
  await page.goto(`${app.http.url}/ui/`);
  await page.waitForFunction(() => document.getElementById('channel-state')?.textContent === 'live (OSCQuery)', null, { timeout: 10_000 });
  await page.waitForFunction(() => /fps$/.test(document.querySelector('tr[data-metric="Frame rate"] td:last-child')?.textContent ?? ''), null, { timeout: 10_000 });
  return { page, failed };
}

/** Waits until both previews have drawn a picture. */
const pictures = (page: Page) => page.waitForFunction(() => ['preview-input', 'preview-output'].every((id) => (document.getElementById(id) as HTMLCanvasElement).width > 0), null, { timeout: 20_000 });

const performKeys = (page: Page) => page.$$eval('#panel-perform .param', (rows) => rows.map((r) => (r as HTMLElement).dataset.key));

test('at 1024x768 the performer\'s controls come first and are all visible without scrolling; the rest is folded', { skip }, async () => {
  const { page, failed } = await openAt(1024, 768);
  try {
    await pictures(page);
    await page.screenshot({ path: '/tmp/sdlive-page-1024.png' });
    assert.deepEqual(await performKeys(page), ['prompt', 'prompt_interpolation', 't_index_list', 'seed', 'guidance_scale', 'delta', 'paused', 'blackout', 'fade']);
    for (const key of await performKeys(page)) {
      const box = (await page.locator(`#panel-perform .param[data-key=${key}]`).boundingBox())!;
      assert.ok(box.y >= 0 && box.y + box.height <= 768, `${key} within the first screen: ${JSON.stringify(box)}`);
    }
    assert.equal(await page.locator('#panel-params details.group[open]').count(), 0, 'the other groups are folded');
    assert.equal(await page.locator('#panel-params .param[data-key=num_inference_steps]').isVisible(), false);
    const preview = (await page.locator('#preview-output').boundingBox())!;
    const input = (await page.locator('#preview-input').boundingBox())!;
    assert.ok(preview.width > 260, `output preview ${preview.width} px wide`);
    assert.equal(Math.round(input.y), Math.round(preview.y), 'input and output side by side');
    assert.deepEqual(failed, [], 'no request failed (favicon included)');
  } finally {
    await page.close();
  }
});

test('at 1920x1080 the preview grows with the window', { skip }, async () => {
  const { page } = await openAt(1920, 1080);
  try {
    await pictures(page);
    await page.screenshot({ path: '/tmp/sdlive-page-1920.png' });
    const preview = (await page.locator('#preview-output').boundingBox())!;
    assert.ok(preview.width > 450, `output preview ${preview.width} px wide`);
  } finally {
    await page.close();
  }
});

test('labels are whole and carry units; the schedule parameters say what they mean; no learn button with MIDI off', { skip }, async () => {
  const page = await openControlPage(browser, app);
  try {
    await page.screenshot({ path: '/tmp/sdlive-page-unfolded.png', fullPage: true });
    const cut = await page.$$eval('label.name', (labels) => labels.filter((l) => l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent));
    assert.deepEqual(cut, [], 'no truncated label');
    assert.equal(await page.locator('.param[data-key=fps_cap] label.name').textContent(), 'FPS cap (fps)');
    assert.equal(await page.locator('.param[data-key=width] label.name').innerText(), 'Width (px)\nreloads the model');
    assert.match((await page.locator('.param[data-key=num_inference_steps] .help').textContent())!, /Length of the LCM schedule/);
    assert.match((await page.locator('.param[data-key=t_index_list] .help').textContent())!, /one per denoising step; near 0 = strong change/);
    assert.equal(await page.locator('button.learn').count(), 0);
  } finally {
    await page.close();
  }
});

test('metrics in plain words: fps, delay in frames and ms, dropped frames, where the model runs; developer details folded', { skip }, async () => {
  const { page } = await openAt(1024, 768);
  try {
    const row = (label: string) => page.locator(`#panel-engine table.metrics tr[data-metric="${label}"] td:last-child`).first();
    await page.waitForFunction(() => /loaded on cpu$/.test(document.querySelector('tr[data-metric=Model] td:last-child')?.textContent ?? ''), null, { timeout: 20_000 });
    assert.match((await row('Model').textContent())!, /^streamdiffusion 256×256: loaded on cpu$/);
    assert.match((await row('Frame rate').textContent())!, /^\d+\.\d fps$/);
    assert.match((await row('Delay').textContent())!, /^\d+ frames? · \d+ ms$/);
    assert.match((await row('Dropped input frames').textContent())!, /^\d+$/);
    const shown = await page.locator('#panel-engine').innerText();
    assert.doesNotMatch(shown, /to_tensor|ipc|Held outputs/, 'developer words stay folded');
    await page.locator('#panel-engine details.developer summary').click();
    assert.match(await page.locator('#panel-engine').innerText(), /Held outputs/);
  } finally {
    await page.close();
  }
});

test('GET /favicon.ico answers an icon', { skip }, async () => {
  const res = await fetch(`${app.http.url}/favicon.ico`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'image/svg+xml');
  assert.match(await res.text(), /^<svg /);
});
