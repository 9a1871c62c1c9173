import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { runOscBench } from '../../src/bench/osc.js';
import { controlSurfaceOf, type ControlSurface } from '../../src/control/surface.js';
import { noAlsaSequencer } from '../helpers/requires.js';
import { UdpPeer, waitFor } from './helpers.js';

describe('control surface inside the running engine', () => {
  let app: RunningApp;
  let surface: ControlSurface;
  let peer: UdpPeer;
  const logs: string[] = [];
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdlive-app-'));
    const show = join(dir, 'show.json');
    await writeFile(show, JSON.stringify({ name: 'show', osc: [{ address: '/fpscap', param: 'fps_cap' }] }));
    peer = await UdpPeer.open();
    const log = pino({ level: 'info' }, { write: (s: string) => void logs.push((JSON.parse(s) as { msg: string }).msg) });
    app = await startApp(resolveConfig({
      pipeline: 'passthrough', params: { width: 256, height: 256 },
      osc: { port: 0, zeroconf: false, streamdiffusiontd: { port: 0, reply_port: peer.port } },
      // An input no machine has: MIDI is on, but nothing opens whether or not this machine has a MIDI subsystem.
      http: { port: 0 }, mappings: [show], midi: { enabled: true, inputs: ['sdlive-test-no-such-port'] },
    }), log);
    surface = controlSurfaceOf(app)!;
  });
  after(async () => {
    await app.stop();
    await peer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs on without a MIDI input, with one log line saying why (no subsystem, or no such port)', async () => {
    const midi = logs.filter((l) => l.includes('MIDI'));
    assert.equal(midi.length, 1, midi.join('\n'));
    assert.match(midi[0]!, noAlsaSequencer ? /^MIDI off: SDL_ERR_MIDI_UNAVAILABLE: no ALSA sequencer/ : /^MIDI off: SDL_ERR_MIDI_UNAVAILABLE|^MIDI input not found$/);
    await waitFor(() => app.engine.metrics().frameCount >= 3, 'fresh frames from the engine', 10_000);
    assert.equal(app.engine.metrics().failures, 0);
  });

  it('refuses to arm MIDI learn from OSC while MIDI is unavailable, and answers "?" with the (empty) target', async () => {
    await peer.send(surface.osc.port, '/sdlive/learn', 'fps_cap');
    assert.deepEqual((await peer.next('/sdlive/error')).args, ['/sdlive/learn', 'rejected: MIDI is off or unavailable (no MIDI input is open)']);
    assert.equal(surface.midi.learn.target, '');
    await peer.send(surface.osc.port, '/sdlive/learn', '?');
    assert.deepEqual((await peer.next('/sdlive/learn')).args, ['']);
    assert.deepEqual(await (await fetch(`${app.http.url}/sdlive/learn?VALUE`)).json(), { VALUE: [''] });
  });

  it('loads configured mapping files and the StreamDiffusionTD listener', async () => {
    await peer.send(surface.osc.port, '/fpscap', 25);
    await waitFor(() => (app.store.snapshot as { fps_cap: number }).fps_cap === 25, 'configured mapping file');
    await peer.send(surface.streamDiffusionTd!.server.port, '/pause');
    await waitFor(() => (app.store.snapshot as { paused: boolean }).paused, 'StreamDiffusionTD /pause');
    assert.deepEqual((await peer.next('/server_active')).args, [1]);
  });

  it('counts OSC messages, applied changes and failures by reason in /metrics', async () => {
    await peer.send(surface.osc.port, '/sdlive/nope', 1);
    await peer.send(surface.streamDiffusionTd!.server.port, '/nope');
    await peer.send(surface.osc.port, '/sdlive/fps_cap', 20);
    await waitFor(() => surface.osc.stats.failures.unknown_address > 0 && surface.streamDiffusionTd!.server.stats.failures.unknown_address > 0, 'failures counted');
    await waitFor(() => (app.store.snapshot as { fps_cap: number }).fps_cap === 20, 'applied');
    const text = await (await fetch(`${app.http.url}/metrics`)).text();
    const sample = (line: string) => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1]);
    const { stats } = surface.osc;
    assert.ok(stats.failures.unknown_address >= 1);
    assert.equal(sample('sdlive_osc_failures_total{listener="osc",reason="unknown_address"}'), stats.failures.unknown_address);
    assert.equal(sample('sdlive_osc_failures_total{listener="streamdiffusiontd",reason="unknown_address"}'), surface.streamDiffusionTd!.server.stats.failures.unknown_address);
    assert.equal(sample('sdlive_osc_messages_total{listener="osc"}'), stats.messages);
    assert.equal(sample('sdlive_osc_applied_total{listener="osc"}'), stats.applied);
    assert.ok(stats.applied >= 1);
    assert.equal(text.match(/^# TYPE sdlive_osc_failures_total counter$/gm)?.length, 1);
    assert.match(text, /^sdlive_up /m, 'the engine families are still there');
  });

  it('benchmarks OSC latency and a paced flood from another thread without losing messages', async () => {
    const r = await runOscBench(app, { param: 'fps_cap', latencyMessages: 50, floodMessages: 1000, rate: 5000 });
    assert.equal(r.address, '/sdlive/fps_cap');
    assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p50 < 50, `p50 ${r.latencyMs.p50}`);
    assert.equal(r.flood.handled, 1000);
    assert.equal(r.flood.lastValueApplied, true);
  });
});
