import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { RunningApp } from '../../src/app.js';

import { CHROMIUM, requiresChromium } from '../helpers/requires.js';

/** A reason to skip the browser tests, or false when headless Chromium is there (under CI=true a failure). */
export const noBrowser = requiresChromium();

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}

/** The web page of a running app, once its OSCQuery channel is live; fails on any page error until then. */
export async function openControlPage(browser: Browser, app: RunningApp): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${app.http.url}/ui/`);
  await page.waitForFunction(() => document.getElementById('channel-state')?.textContent === 'live (OSCQuery)', null, { timeout: 10_000 });
  assert.deepEqual(errors, []);
  return page;
}
