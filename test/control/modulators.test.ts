import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningApp } from '../../src/app.js';
import { envelopeLevel, oneShot } from '../../src/control/modulators/envelope.js';
import { lfoValue, wave } from '../../src/control/modulators/lfo.js';
import { Modulation } from '../../src/control/modulators/modulation.js';
import { LfoModulator, Modulator, EnvelopeModulator } from '../../src/control/modulators/schema.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { TempoClock } from '../../src/control/tempo/tempo-clock.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startOscApp, UdpPeer, waitFor } from './helpers.js';

const close = (actual: number, expected: number, label: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${label}: ${actual}, expected ${expected}`);

describe('modulators: LFO shapes', () => {
  // Worked out by hand from the definitions in docs/control.md (Tempo and modulators), at 0, 1/4, 1/2, 3/4 of a cycle.
  const table: Record<string, number[]> = {
    sine: [0, 1, 0, -1],
    triangle: [-1, 0, 1, 0],
    saw: [-1, -0.5, 0, 0.5],
    square: [1, 1, -1, -1],
  };
  for (const [shape, expected] of Object.entries(table)) {
    it(`${shape} at 0, 1/4, 1/2 and 3/4 of a cycle, and the same one cycle later`, () => {
      expected.forEach((value, i) => {
        close(wave(shape as 'sine', i / 4), value, `${shape}(${i}/4)`);
        close(wave(shape as 'sine', 3 + i / 4), value, `${shape}(3 + ${i}/4)`);
      });
    });
  }

  it('random holds one value in -1..1 through a cycle, a new one the next, the same for the same seed', () => {
    const cycles = Array.from({ length: 32 }, (_, n) => wave('random', n + 0.1, 5));
    for (let n = 0; n < 32; n++) {
      assert.ok(cycles[n]! >= -1 && cycles[n]! <= 1);
      assert.equal(wave('random', n + 0.9, 5), cycles[n], `cycle ${n} held`);
    }
    assert.ok(new Set(cycles).size > 24, 'new values from cycle to cycle');
    assert.notDeepEqual(cycles, Array.from({ length: 32 }, (_, n) => wave('random', n + 0.1, 6)));
  });

  it('rate in Hz, or a cycle in beats; phase, depth and offset', () => {
    const hz = LfoModulator.parse({ kind: 'lfo', name: 'a', target: 'delta', rate: 2, phase: 0.25, depth: 0.5, offset: 0.1 });
    close(lfoValue(hz, 0, 0), 0.6, 'at 0 s: phase 1/4, sine top'); // 0.1 + 0.5 * sin(pi/2)
    close(lfoValue(hz, 0.125, 99), 0.1, 'at 1/8 s: half a cycle in'); // 0.1 + 0.5 * sin(pi)
    const beats = LfoModulator.parse({ kind: 'lfo', name: 'b', target: 'delta', beats: 4, shape: 'saw', depth: 2, rate: 50 });
    close(lfoValue(beats, 123, 1), -1, 'beat 1 of a 4-beat saw: a quarter up from -1'); // 2 * (2 * 0.25 - 1)
    close(lfoValue(beats, 0, 6), 0, 'beat 6: half way through the second cycle');
  });
});

describe('modulators: envelope', () => {
  const env = EnvelopeModulator.parse({ kind: 'envelope', name: 'hit', target: 'delta', attack: 0.1, decay: 0.2, sustain: 0.5, release: 0.4, depth: 1 });
  it('one shot: attack to 1, decay to the sustain level, then released', () => {
    const gate = oneShot(env, 10);
    const at = (t: number) => envelopeLevel(env, gate, 10 + t);
    close(envelopeLevel(env, gate, 9.9), 0, 'before the trigger');
    close(at(0.05), 0.5, 'half the attack');
    close(at(0.1), 1, 'the top');
    close(at(0.2), 0.75, 'half the decay');
    close(at(0.3), 0.5, 'released at the end of the decay');
    close(at(0.5), 0.25, 'half the release');
    close(at(0.75), 0, 'after the release');
  });
  it('held: stays at the sustain level until released', () => {
    const gate = { on: 0 };
    close(envelopeLevel(env, gate, 5), 0.5, 'held');
    close(envelopeLevel(env, { on: 0, off: 5 }, 5.2), 0.25, 'half the release from sustain');
    close(envelopeLevel(env, undefined, 5), 0, 'never triggered');
  });
});

describe('modulators: applied at frame time over the stored value', () => {
  const setUp = () => {
    const clock = new FakeClock();
    const tempo = new TempoClock(clock);
    const store = new ParameterStore(StreamDiffusionParams);
    const modulation = new Modulation(new AddressSpace(StreamDiffusionParams), tempo, clock, silentLogger);
    return { clock, store, modulation };
  };

  it('an LFO on delta and on a prompt weight moves the frame values; the store keeps what was set', () => {
    const { clock, store, modulation } = setUp();
    const modulators: Modulator[] = [
      LfoModulator.parse({ kind: 'lfo', name: 'wobble', target: 'delta', rate: 1, depth: 0.2 }),
      LfoModulator.parse({ kind: 'lfo', name: 'fade', target: 'prompts/1/weight', shape: 'square', rate: 1, depth: 0.25 }),
    ];
    assert.ok(store.update({ delta: 0.5, prompt: [{ text: 'a', weight: 1 }, { text: 'b', weight: 0.5 }], modulators }, 'osc').ok);
    clock.advanceTo(250); // a quarter cycle: sine 1, square 1
    const frame = modulation.apply(store.snapshot) as { delta: number; prompt: { weight: number }[] };
    close(frame.delta, 0.7, 'delta');
    close(frame.prompt[1]!.weight, 0.75, 'prompt 1 weight');
    close(frame.prompt[0]!.weight, 1, 'prompt 0 weight untouched');
    assert.equal(store.snapshot.delta, 0.5);
    assert.deepEqual(modulation.live, { 'delta': frame.delta, 'prompts/1/weight': 0.75 });
    clock.advanceTo(750); // three quarters: sine -1, square -1
    const later = modulation.apply(store.snapshot) as { delta: number; prompt: { weight: number }[] };
    close(later.delta, 0.3, 'delta');
    close(later.prompt[1]!.weight, 0.25, 'prompt 1 weight');
  });

  it('the swing is clamped to the target range; load-time and unknown targets are skipped, nothing throws', () => {
    const { clock, store, modulation } = setUp();
    const modulators = [
      { kind: 'lfo', name: 'big', target: 'delta', rate: 1, depth: 50 },
      { kind: 'lfo', name: 'size', target: 'width', rate: 1, depth: 64 },
      { kind: 'lfo', name: 'typo', target: 'detla', rate: 1, depth: 1 },
      { kind: 'lfo', name: 'missing', target: 'prompts/5/weight', rate: 1, depth: 1 },
    ];
    assert.ok(store.update({ delta: 1, modulators }, 'osc').ok);
    clock.advanceTo(250);
    const frame = modulation.apply(store.snapshot) as { delta: number; width: number };
    assert.equal(frame.delta, 5, 'delta at its schema maximum');
    assert.equal(frame.width, store.snapshot.width);
    assert.deepEqual(Object.keys(modulation.live), ['delta']);
  });

  it('an envelope moves its target only after a trigger; triggering an LFO or an unknown name is refused', () => {
    const { clock, store, modulation } = setUp();
    const modulators = [
      { kind: 'envelope', name: 'hit', target: 'guidance_scale', attack: 0, decay: 1, depth: 2 },
      { kind: 'lfo', name: 'wobble', target: 'delta', depth: 0 },
    ];
    assert.ok(store.update({ guidance_scale: 1, modulators }, 'osc').ok);
    const list = store.snapshot.modulators;
    close((modulation.apply(store.snapshot) as { guidance_scale: number }).guidance_scale, 1, 'before');
    modulation.trigger(list, 'hit');
    clock.advance(500);
    close((modulation.apply(store.snapshot) as { guidance_scale: number }).guidance_scale, 2, 'half way down the decay');
    assert.throws(() => modulation.trigger(list, 'wobble'), /LFO/);
    assert.throws(() => modulation.trigger(list, 'nope'), /no modulator nope/);
  });

  it('the schema refuses a duplicate name, an unknown kind and more than 16', () => {
    const store = new ParameterStore(StreamDiffusionParams);
    const lfo = (name: string) => ({ kind: 'lfo', name, target: 'delta' });
    const twice = store.update({ modulators: [lfo('a'), lfo('a')] }, 'osc');
    assert.equal(twice.ok, false);
    assert.match(twice.ok ? '' : twice.error.message, /used twice/);
    assert.equal(store.update({ modulators: [{ kind: 'wobbler', name: 'x', target: 'delta' }] }, 'osc').ok, false);
    assert.equal(store.update({ modulators: Array.from({ length: 17 }, (_, i) => lfo(`m${i}`)) }, 'osc').ok, false);
    assert.equal(store.update({ modulators: [lfo('a')] }, 'osc').ok, true);
  });
});

describe('modulators: in the running app', () => {
  let app: RunningApp;
  let peer: UdpPeer;
  let port: number;
  const values = () => app.store.snapshot as { modulators: unknown[]; fps_cap: number };
  let close: () => Promise<void>;
  before(async () => {
    ({ app, peer, port, close } = await startOscApp());
  });
  after(() => close());

  it('set over OSC as JSON, applied on every frame (OSCQuery /sdlive/modulation shows it), the stored value untouched', async () => {
    // Rate 0 holds the LFO at its phase: a quarter cycle, the sine's top.
    const list = [{ kind: 'lfo', name: 'pulse', target: 'fps_cap', rate: 0, phase: 0.25, depth: 10, offset: 20 }];
    await peer.send(port, '/sdlive/modulators', JSON.stringify(list));
    await waitFor(() => values().modulators.length === 1, 'the modulators');
    const live = async () => JSON.parse(((await (await fetch(`${app.http.url}/sdlive/modulation?VALUE`)).json()) as { VALUE: string[] }).VALUE[0]!) as Record<string, number>;
    let shown = await live();
    for (const end = Date.now() + 10_000; shown.fps_cap === undefined && Date.now() < end; shown = await live()) await new Promise((r) => setTimeout(r, 20));
    assert.equal(shown.fps_cap, 30, 'fps_cap 0 + offset 20 + sine top 10');
    assert.equal(values().fps_cap, 0);
    await peer.send(port, '/sdlive/modulators', '?');
    assert.deepEqual(JSON.parse(String((await peer.next('/sdlive/modulators')).args[0])), values().modulators);
  });

  it('bad JSON and a trigger for an unknown modulator answer /sdlive/error and change nothing', async () => {
    const before = values().modulators;
    await peer.send(port, '/sdlive/modulators', '[{"kind":');
    assert.match(String((await peer.next('/sdlive/error')).args.join(' ')), /JSON/);
    await peer.send(port, '/sdlive/modulator/trigger', 'nope');
    assert.match(String((await peer.next('/sdlive/error')).args.join(' ')), /no modulator nope/);
    assert.equal(values().modulators, before);
  });
});
