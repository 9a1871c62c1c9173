import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { MidiConfig } from '../../src/control/config.js';
import { MappingSet } from '../../src/control/mappings/mapping-set.js';
import { MidiPorts } from '../../src/control/midi/adapter.js';
import { rtMidiBackend, type MidiBackend } from '../../src/control/midi/backend.js';
import { MidiControl } from '../../src/control/midi/midi-control.js';
import { installLearnCommands } from '../../src/control/midi/learn-command.js';
import type { ControlStore } from '../../src/control/osc/server.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { runCli } from '../helpers/cli.js';
import { noAlsaSequencer } from '../helpers/requires.js';
import { oscServer, UdpPeer, waitFor } from './helpers.js';

function capturingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
  return { log, lines };
}

/** A MIDI library stand-in at the MidiBackend boundary: named ports, injectable input, recorded output. */
class FakeBackend implements MidiBackend {
  readonly listeners = new Map<number, (bytes: number[]) => void>();
  readonly sent: number[][] = [];
  constructor(private readonly inNames: string[], private readonly outNames: string[]) {}
  inputs = () => this.inNames;
  outputs = () => this.outNames;
  openInput(index: number, onMessage: (bytes: number[]) => void) {
    this.listeners.set(index, onMessage);
    return { close: () => this.listeners.delete(index) };
  }
  openOutput() {
    return { send: (b: readonly number[]) => void this.sent.push([...b]), close: () => {} };
  }
  play(port: number, ...msgs: number[][]) {
    for (const m of msgs) this.listeners.get(port)?.(m);
  }
}

describe('MIDI ports', () => {
  it('runs on whatever the machine has: the real @julusian/midi opens its ports, or fails with one clear log line', async () => {
    const { log, lines } = capturingLogger();
    const ports = await MidiPorts.open(MidiConfig.parse({}), () => rtMidiBackend({ sequencer: null }), log, () => {});
    try {
      const off = lines.filter((l) => l.msg.startsWith('MIDI off'));
      if (noAlsaSequencer) assert.equal(off.length, 1, 'no ALSA sequencer here: RtMidi cannot initialise');
      assert.ok(off.length <= 1, JSON.stringify(lines));
      if (off.length === 1) {
        assert.deepEqual(lines, off, 'the one line is all');
        assert.match(off[0]!.msg, /^MIDI off: SDL_ERR_MIDI_UNAVAILABLE: no MIDI subsystem: Failed to initialise RtMidi/);
        assert.equal(ports.inputCount, 0);
      } else {
        assert.equal(ports.inputCount, (await rtMidiBackend({ sequencer: null })).inputs().length, 'every input is opened by default');
      }
    } finally {
      ports.close();
    }
  });

  it('reports a missing ALSA sequencer before touching RtMidi, and goes on to RtMidi when the device is there', async () => {
    const { log, lines } = capturingLogger();
    const missing = join(tmpdir(), `sdlive-no-seq-${process.pid}`, 'seq');
    const ports = await MidiPorts.open(MidiConfig.parse({}), () => rtMidiBackend({ sequencer: missing }), log, () => {});
    assert.equal(ports.inputCount, 0);
    assert.deepEqual(lines.map((l) => l.msg), [`MIDI off: SDL_ERR_MIDI_UNAVAILABLE: no ALSA sequencer (${missing}): load snd-seq (modprobe snd-seq) (set midi.enabled false to silence)`]);
    const present = fileURLToPath(import.meta.url); // a file that exists stands in for the device: RtMidi is asked
    const rtmidi = await rtMidiBackend({ sequencer: present }).then(() => 'opened', (e: Error) => e.message);
    if (noAlsaSequencer) assert.match(rtmidi, /no MIDI subsystem: Failed to initialise RtMidi/);
    else assert.match(rtmidi, /^opened$|no MIDI subsystem/);
  });

  it('`sdlive run` prints at most one MIDI line and no ALSA text; without a sequencer that line says so', async () => {
    const r = await runCli(['run', '--pipeline', 'passthrough', '--osc-port', '0', '--http-port', '0', '--set', 'width=256', '--set', 'height=256', '--frames', '3']);
    assert.equal(r.code, 0, r.stderr);
    const all = r.stdout + r.stderr;
    assert.doesNotMatch(all, /ALSA lib|MidiInAlsa|RtMidi/);
    const midiLines = all.split('\n').filter((l) => /MIDI/.test(l));
    assert.ok(midiLines.length <= 1, all);
    if (noAlsaSequencer) assert.match(midiLines[0] ?? '', /MIDI off: SDL_ERR_MIDI_UNAVAILABLE: no ALSA sequencer/);
    else assert.doesNotMatch(all, /no ALSA sequencer/);
  });

  it('does not touch MIDI when disabled', async () => {
    let asked = false;
    const ports = await MidiPorts.open(MidiConfig.parse({ enabled: false }), async () => ((asked = true), new FakeBackend([], [])), silentLogger, () => {});
    assert.equal(asked, false);
    assert.equal(ports.inputCount, 0);
  });

  it('opens inputs by name, index or all, and says which selector matched nothing', async () => {
    const { log, lines } = capturingLogger();
    const backend = new FakeBackend(['MIDI Mix 20:0', 'nanoKONTROL2 24:0', 'Through'], []);
    const ports = await MidiPorts.open(MidiConfig.parse({ inputs: ['nanokontrol', 0, 'missing'] }), async () => backend, log, () => {});
    assert.deepEqual([...backend.listeners.keys()].sort(), [0, 1]);
    assert.equal(ports.inputCount, 2);
    assert.ok(lines.some((l) => l.msg === 'MIDI input not found'));
    const all = new FakeBackend(['a', 'b', 'c'], []);
    await MidiPorts.open(MidiConfig.parse({}), async () => all, silentLogger, () => {});
    assert.equal(all.listeners.size, 3);
  });
});

