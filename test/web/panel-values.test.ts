import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';
import type { OscArg } from '../../src/control/space/values.js';
import type { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { until } from '../engine/harness.js';
import { openStreamDiffusionPage } from './streamdiffusion-page.js';
import { noBrowser as skip } from './browser-harness.js';

/** The page shows the engine's values: refusals revert with the reason, invalid input is never sent (StreamDiffusion, builtin:tiny on cpu). */
const START = { prompt: 'a red fox', seed: 2, num_inference_steps: 50, t_index_list: [32, 45], guidance_scale: 1.2, fps_cap: 5 } as const;

let app: RunningApp;
let page: Page;
let sendOsc: (address: string, args: OscArg[]) => void;
let reset: (patch: Record<string, unknown>) => Promise<void>;
let close: (() => Promise<void>) | undefined;
const changes: string[] = [];

const params = () => app.store.snapshot as StreamDiffusionParams;
const control = (key: string) => page.locator(`.param[data-key=${key}]`);
const note = (key: string) => control(key).locator('.note');

before(async () => {
  if (skip) return;
  ({ app, page, sendOsc, reset, close } = await openStreamDiffusionPage(START));
  app.store.on('change', (c) => changes.push(...c.keys));
});

after(() => close?.());

beforeEach(async () => {
  if (skip) return;
  await reset(START);
  await page.waitForFunction(() => (document.querySelector('.param[data-key=prompt] textarea') as HTMLTextAreaElement | null)?.value === 'a red fox' && document.querySelectorAll('.param[data-key=prompt] .row').length === 1, null, { timeout: 5000 });
  changes.length = 0;
});

/** A change from the page that the engine applies: once it is in the store, everything the page sent before it was handled. */
async function barrier(): Promise<void> {
  const cap = params().fps_cap === 5 ? 6 : 5;
  await control('fps_cap').locator('input[type=range]').fill(String(cap));
  await until('the barrier change', () => params().fps_cap === cap, 10_000);
}

async function typeInto(field: Locator, text: string): Promise<void> {
  await field.click();
  await field.fill(text);
}

test('a refused change (schedule steps 9 with t_index 32) reverts the slider to the engine\'s value and says why', { skip }, async () => {
  const steps = control('num_inference_steps').locator('input[type=range]');
  await steps.fill('9');
  await page.waitForFunction(() => /t_index 32 must be within/.test(document.querySelector('.param[data-key=num_inference_steps] .note')?.textContent ?? ''), null, { timeout: 10_000 });
  assert.equal(params().num_inference_steps, 50);
  assert.equal(await steps.inputValue(), '50');
  assert.equal(await control('num_inference_steps').locator('output').textContent(), '50');
  assert.match((await note('num_inference_steps').textContent())!, /^not applied: .*t_index 32 must be within \[0, num_inference_steps-1 = 8\]/);
});

test('a refused prompt (over 2000 characters, sent as JSON) shows the engine\'s prompt again and the reason', { skip }, async () => {
  const text = control('prompt').locator('textarea');
  await typeInto(text, 'x'.repeat(2001));
  await text.press('Enter');
  await page.waitForFunction(() => (document.querySelector('.param[data-key=prompt] .note')?.textContent ?? '').startsWith('not applied'), null, { timeout: 10_000 });
  assert.equal(await text.inputValue(), 'a red fox');
  assert.equal(params().prompt, 'a red fox');
});

test('text in a number field is never sent: marked invalid while typed, Escape or leaving the field shows the engine\'s value', { skip }, async () => {
  const seed = control('seed').locator('input.seed');
  for (const typed of ['abc', '', '4.5', '-1']) {
    await typeInto(seed, typed);
    assert.equal(await seed.getAttribute('aria-invalid'), 'true', `"${typed}" is marked invalid`);
    assert.notEqual(await note('seed').textContent(), '');
    await seed.blur();
    assert.equal(await seed.inputValue(), '2', `"${typed}" reverted on leaving the field`);
    assert.equal(await seed.getAttribute('aria-invalid'), 'false');
  }
  const weight = control('prompt').locator('input.weight');
  await typeInto(weight, 'heavy');
  await weight.press('Escape');
  assert.equal(await weight.inputValue(), '1');
  await barrier();
  assert.deepEqual(changes.filter((k) => k === 'seed' || k === 'prompt'), [], 'nothing was sent');
  assert.equal(params().seed, 2);
});

test('t_index_list: "20, x" is not sent (no [20, 0]); "20, 40" is; a slider per step moves one entry', { skip }, async () => {
  const list = control('t_index_list').locator('input.list-text');
  await typeInto(list, '20, x');
  assert.equal(await list.getAttribute('aria-invalid'), 'true');
  assert.match((await note('t_index_list').textContent())!, /item 2: "x" is not a number/);
  await list.press('Enter');
  await barrier();
  assert.deepEqual(params().t_index_list, [32, 45]);
  assert.equal(await list.inputValue(), '32, 45');
  await typeInto(list, '20, 40');
  await list.press('Enter');
  await until('t_index_list typed', () => JSON.stringify(params().t_index_list) === '[20,40]', 10_000);
  await page.waitForFunction(() => (document.querySelectorAll('.param[data-key=t_index_list] .sliders input[type=range]')[0] as HTMLInputElement).value === '20', null, { timeout: 5000 });
  await control('t_index_list').locator('.sliders input[type=range]').nth(1).fill('44');
  await until('t_index_list from a step slider', () => JSON.stringify(params().t_index_list) === '[20,44]', 10_000);
  await page.waitForFunction(() => (document.querySelector('.param[data-key=t_index_list] input.list-text') as HTMLInputElement).value === '20, 44', null, { timeout: 5000 });
});

test('a prompt starting with [ (de-emphasis) is set as prompt text', { skip }, async () => {
  const text = control('prompt').locator('textarea');
  await typeInto(text, '[blurry] a cat');
  await text.blur();
  await until('the [ prompt', () => params().prompt === '[blurry] a cat', 10_000);
  assert.equal(await note('prompt').textContent(), '');
  await page.waitForFunction(() => (document.querySelector('.param[data-key=prompt] textarea') as HTMLTextAreaElement).value === '[blurry] a cat', null, { timeout: 5000 });
});

test('"+ add" applies nothing until the new row\'s text is entered; then the list gets exactly that entry', { skip }, async () => {
  await control('prompt').getByRole('button', { name: '+ add' }).click();
  await control('seed').getByRole('button', { name: '+ add' }).click();
  assert.equal(await control('prompt').locator('.row').count(), 2);
  await control('prompt').locator('.row.draft input.weight').fill('0.5');
  await control('prompt').locator('.row.draft input.weight').blur();
  await barrier();
  assert.deepEqual(changes.filter((k) => k === 'seed' || k === 'prompt'), [], 'an empty row is not sent');
  assert.equal(params().prompt, 'a red fox');
  await typeInto(control('prompt').locator('.row.draft textarea'), 'a lighthouse');
  await control('prompt').locator('.row.draft textarea').press('Enter');
  await until('the new prompt row', () => JSON.stringify(params().prompt) === JSON.stringify([{ text: 'a red fox', weight: 1 }, { text: 'a lighthouse', weight: 0.5 }]), 10_000);
  await control('seed').locator('.row.draft').getByRole('button', { name: '−' }).click();
  assert.equal(await control('seed').locator('.row').count(), 1);
  assert.equal(params().seed, 2);
});

test('values are shown at the schema\'s precision, not as float32 noise', { skip }, async () => {
  sendOsc('/sdlive/guidance_scale', [0.7]);
  sendOsc('/sdlive/prompts/0/weight', [0.7]);
  await until('float32 values in the store', () => params().guidance_scale !== 1.2 && JSON.stringify(params().prompt).includes('0.69999'), 10_000);
  await page.waitForFunction(() => document.querySelector('.param[data-key=guidance_scale] output')?.textContent === '0.7', null, { timeout: 5000 });
  await page.waitForFunction(() => (document.querySelector('.param[data-key=prompt] input.weight') as HTMLInputElement).value === '0.7', null, { timeout: 5000 });
  assert.equal(await control('guidance_scale').locator('input[type=range]').inputValue(), '0.7');
  const text = await page.locator('main').innerText();
  assert.doesNotMatch(text, /0\.6999/);
});

test('list-entry fields come from spec.entry.fields when the schema gives them, else from the page\'s table', { skip }, async () => {
  const fields = await page.evaluate(async () => {
    const { entryFields } = await import('/ui/values.js' as string) as { entryFields(spec: unknown): unknown };
    return {
      fromSpec: entryFields({ key: 'lora', kind: 'lora', entry: { fields: [{ name: 'name', type: 's' }, { name: 'weight', type: 'f', min: 0, max: 2, default: 1 }] } }),
      namesOnly: entryFields({ key: 'seed', kind: 'seed', entry: { fields: ['seed', 'weight'] } }),
      fallback: entryFields({ key: 'prompt', kind: 'prompt' }),
      scalar: entryFields({ key: 'delta', kind: 'number' }) ?? null,
    };
  });
  assert.deepEqual(fields.fromSpec, [{ name: 'name', type: 'string' }, { name: 'weight', type: 'number', min: 0, max: 2, default: 1 }]);
  assert.deepEqual(fields.namesOnly, [{ name: 'seed', type: 'integer', min: 0, max: 2 ** 31 - 1 }, { name: 'weight', type: 'number', min: 0, max: 10, default: 1 }]);
  assert.deepEqual(fields.fallback, [{ name: 'text', type: 'string' }, { name: 'weight', type: 'number', min: 0, max: 10, default: 1 }]);
  assert.equal(fields.scalar, null);
});

test('after the WebSocket reconnects, the page shows changes made while it was away', { skip }, async () => {
  await page.evaluate(() => (window as unknown as { sdlive: { channel: { ws: WebSocket } } }).sdlive.channel.ws.close());
  await page.waitForFunction(() => document.getElementById('channel-state')?.textContent === 'HTTP only (no OSCQuery)', null, { timeout: 5000 });
  assert.ok(app.store.update({ delta: 3.5 }, 'test').ok);
  await page.waitForFunction(() => document.getElementById('channel-state')?.textContent === 'live (OSCQuery)', null, { timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector('.param[data-key=delta] output')?.textContent === '3.5', null, { timeout: 5000 });
});
