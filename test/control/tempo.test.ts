import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningApp } from '../../src/app.js';
import { MidiConfig } from '../../src/control/config.js';
import { MappingSet } from '../../src/control/mappings/mapping-set.js';
import type { MidiBackend } from '../../src/control/midi/backend.js';
import { MidiControl } from '../../src/control/midi/midi-control.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { controlSurfaceOf } from '../../src/control/surface.js';
import { BeatScheduler } from '../../src/control/tempo/beat-scheduler.js';
import { MidiClockIn } from '../../src/control/tempo/midi-clock.js';
import { MidiClockOut } from '../../src/control/tempo/midi-clock-out.js';
import { tempoOf } from '../../src/control/tempo/plugin.js';
import { TapTempo } from '../../src/control/tempo/tap.js';
import { TempoClock } from '../../src/control/tempo/tempo-clock.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { mulberry32 } from '../../src/models/onnx/prng.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startOscApp, UdpPeer, waitFor } from './helpers.js';

/** MIDI clock ticks at `bpm` from t0, each off by up to ±jitterMs (seeded). */
function ticks(bpm: number, count: number, t0: number, jitterMs: number, seed = 1): number[] {
  const random = mulberry32(seed);
  const period = 60_000 / bpm / 24;
  return Array.from({ length: count }, (_, i) => t0 + i * period + (random() * 2 - 1) * jitterMs);
}

describe('tempo: MIDI clock in', () => {
  it('24 ticks per beat at 120 bpm with ±3 ms of jitter per tick read as 120 ± 0.5', () => {
    const tempo = new TempoClock(new FakeClock());
    const midi = new MidiClockIn(tempo);
    for (const t of ticks(120, 24 * 4, 1000, 3)) midi.handle(0xf8, t);
    assert.ok(Math.abs(tempo.bpm - 120) <= 0.5, `bpm ${tempo.bpm}`);
    assert.equal(tempo.source, 'midi');
  });

  it('follows a tempo change within two beats, and a pause starts the estimate over', () => {
    const tempo = new TempoClock(new FakeClock());
    const midi = new MidiClockIn(tempo);
    const fast = ticks(120, 48, 0, 2);
    for (const t of fast) midi.handle(0xf8, t);
    for (const t of ticks(90, 48, fast.at(-1)! + 60_000 / 90 / 24, 2, 7)) midi.handle(0xf8, t);
    assert.ok(Math.abs(tempo.bpm - 90) <= 0.5, `bpm ${tempo.bpm}`);
    for (const t of ticks(140, 12, 100_000, 1, 3)) midi.handle(0xf8, t); // 100 s later: nothing of the 90 bpm is left
    assert.ok(Math.abs(tempo.bpm - 140) <= 1, `bpm ${tempo.bpm}`);
  });

  it('Start puts the next tick on beat 0 (a bar start); the position follows the ticks', () => {
    const clock = new FakeClock();
    const tempo = new TempoClock(clock);
    const midi = new MidiClockIn(tempo);
    const before = ticks(120, 30, 0, 0);
    for (const t of before) midi.handle(0xf8, t);
    midi.handle(0xfa, before.at(-1)! + 5);
    const song = ticks(120, 24 * 2 + 12 + 1, 1000, 0); // the first tick is beat 0: the last is two and a half beats on
    for (const t of song) midi.handle(0xf8, t);
    assert.ok(Math.abs(tempo.position(song.at(-1)!) - 2.5) < 1e-6, `position ${tempo.position(song.at(-1)!)}`);
    assert.ok(Math.abs(tempo.barPhase(song.at(-1)!) - 2.5 / 4) < 1e-6);
    assert.equal(midi.handle(0xfc, 2000), true);
    assert.equal(midi.handle(0x90, 2000), false);
  });
});

