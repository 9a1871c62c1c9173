import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { decodePacket, encodeMessage, type DecodedMessage } from '../../src/control/osc/codec.js';
import { controlSurfaceOf, type ControlSurface } from '../../src/control/surface.js';
import { silentLogger } from '../../src/log.js';
import { UdpPeer, waitFor } from './helpers.js';

interface Node {
  FULL_PATH: string;
  CONTENTS?: Record<string, Node>;
  TYPE?: string;
  VALUE?: unknown[];
  RANGE?: { MIN?: number; MAX?: number; VALS?: string[] }[];
  ACCESS?: number;
  CLIPMODE?: string[];
}

describe('OSCQuery over real HTTP and WebSocket', () => {
  let app: RunningApp;
  let surface: ControlSurface;
  let peer: UdpPeer;
  let base: string;

  before(async () => {
    app = await startApp(resolveConfig({ pipeline: 'passthrough', params: { width: 256, height: 256 }, osc: { port: 0, zeroconf: false }, http: { port: 0 }, midi: { enabled: false } }), silentLogger);
    surface = controlSurfaceOf(app)!;
    peer = await UdpPeer.open();
    base = app.http.url;
  });
  after(async () => {
    await peer.close();
    await app.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, redirect: 'manual' });

  it('serves the namespace generated from the schema at /', async () => {
    const root = (await (await get('/')).json()) as Node;
    const sdlive = root.CONTENTS!.sdlive!;
    const commandRoots = app.commands.list().map((c) => c.name.split('/')[0]!);
    assert.deepEqual(Object.keys(sdlive.CONTENTS!).filter((k) => ![...commandRoots, 'norm', 'learn', 'fps', 'frame_count', 'latency_ms', 'latency_frames', 'dropped_frames', 'queue', 'memory_mb', 'health'].includes(k)).sort(), app.store.specs.map((s) => s.key).sort());
    const fps = sdlive.CONTENTS!.fps_cap!;
    assert.equal(fps.FULL_PATH, '/sdlive/fps_cap');
    assert.equal(fps.TYPE, 'f');
    assert.deepEqual(fps.RANGE, [{ MIN: 0, MAX: 240 }]);
    assert.equal(fps.ACCESS, 3);
    assert.deepEqual(fps.CLIPMODE, ['both']);
    assert.equal(sdlive.CONTENTS!.paused!.TYPE, 'T');
    assert.deepEqual(sdlive.CONTENTS!.norm!.CONTENTS!.fps_cap!.RANGE, [{ MIN: 0, MAX: 1 }]);
    assert.equal(sdlive.CONTENTS!.frame_count!.ACCESS, 1);
  });

  it('answers ?HOST_INFO with the OSC and WebSocket ports', async () => {
    const info = (await (await get('/?HOST_INFO')).json()) as Record<string, unknown>;
    assert.equal(info.OSC_PORT, surface.osc.port);
    assert.equal(info.OSC_TRANSPORT, 'UDP');
    assert.equal(info.WS_PORT, app.http.port);
    assert.equal((info.EXTENSIONS as Record<string, boolean>).LISTEN, true);
  });

  it('redirects a browser asking for HTML at / to the web page, not API clients', async () => {
    const html = await get('/', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    assert.equal(html.status, 302);
    assert.equal(html.headers.get('location'), '/ui/');
    assert.equal((await get('/', { accept: '*/*' })).status, 200);
    assert.equal((await get('/?HOST_INFO', { accept: 'text/html' })).status, 200);
  });

  it('reports VALUE after an OSC change; unknown paths are 404', async () => {
    await peer.send(surface.osc.port, '/sdlive/fps_cap', 24);
    await waitFor(() => (app.store.snapshot as { fps_cap: number }).fps_cap === 24, 'OSC applied');
    const res = await get('/sdlive/fps_cap?VALUE');
    assert.deepEqual(await res.json(), { VALUE: [24] });
    assert.deepEqual(await (await get('/sdlive/norm/fps_cap?VALUE')).json(), { VALUE: [0.1] });
    assert.equal((await get('/sdlive/fps_cap')).status, 200);
    assert.equal((await get('/sdlive/nope')).status, 404);
  });

  it('pushes LISTENed paths over the WebSocket (PATH_CHANGED + binary OSC), stops after IGNORE', async () => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/`);
    const texts: { COMMAND: string; DATA: string; VALUE: unknown[] }[] = [];
    const binaries: DecodedMessage[] = [];
    ws.on('message', (data, isBinary) => (isBinary ? binaries.push(...decodePacket(data as Buffer)) : texts.push(JSON.parse(String(data)))));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: '/sdlive/fps_cap' }));
    ws.send(JSON.stringify({ COMMAND: 'LISTEN', DATA: '/sdlive/frame_count' }));
    // The server handles a socket's messages in order: once the second LISTEN pushes, the first is in effect.
    await waitFor(() => binaries.some((m) => m.address === '/sdlive/frame_count'), 'metrics push');
    await peer.send(surface.osc.port, '/sdlive/fps_cap', 30);
    await waitFor(() => texts.some((t) => t.DATA === '/sdlive/fps_cap'), 'PATH_CHANGED');
    assert.deepEqual(texts.find((t) => t.DATA === '/sdlive/fps_cap'), { COMMAND: 'PATH_CHANGED', DATA: '/sdlive/fps_cap', VALUE: [30] });
    await waitFor(() => binaries.some((m) => m.address === '/sdlive/fps_cap'), 'binary push');

    ws.send(encodeMessage('/sdlive/fps_cap', [12]));
    await waitFor(() => (app.store.snapshot as { fps_cap: number }).fps_cap === 12, 'binary OSC frame from the client applied');
    ws.send(encodeMessage('/sdlive/nope', [1]));
    await waitFor(() => binaries.some((m) => m.address === '/sdlive/error' && m.args[0] === '/sdlive/nope'), 'error reply over the socket');

    ws.send(JSON.stringify({ COMMAND: 'IGNORE', DATA: '/sdlive/fps_cap' }));
    ws.send(encodeMessage('/sdlive/nope-after-ignore', [1]));
    await waitFor(() => binaries.some((m) => m.address === '/sdlive/error' && m.args[0] === '/sdlive/nope-after-ignore'), 'the IGNORE handled');
    const seen = texts.filter((t) => t.DATA === '/sdlive/fps_cap').length;
    await peer.send(surface.osc.port, '/sdlive/fps_cap', 50);
    await waitFor(() => (app.store.snapshot as { fps_cap: number }).fps_cap === 50, 'OSC applied');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(texts.filter((t) => t.DATA === '/sdlive/fps_cap').length, seen);
    ws.close();
  });
});
