import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { waitFor } from './helpers.js';

/* The presets plugin and the tempo plugin in one app: a morph in beats lasts as long as the show's tempo says. */
describe('presets follow the tempo in the running app', () => {
  let app: RunningApp;
  const values = () => app.store.snapshot as { modulators: unknown[]; morph: number; fade: number };
  const run = (name: string, ...args: unknown[]) => app.commands.run(name, args, 'cli');
  const wobble = [{ kind: 'lfo', name: 'wobble', target: 'fade', depth: 0.1 }];

  before(async () => {
    app = await startApp(resolveConfig({
      pipeline: 'passthrough', params: { width: 256, height: 256 }, http: { port: 0 }, midi: { enabled: false },
      osc: { port: 0, host: '127.0.0.1', zeroconf: false }, presets: { folder: mkdtempSync(join(tmpdir(), 'sdlive-banks-')), bank: 'show' },
    }), silentLogger);
  });
  after(() => app.stop());

  it('a look holds the modulators, not the show controls (fade)', async () => {
    assert.ok(app.store.update({ modulators: wobble, fade: 0.5 }, 'http').ok);
    await run('preset/save', 'wobbly');
    assert.ok(app.store.update({ modulators: [], fade: 0.2 }, 'http').ok);
    await run('preset/recall', 'wobbly');
    assert.deepEqual(values().modulators.map((m) => (m as { name: string }).name), ['wobble']);
    assert.equal(values().fade, 0.2);
  });

  it('a recall over "4b" at 300 bpm morphs for 0.8 s (the modulators switch halfway), then lands on the preset', async () => {
    assert.ok(app.store.update({ modulators: [] }, 'http').ok);
    await run('tempo/bpm', 300);
    const started = performance.now();
    assert.deepEqual(await run('preset/recall', 'wobbly', '4b'), { name: 'wobbly', number: 1, beats: 4 });
    await waitFor(() => values().morph > 0 && values().morph < 1, 'the morph under way');
    await waitFor(() => values().morph === 1, 'the morph done', 10_000);
    assert.equal(values().modulators.length, 1);
    // Bounded below only: a loaded machine may tick late, never early.
    assert.ok(performance.now() - started >= 750, `${performance.now() - started} ms`);
  });
});