describe('tempo: MIDI clock out on a fake clock', () => {
  it('Start on the next bar, then 24 ticks per beat at the tempo, following a tempo change; Stop at the end', () => {
    const clock = new FakeClock();
    const tempo = new TempoClock(clock);
    tempo.setBpm(120, 'osc'); // bars at 0, 2000, 4000 ms; ticks every 500/24 ms
    clock.advanceTo(700);
    const sent: { at: number; status: number }[] = [];
    const out = new MidiClockOut(tempo, clock, ([status]) => void sent.push({ at: clock.now(), status: status! }));
    out.start();
    clock.advanceTo(1999);
    assert.equal(sent.length, 0, 'nothing before the bar');
    clock.advanceTo(3000); // one second: 48 ticks from the bar at 2000 (the 49th is due at 3000)
    assert.deepEqual(sent[0], { at: 2000, status: 0xfa });
    const ticks = sent.filter((m) => m.status === 0xf8);
    assert.equal(ticks.length, 49);
    ticks.forEach((m, i) => assert.ok(Math.abs(m.at - (2000 + (i * 500) / 24)) < 1e-6, `tick ${i} at ${m.at}`));
    tempo.setBpm(60, 'osc');
    const from = sent.length;
    clock.advanceTo(4000);
    const slow = sent.slice(from).map((m) => m.at);
    assert.equal(slow.length, 24, 'one second at 60 bpm: 24 ticks');
    slow.forEach((at, i) => assert.ok(Math.abs(at - (3000 + ((i + 1) * 1000) / 24)) < 1e-6, `slow tick ${i} at ${at}`));
    tempo.syncTo(4000, 0, 60, 'osc'); // a resync: the bar starts again at beat 0, the clock keeps ticking from there
    const resynced = sent.length;
    clock.advanceTo(4500);
    assert.equal(sent.length - resynced, 12, 'half a beat after the resync: 12 ticks, no pause');
    out.stop();
    assert.equal(sent.at(-1)!.status, 0xfc);
    assert.equal(clock.pending, 0);
  });
});

describe('tempo: MIDI clock at the MidiBackend boundary', () => {
  it('clock bytes from an input port reach the real-time listeners, not the mappings; send() reaches every output', async () => {
    let deliver: (bytes: number[]) => void = () => {};
    const sent: number[][] = [];
    const backend: MidiBackend = {
      inputs: () => ['Clock master'], outputs: () => ['Slave'],
      openInput: (_i, onMessage) => ((deliver = onMessage), { close: () => {} }),
      openOutput: () => ({ send: (b) => void sent.push([...b]), close: () => {} }),
    };
    const space = new AddressSpace(StreamDiffusionParams);
    const mappings = new MappingSet([], space, silentLogger);
    await mappings.start();
    const midi = await new MidiControl({ config: MidiConfig.parse({ outputs: ['all'] }), store: new ParameterStore(StreamDiffusionParams), space, mappings, learnFile: '/nonexistent/learned.json', log: silentLogger, backend: async () => backend }).open();
    try {
      const statuses: number[] = [];
      midi.onRealtime((status) => statuses.push(status));
      for (const b of [0xfa, 0xf8, 0xf8, 0xfc]) deliver([b]);
      assert.deepEqual(statuses, [0xfa, 0xf8, 0xf8, 0xfc]);
      assert.equal(midi.failures, 0);
      midi.send([0xf8]);
      assert.deepEqual(sent.at(-1), [0xf8]);
    } finally {
      midi.close();
      mappings.close();
    }
  });
});

describe('tempo: tap', () => {
  it('averages the taps; the first tap alone gives no tempo; a pause over 2 s starts over', () => {
    const tap = new TapTempo();
    assert.equal(tap.tap(0), undefined);
    // 500 ms, 520 ms, 480 ms apart: the average of 500 ms is 120 bpm.
    assert.equal(tap.tap(500), 120);
    tap.tap(1020);
    assert.equal(tap.tap(1500), 120);
    assert.equal(tap.tap(5000), undefined, 'after a pause the count starts over');
    assert.equal(tap.tap(5400), 150);
  });
});

describe('tempo: quantised changes on a fake clock', () => {
  const setUp = (lookahead: number) => {
    const clock = new FakeClock();
    const tempo = new TempoClock(clock);
    tempo.setBpm(120, 'osc'); // beat 0 at t=0, a beat every 500 ms, a bar every 2000 ms
    const scheduler = new BeatScheduler(tempo, clock, () => lookahead, (e) => assert.fail(String(e)));
    return { clock, tempo, scheduler };
  };

  it('a change lands on the next beat less the lookahead, not before', () => {
    const { clock, scheduler } = setUp(80);
    clock.advanceTo(1100);
    const ran: number[] = [];
    scheduler.scheduleAtBeat(() => ran.push(clock.now()), 'beat');
    clock.advanceTo(1419);
    assert.deepEqual(ran, []);
    clock.advanceTo(2000);
    assert.deepEqual(ran, [1420]);
  });

  it('bar quantize waits for the next bar; inside the lookahead of a boundary it takes the one after', () => {
    const { clock, scheduler } = setUp(80);
    clock.advanceTo(1100);
    const ran: string[] = [];
    scheduler.scheduleAtBeat(() => ran.push(`bar@${clock.now()}`), 'bar');
    clock.advanceTo(1450); // 50 ms before the beat at 1500, less than the 80 ms lookahead
    scheduler.scheduleAtBeat(() => ran.push(`beat@${clock.now()}`), 'beat');
    clock.advanceTo(5000);
    assert.deepEqual(ran, ['bar@1920', 'beat@1920']);
  });

  it('the lookahead is capped at 1 s and a cancelled change never runs', () => {
    const { clock, scheduler } = setUp(60_000);
    assert.equal(scheduler.lookahead, 1000);
    let ran = false;
    const cancel = scheduler.scheduleAtBeat(() => (ran = true), 'beat');
    cancel();
    clock.advanceTo(10_000);
    assert.equal(ran, false);
    assert.equal(clock.pending, 0);
  });

  it('a tempo change keeps the beat position continuous', () => {
    const { clock, tempo } = setUp(0);
    clock.advanceTo(1250); // 2.5 beats
    tempo.setBpm(60, 'osc');
    clock.advanceTo(1750); // half a beat more at 60 bpm
    assert.ok(Math.abs(tempo.position() - 3) < 1e-9);
    assert.equal(tempo.nextBoundary('beat'), 2750);
  });
});