describe('MIDI control end to end at the backend boundary (mapping file, LEDs, learn)', () => {
  const space = new AddressSpace(StreamDiffusionParams);
  let dir: string;
  let store: ControlStore;
  let backend: FakeBackend;
  let mappings: MappingSet;
  let midi: MidiControl;
  const p = () => store.snapshot as Record<string, unknown>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdlive-midi-'));
    store = new ParameterStore(StreamDiffusionParams);
    backend = new FakeBackend(['MIDI Mix'], ['MIDI Mix']);
    mappings = new MappingSet([join(import.meta.dirname, '../../mappings/akai-midimix.json')], space, silentLogger);
    await mappings.start();
    midi = await new MidiControl({ config: MidiConfig.parse({ outputs: ['all'] }), store, space, mappings, learnFile: join(dir, 'learned.json'), log: silentLogger, backend: async () => backend }).open();
  });
  after(async () => {
    midi.close();
    mappings.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('drives the store from the shipped MIDImix file and lights its LEDs', () => {
    backend.play(0, [0xb0, 16, 0], [0xb0, 16, 127]);
    assert.equal(p().delta, 5, 'pick-up caught the knob, top knob of column 1 is delta');
    backend.play(0, [0x90, 3, 127]);
    assert.equal(p().paused, true, 'rec-arm 1 toggles pause');
    assert.ok(backend.sent.some((m) => m[0] === 0x90 && m[1] === 3 && m[2] === 127), 'LED of rec-arm 1 lit');
    assert.ok(backend.sent.some((m) => m[0] === 0xb0 && m[1] === 16 && m[2] === 127), 'knob ring feedback');
  });

  it('learns a 14-bit CC, writes it to the learn file and uses it at once', async () => {
    midi.learn.start('guidance_scale');
    backend.play(0, [0xb0, 5, 10], [0xb0, 37, 0]);
    assert.equal(p().guidance_scale, 1.2, 'a learning move does not act');
    await waitFor(() => midi.lastLearned !== '', 'learned');
    assert.equal(midi.lastLearned, 'cc14 ch1 #5 -> guidance_scale');
    const file = JSON.parse(await readFile(join(dir, 'learned.json'), 'utf8')) as { midi: { type: string; number: number }[] };
    assert.deepEqual(file.midi.map((b) => [b.type, b.number]), [['cc14', 5]]);
    await waitFor(() => mappings.current.length === 2, 'learn file loaded');
    backend.play(0, [0xb0, 5, 0], [0xb0, 37, 0], [0xb0, 5, 127], [0xb0, 37, 127]);
    await waitFor(() => p().guidance_scale === 5, 'learned binding acts (pick-up crossed, top of the norm range)');
  });

  it('learns a note as a toggle for a boolean, replacing an earlier binding of the same control', async () => {
    midi.learn.start('do_add_noise');
    backend.play(0, [0x90, 60, 100]);
    await waitFor(() => midi.lastLearned.includes('do_add_noise'), 'learned');
    midi.learn.start('similarity_filter');
    backend.play(0, [0x90, 60, 100]);
    await waitFor(() => midi.lastLearned.includes('similarity_filter'), 'relearned');
    const file = JSON.parse(await readFile(join(dir, 'learned.json'), 'utf8')) as { midi: { type: string; param: string; button?: string }[] };
    assert.deepEqual(file.midi.filter((b) => b.type === 'note').map((b) => [b.param, b.button]), [['similarity_filter', 'toggle']]);
  });

  it('arms, answers "?" and cancels learn over OSC (real UDP)', async () => {
    const osc = await oscServer(silentLogger, false);
    const peer = await UdpPeer.open();
    const remove = installLearnCommands(osc.server, midi, silentLogger);
    try {
      await peer.send(osc.server.port, '/sdlive/learn', 'delta');
      await waitFor(() => midi.learn.target === 'delta', 'armed');
      await peer.send(osc.server.port, '/sdlive/learn', '?');
      assert.deepEqual((await peer.next('/sdlive/learn')).args, ['delta']);
      assert.equal(midi.learn.target, 'delta', 'a query is not a target');
      await peer.send(osc.server.port, '/sdlive/learn/cancel');
      await peer.send(osc.server.port, '/sdlive/learn', '?');
      assert.deepEqual((await peer.next('/sdlive/learn')).args, ['']);
      await peer.send(osc.server.port, '/sdlive/learn', 'deltaa');
      assert.match(String((await peer.next('/sdlive/error')).args[1]), /^unknown_address: no address \/sdlive\/deltaa/);
    } finally {
      remove();
      await osc.close();
      await peer.close();
    }
  });

  it('rejects learning an address that does not exist', () => {
    assert.throws(() => midi.learn.start('nope'), /no address \/sdlive\/nope/);
  });
});
