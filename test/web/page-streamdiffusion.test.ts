import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';
import type { OscArg } from '../../src/control/space/values.js';
import type { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { until } from '../engine/harness.js';
import { openStreamDiffusionPage } from './streamdiffusion-page.js';
import { noBrowser as skip } from './browser-harness.js';

/** The web page on the StreamDiffusion schema, running builtin:tiny on the CPU. */
const START = { prompt: 'a red fox', seed: 2, cfg_type: 'self', mode: 'img2img', t_index_list: [32, 45] } as const;

let app: RunningApp;
let page: Page;
let sendOsc: (address: string, args: OscArg[]) => void;
let reset: (patch: Record<string, unknown>) => Promise<void>;
let close: (() => Promise<void>) | undefined;

const params = () => app.store.snapshot as StreamDiffusionParams;
const control = (key: string) => page.locator(`.param[data-key=${key}]`);
const row = (key: string, i: number) => control(key).locator('.row').nth(i);

before(async () => {
  if (skip) return;
  ({ app, page, sendOsc, reset, close } = await openStreamDiffusionPage({ fps_cap: 5, ...START }));
});

after(() => close?.());

/** Every test starts from START, as the page shows it (the page follows the store through OSCQuery). */
beforeEach(async () => {
  if (skip) return;
  await reset(START);
  await page.waitForFunction((prompt) => {
    const rows = document.querySelectorAll('.param[data-key=prompt] .row');
    return rows.length === 1 && (rows[0]!.querySelector('textarea') as HTMLTextAreaElement).value === prompt;
  }, START.prompt, { timeout: 5000 });
});

/** Types into a field and leaves it, as a performer does: the page sends on change. */
async function enter(field: Locator, value: string): Promise<void> {
  await field.fill(value);
  await field.blur();
}

/** Waits for the store to hold exactly `expected` at key; on a timeout, fails showing the difference. */
async function storeHas(key: keyof StreamDiffusionParams, expected: unknown): Promise<void> {
  const holds = () => JSON.stringify(params()[key]) === JSON.stringify(expected);
  await until(`${key} = ${JSON.stringify(expected)}`, holds, 10_000).catch(() => assert.deepEqual(params()[key], expected, key));
}

async function oscQueryValue(path: string): Promise<unknown[]> {
  const res = await fetch(`${app.http.url}${path}?VALUE`);
  assert.equal(res.status, 200, path);
  return ((await res.json()) as { VALUE: unknown[] }).VALUE;
}

test('the prompt list editor: add, edit text and weight, remove; the store gets exactly those entries', { skip }, async () => {
  await control('prompt').getByRole('button', { name: '+ add' }).click();
  await enter(row('prompt', 1).locator('textarea'), 'a blue whale');
  await enter(row('prompt', 1).locator('input.weight'), '0.4');
  await storeHas('prompt', [{ text: 'a red fox', weight: 1 }, { text: 'a blue whale', weight: 0.4 }]);
  await enter(row('prompt', 0).locator('textarea'), 'a grey (wolf:1.2)');
  await enter(row('prompt', 0).locator('input.weight'), '0.7');
  await storeHas('prompt', [{ text: 'a grey (wolf:1.2)', weight: 0.7 }, { text: 'a blue whale', weight: 0.4 }]);
  await row('prompt', 0).getByRole('button', { name: '−' }).click();
  await storeHas('prompt', [{ text: 'a blue whale', weight: 0.4 }]);
  assert.equal(await control('prompt').locator('.row').count(), 1);
  assert.equal(await row('prompt', 0).getByRole('button', { name: '−' }).isDisabled(), true, 'the last entry cannot be removed');
  // One entry back at weight 1 is a plain prompt again.
  await enter(row('prompt', 0).locator('input.weight'), '1');
  await storeHas('prompt', 'a blue whale');
});

test('the seed list editor: add, edit seed and weight, remove; the store gets exactly those entries', { skip }, async () => {
  assert.equal(await row('seed', 0).locator('input').first().inputValue(), '2');
  await control('seed').getByRole('button', { name: '+ add' }).click();
  await enter(row('seed', 1).locator('input').first(), '42');
  await enter(row('seed', 1).locator('input').nth(1), '0.5');
  await storeHas('seed', [{ seed: 2, weight: 1 }, { seed: 42, weight: 0.5 }]);
  await enter(row('seed', 0).locator('input').first(), '7');
  await storeHas('seed', [{ seed: 7, weight: 1 }, { seed: 42, weight: 0.5 }]);
  await row('seed', 0).getByRole('button', { name: '−' }).click();
  await storeHas('seed', [{ seed: 42, weight: 0.5 }]);
  await enter(row('seed', 0).locator('input').nth(1), '1');
  await storeHas('seed', 42);
});

test('cfg_type and mode are selects of the schema values; a choice reaches the store, an OSC change shows in the page', { skip }, async () => {
  const cfg = control('cfg_type').locator('select');
  assert.deepEqual(await cfg.locator('option').allTextContents(), ['none', 'full', 'self', 'initialize']);
  assert.deepEqual(await control('mode').locator('select option').allTextContents(), ['img2img', 'txt2img']);
  assert.equal(await cfg.inputValue(), 'self');
  await cfg.selectOption('full');
  await storeHas('cfg_type', 'full');
  await control('mode').locator('select').selectOption('txt2img');
  await storeHas('mode', 'txt2img');
  sendOsc('/sdlive/cfg_type', ['initialize']);
  await page.waitForFunction(() => (document.querySelector('.param[data-key=cfg_type] select') as HTMLSelectElement).value === 'initialize', null, { timeout: 5000 });
  assert.equal(params().cfg_type, 'initialize');
});

test('t_index_list is typed as a list; an OSC change of one item shows in the page and in OSCQuery', { skip }, async () => {
  const input = control('t_index_list').locator('input.list-text');
  assert.equal(await input.inputValue(), '32, 45');
  await enter(input, '20, 40');
  await storeHas('t_index_list', [20, 40]);
  sendOsc('/sdlive/t_index_list/1', [35]);
  await page.waitForFunction(() => (document.querySelector('.param[data-key=t_index_list] input.list-text') as HTMLInputElement).value === '20, 35', null, { timeout: 5000 });
  assert.deepEqual(await oscQueryValue('/sdlive/t_index_list'), [20, 35]);
  assert.deepEqual(await oscQueryValue('/sdlive/t_index_list/1'), [35]);
});

test('OSCQuery serves the prompt and seed list nodes; an OSC change of a list entry shows there and in the page', { skip }, async () => {
  const prompts = (await (await fetch(`${app.http.url}/sdlive/prompts`)).json()) as { CONTENTS: Record<string, { CONTENTS?: Record<string, { TYPE: string; VALUE?: unknown[] }> }> };
  assert.deepEqual(Object.keys(prompts.CONTENTS), ['0', '1', '2', '3', '4', '5', '6', '7', 'select']);
  const entry = prompts.CONTENTS['0']!.CONTENTS!;
  assert.deepEqual([entry.text!.TYPE, entry.text!.VALUE, entry.weight!.TYPE, entry.weight!.VALUE], ['s', ['a red fox'], 'f', [1]]);
  assert.equal((await fetch(`${app.http.url}/sdlive/prompts/1/text?VALUE`)).status, 204, 'entry 1 does not exist yet');

  sendOsc('/sdlive/prompts/1/text', ['a lighthouse']);
  await storeHas('prompt', [{ text: 'a red fox', weight: 1 }, { text: 'a lighthouse', weight: 1 }]);
  sendOsc('/sdlive/prompts/1/weight', [0.25]);
  await storeHas('prompt', [{ text: 'a red fox', weight: 1 }, { text: 'a lighthouse', weight: 0.25 }]);
  assert.deepEqual(await oscQueryValue('/sdlive/prompts/1/text'), ['a lighthouse']);
  assert.deepEqual(await oscQueryValue('/sdlive/prompts/1/weight'), [0.25]);
  assert.deepEqual(await oscQueryValue('/sdlive/prompt/json'), [JSON.stringify([['a red fox', 1], ['a lighthouse', 0.25]])]);
  assert.equal((await fetch(`${app.http.url}/sdlive/prompt?VALUE`)).status, 204, 'a list has no single prompt text');
  await page.waitForFunction(() => {
    const line = document.querySelectorAll('.param[data-key=prompt] .row')[1];
    return (line?.querySelector('textarea') as HTMLTextAreaElement | null)?.value === 'a lighthouse' && (line!.querySelector('input') as HTMLInputElement).value === '0.25';
  }, null, { timeout: 5000 });

  sendOsc('/sdlive/seeds/0/value', [77]);
  await storeHas('seed', [{ seed: 77, weight: 1 }]);
  assert.deepEqual(await oscQueryValue('/sdlive/seeds/0/value'), [77]);
  await page.waitForFunction(() => (document.querySelector('.param[data-key=seed] .row input') as HTMLInputElement).value === '77', null, { timeout: 5000 });
});

test('the StreamDiffusion pipeline ran through every change from the page without a failed frame', { skip }, async () => {
  const frames = app.engine.frameCount;
  await until('a frame after the last change', () => app.engine.frameCount > frames, 20_000);
  const m = app.engine.metrics();
  assert.equal(m.model.pipeline, 'streamdiffusion');
  assert.equal(m.failures, 0, JSON.stringify(m.errors));
});