describe('tempo: in the running app (real UDP, real clock)', () => {
  let app: RunningApp;
  let peer: UdpPeer;
  let port: number;
  const values = () => app.store.snapshot as { quantize: string; fps_cap: number };
  let close: () => Promise<void>;
  before(async () => {
    ({ app, peer, port, close } = await startOscApp());
  });
  after(() => close());

  it('/sdlive/tempo/bpm sets the tempo, "?" answers it, and OSCQuery lists bpm, beat and bar', async () => {
    await peer.send(port, '/sdlive/tempo/bpm', 128);
    await waitFor(() => tempoOf(app)!.tempo.bpm === 128, 'the bpm');
    await peer.send(port, '/sdlive/tempo/bpm', '?');
    assert.deepEqual((await peer.next('/sdlive/tempo/bpm')).args, [128]);
    const bar = (await (await fetch(`${app.http.url}/sdlive/tempo/bar`)).json()) as { ACCESS: number; VALUE: number[] };
    assert.equal(bar.ACCESS, 1);
    assert.ok(bar.VALUE[0]! >= 0 && bar.VALUE[0]! < 1);
    const bpm = (await (await fetch(`${app.http.url}/sdlive/tempo/bpm?VALUE`)).json()) as { VALUE: number[] };
    assert.deepEqual(bpm.VALUE, [128]);
    await peer.send(port, '/sdlive/tempo/bpm', 5000);
    assert.match(String((await peer.next('/sdlive/error')).args.join(' ')), /tempo\/bpm/);
  });

  it('MIDI clock bytes from a MIDI input reach the tempo (real-time messages bypass the mappings)', async () => {
    const tempo = tempoOf(app)!;
    const midi = controlSurfaceOf(app)!.midi;
    const before = tempo.midiClock.received;
    for (let i = 0; i < 8; i++) {
      midi.receive([0xf8], 'clock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(tempo.midiClock.received - before, 8);
    assert.equal(tempo.tempo.source, 'midi');
    assert.equal(midi.failures, 0);
  });

  it('tempo/tap over HTTP: taps set the tempo', async () => {
    const tap = () => fetch(`${app.http.url}/api/commands/tempo/tap`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' }).then((r) => r.json() as Promise<{ result: { bpm: number | null } }>);
    await tap();
    const { result } = await tap();
    assert.ok(result.bpm !== null && result.bpm >= 20, JSON.stringify(result));
    assert.equal(tempoOf(app)!.tempo.source, 'tap');
  });

  it('with quantize "beat", an OSC change waits for the beat (less the lookahead); quantize itself is never held', async () => {
    const tempo = tempoOf(app)!;
    await peer.send(port, '/sdlive/tempo/bpm', 30); // a beat every 2 s
    await waitFor(() => tempo.tempo.bpm === 30, 'the bpm');
    await peer.send(port, '/sdlive/quantize', 'beat');
    await waitFor(() => values().quantize === 'beat', 'quantize on');
    let appliedAt: number | undefined;
    app.store.once('change', () => (appliedAt = performance.now()));
    await peer.send(port, '/sdlive/fps_cap', 17);
    await waitFor(() => tempo.scheduler.pending === 1 || appliedAt !== undefined, 'the change to be held');
    assert.equal(appliedAt, undefined, 'applied before its beat');
    await waitFor(() => appliedAt !== undefined, 'the change on the beat', 10_000);
    assert.equal(values().fps_cap, 17);
    const lead = tempo.scheduler.lookahead;
    const beat = tempo.tempo.position(appliedAt! + lead);
    const offBeatMs = Math.abs(beat - Math.round(beat)) * tempo.tempo.beatMs;
    assert.ok(offBeatMs < 250, `applied ${offBeatMs.toFixed(0)} ms off the beat (a 2000 ms beat)`);
    await peer.send(port, '/sdlive/quantize', 'off');
    await waitFor(() => values().quantize === 'off', 'quantize off at once');
  });
});
