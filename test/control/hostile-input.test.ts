import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { WebSocket } from 'ws';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { MidiConfig } from '../../src/control/config.js';
import { MappingSet } from '../../src/control/mappings/mapping-set.js';
import type { MidiBackend } from '../../src/control/midi/backend.js';
import { MidiControl } from '../../src/control/midi/midi-control.js';
import { cc } from '../../src/control/midi/messages.js';
import { decodePacket, encodeMessage, type DecodedMessage } from '../../src/control/osc/codec.js';
import type { ControlStore } from '../../src/control/osc/server.js';
import { controlSurfaceOf, type ControlSurface } from '../../src/control/surface.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { oscServer, UdpPeer, waitFor } from './helpers.js';

describe('OSCQuery WebSocket and HTTP paths under hostile input', () => {
  let app: RunningApp;
  let surface: ControlSurface;
  const logs: string[] = [];

  before(async () => {
    const log = pino({ level: 'info' }, { write: (s: string) => void logs.push(s) });
    app = await startApp(resolveConfig({
      pipeline: 'passthrough', params: { width: 256, height: 256 }, http: { port: 0 }, midi: { enabled: false }, osc: { port: 0, zeroconf: false },
    }), log);
    surface = controlSurfaceOf(app)!;
  });
  after(() => app.stop());

  it('counts text frames that are not a LISTEN/IGNORE object as malformed, answers them, and keeps the socket serving', async () => {
    const ws = new WebSocket(`${app.http.url.replace('http', 'ws')}/`);
    const binaries: DecodedMessage[] = [];
    ws.on('message', (data, isBinary) => void (isBinary && binaries.push(...decodePacket(data as Buffer))));
    await new Promise((resolve) => ws.once('open', resolve));
    const frames = ['null', '1', '"x"', '[]', 'true', '{}', '{"COMMAND":"LISTEN"}', '{"COMMAND":"NOPE","DATA":"/sdlive/fps_cap"}', 'not json'];
    const before = surface.osc.stats.failures.malformed;
    for (const f of frames) ws.send(f);
    await waitFor(() => surface.osc.stats.failures.malformed === before + frames.length, 'every bad frame counted');
    // One reply for the burst: errors to a sender are limited to one per address, reason and second.
    await waitFor(() => binaries.some((m) => m.address === '/sdlive/error' && m.args[0] === '(websocket)'), 'answered with /sdlive/error');
    ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: '/sdlive/fps_cap' }));
    ws.send(encodeMessage('/sdlive/fps_cap', [17]));
    await waitFor(() => binaries.some((m) => m.address === '/sdlive/fps_cap' && m.args[0] === 17), 'the push after a change');
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
  });

  it('answers malformed percent-encoding with 400 and a short JSON error, and logs no stack', async () => {
    for (const path of ['/sdlive/%E0%A4%A', '/sdlive/%', '/sdlive/%zz', '/ui/%E0%A4%A', '/ui/%']) {
      const res = await fetch(`${app.http.url}${path}`);
      assert.equal(res.status, 400, path);
      assert.deepEqual(await res.json(), { error: 'malformed percent-encoding in the URL path' });
    }
    assert.equal((await fetch(`${app.http.url}/%`)).status, 404, 'no route takes /%: nothing decodes it');
    assert.equal((await fetch(`${app.http.url}/sdlive/fps%5Fcap?VALUE`)).status, 200, 'good percent-encoding still decodes');
    assert.deepEqual(logs.filter((l) => /URIError|"stack"/.test(l)), []);
  });
});

/** A MIDI library stand-in: one input, whose callback the test plays into, and one output that was unplugged. */
function oneInputBackend(): { backend: MidiBackend; play: (bytes: number[]) => void } {
  let listener: ((bytes: number[]) => void) | undefined;
  const backend: MidiBackend = {
    inputs: () => ['Test Controller'],
    outputs: () => ['Unplugged Controller'],
    openInput: (_i, onMessage) => {
      listener = onMessage;
      return { close: () => (listener = undefined) };
    },
    openOutput: () => ({
      send: () => {
        throw new Error('MidiOutWinMM::sendMessage: error sending MIDI message');
      },
      close: () => {},
    }),
  };
  return { backend, play: (bytes) => listener?.(bytes) };
}

describe('MIDI input and mapping reloads under hostile input', () => {
  let dir: string;
  let file: string;
  let store: ControlStore;
  let mappings: MappingSet;
  let midi: MidiControl;
  const { backend, play } = oneInputBackend();
  const p = () => store.snapshot as { delta: number; prompt: unknown };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sdlive-hostile-'));
    file = join(dir, 'show.json');
    await writeFile(file, JSON.stringify({
      name: 'show',
      midi: [
        { type: 'cc', channel: 1, number: 16, param: 'prompts/3/weight', smoothing_ms: 30 },
        { type: 'cc', channel: 1, number: 17, param: 'delta' },
      ],
    }));
    store = new ParameterStore(StreamDiffusionParams);
    const space = new AddressSpace(StreamDiffusionParams);
    mappings = new MappingSet([file], space, silentLogger);
    await mappings.start();
    midi = await new MidiControl({ config: MidiConfig.parse({ outputs: ['all'] }), store, space, mappings, learnFile: join(dir, 'learned.json'), log: silentLogger, backend: async () => backend }).open();
  });
  after(async () => {
    midi.close();
    mappings.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts a gliding knob whose list entry does not exist instead of throwing from its timer', async () => {
    const prompt = p().prompt;
    play(cc(1, 16, 100));
    await waitFor(() => midi.failures > 0, 'the failed glide counted');
    assert.deepEqual(p().prompt, prompt);
    play(cc(1, 17, 127));
    await waitFor(() => p().delta === 5, 'a good control still applies');
  });

  it('keeps applying changes when a MIDI output fails to send their LED feedback', () => {
    const result = store.update({ delta: 2.5 }, 'test');
    assert.ok(result.ok);
    assert.equal(p().delta, 2.5);
  });

  it('counts a broken hot reload, keeps the previous version, and survives a listener that throws', async () => {
    mappings.on('error', () => {
      throw new Error('a listener bug');
    });
    await writeFile(file, '{ "name": "show", "midi": [ { "type": "cc" ');
    await waitFor(() => mappings.failures === 1, 'the broken reload counted', 5000);
    assert.equal(mappings.current[0]!.mapping.midi.length, 2);
    play(cc(1, 17, 0));
    await waitFor(() => p().delta === 0, 'the previous mapping still drives the store');
  });
});

describe('OSC server handlers', () => {
  it('count a throwing listener as a rejected message and never throw out of the socket handler or a send', async () => {
    const { server, store, close } = await oscServer(silentLogger, false);
    const peer = await UdpPeer.open();
    try {
      server.on('message', (m) => {
        if (m.address === '/sdlive/delta') throw new Error('a listener bug');
      });
      await peer.send(server.port, '/sdlive/delta', 2);
      await waitFor(() => server.stats.failures.rejected === 1, 'the listener failure counted');
      await peer.send(server.port, '/sdlive/guidance_scale', 3);
      await waitFor(() => (store.snapshot as { guidance_scale: number }).guidance_scale === 3, 'the next message applied');
      assert.doesNotThrow(() => server.send({ address: '127.0.0.1', port: 0 }, encodeMessage('/x', [1])));
    } finally {
      await peer.close();
      await close();
    }
  });
});
