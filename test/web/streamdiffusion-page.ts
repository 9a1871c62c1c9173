import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { encodeMessage } from '../../src/control/osc/codec.js';
import { controlSurfaceOf } from '../../src/control/surface.js';
import type { OscArg } from '../../src/control/space/values.js';
import { startTestApp } from './app-harness.js';
import { launchBrowser, openControlPage } from './browser-harness.js';

/** The control page on the StreamDiffusion schema (builtin:tiny on the cpu), and a UDP socket to reach its OSC port. */
export async function openStreamDiffusionPage(params: Record<string, unknown>) {
  const app = await startTestApp({ model: 'builtin:tiny', execution_providers: ['cpu'], ...params }, { pipeline: 'streamdiffusion' });
  const browser = await launchBrowser();
  const page = await openControlPage(browser, app);
  const udp = createSocket('udp4');
  const sendOsc = (address: string, args: OscArg[]) => void udp.send(encodeMessage(address, args), controlSurfaceOf(app)!.osc.port, '127.0.0.1');
  /** Leaves the focused field and sets the store back to `patch` (the page then follows through OSCQuery). */
  const reset = async (patch: Record<string, unknown>) => {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    assert.ok(app.store.update(patch, 'test').ok);
  };
  const close = async () => {
    udp.close();
    await browser.close();
    await app.stop();
  };
  return { app, page, sendOsc, reset, close };
}
