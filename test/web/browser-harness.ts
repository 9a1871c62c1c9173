import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';

import { CHROMIUM, requiresChromium } from '../helpers/requires.js';

/** A reason to skip the browser tests, or false when headless Chromium is there (under CI=true a failure). */
export const noBrowser = requiresChromium();

export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs] });
}

/**
 * The web page of a running app, once its OSCQuery channel is live; fails on any page error until then.
 * The folded parameter groups are opened (`unfold`), so every control can be used as a performer would.
 */
export async function openControlPage(browser: Browser, app: RunningApp, opts: { unfold?: boolean; path?: string; viewport?: { width: number; height: number } } = {}): Promise<Page> {
  const { unfold = true, path = '/ui/', viewport } = opts;
  const page = await browser.newPage(viewport ? { viewport } : {});
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${app.http.url}${path}`);
  await page.waitForFunction(() => document.getElementById('channel-state')?.textContent === 'live (OSCQuery)', null, { timeout: 10_000 });
  if (unfold) await page.evaluate(() => document.querySelectorAll('details.group').forEach((d) => ((d as HTMLDetailsElement).open = true)));
  assert.deepEqual(errors, []);
  return page;
}
