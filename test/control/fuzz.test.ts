import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setImmediate as yieldToServer } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { encodeMessage } from '../../src/control/osc/codec.js';
import { controlSurfaceOf, type ControlSurface } from '../../src/control/surface.js';
import { silentLogger } from '../../src/log.js';
import { waitFor } from './helpers.js';

/** Seeded so a failure reproduces: set SDLIVE_FUZZ_SEED to replay another run. */
const SEED = Number(process.env.SDLIVE_FUZZ_SEED ?? 0x5d11e);

/** mulberry32: a small, well-mixed 32-bit PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return {
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}
type Random = ReturnType<typeof prng>;

// OSC wire pieces written by hand (OSC 1.0: NUL-terminated strings padded to 4 bytes, big-endian numbers).
const oscString = (s: string) => {
  const b = Buffer.from(`${s}\0`, 'latin1');
  return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const float32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeFloatBE(n);
  return b;
};
const float64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n);
  return b;
};
const message = (address: string, tags: string, ...args: Buffer[]) => Buffer.concat([oscString(address), oscString(`,${tags}`), ...args]);
const bundle = (...elements: Buffer[]) => Buffer.concat([oscString('#bundle'), Buffer.alloc(8), ...elements.flatMap((e) => [int32(e.length), e])]);

/** Known addresses with arguments the schema refuses (wrong type, non-finite): none may change the store. */
const REFUSED: readonly Buffer[] = [
  message('/sdlive/fps_cap', 's', oscString('fast')),
  message('/sdlive/fps_cap', 'S', oscString('abc')),
  message('/sdlive/fps_cap', 'b', int32(3), Buffer.from([1, 2, 3, 0])),
  message('/sdlive/fps_cap', 'N'),
  message('/sdlive/fps_cap', 'r', int32(0x11223344)),
  message('/sdlive/fps_cap', 'f', float32(NaN)),
  message('/sdlive/fps_cap', 'f', float32(Infinity)),
  message('/sdlive/fps_cap', 'd', float64(-Infinity)),
  message('/sdlive/fps_cap', 'sf', oscString('+'), float32(NaN)),
  message('/sdlive/fps_cap', 'ss', oscString('*'), oscString('x')),
  message('/sdlive/norm/fps_cap', 'f', float32(NaN)),
  message('/sdlive/paused', 's', oscString('maybe')),
  message('/sdlive/paused', 'f', float32(NaN)),
  message('/sdlive/paused', 'N'),
  message('/sdlive/width', 's', oscString('wide')),
  message('/sdlive/height', 'b', int32(0)),
  message('/sdlive/fps_cap', ''),
];

/** Broken framing: bad padding, truncation, blob sizes that lie, bundles with bad or nested bad sizes. */
function brokenPacket(r: Random): Buffer {
  const valid = message('/sdlive/fps_cap', 'f', float32(33));
  switch (r.int(8)) {
    case 0: return Buffer.from('/sdlive/fps_cap\0,f\0', 'latin1');
    case 1: return valid.subarray(0, 1 + r.int(valid.length - 1));
    case 2: return message('/sdlive/fps_cap', 'b', int32(r.pick([0x7ffffff0, -1, -0x80000000, 1 << 20])), r.bytes(8));
    case 3: return Buffer.concat([oscString('#bundle'), Buffer.alloc(8), int32(r.pick([1 << 30, -4, 3, 0])), valid]);
    case 4: return bundle(bundle(Buffer.concat([oscString('#bundle'), Buffer.alloc(8), int32(1 << 24)])));
    case 5: return Buffer.concat([oscString('/sdlive/fps_cap'), oscString(`,${'f'.repeat(1 + r.int(40))}`)]);
    case 6: return Buffer.concat([oscString(`/${r.bytes(1 + r.int(30)).toString('latin1')}`), oscString(',i'), int32(1)]);
    default: return r.pick(REFUSED);
  }
}

/** Patterns that are malformed, over the limits, or match nothing (they end in "!"), with an argument every address refuses. */
function patternBomb(r: Random): Buffer {
  const body = r.pick([
    () => `/sdlive/${'*'.repeat(10 + r.int(60))}!`,
    () => `/${'*?'.repeat(1 + r.int(40))}!`,
    () => `/sdlive/${Array.from({ length: 1 + r.int(80) }, () => r.pick(['*', '?', '[', ']', '{', '}', ',', '!', '-', 'a', '/'])).join('')}!`,
    () => `/sdlive/{${Array.from({ length: 1 + r.int(100) }, (_, i) => `o${i}`).join(',')}}!`,
    () => `/sdlive/${'[a-z]'.repeat(1 + r.int(70))}!`,
    () => `/${'x'.repeat(250 + r.int(400))}*`,
  ])();
  return message(body, 'N');
}

const randomPacket = (r: Random) => r.pick([
  () => r.bytes(r.int(512)),
  () => Buffer.concat([Buffer.from('/sdlive/'), r.bytes(r.int(128))]),
  () => Buffer.concat([oscString('#bundle'), r.bytes(r.int(256))]),
])();

async function sendAll(socket: Socket, port: number, packets: readonly Uint8Array[]): Promise<void> {
  for (let i = 0; i < packets.length; i += 32) {
    await Promise.all(packets.slice(i, i + 32).map((p) => new Promise<void>((resolve, reject) => socket.send(p, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())))));
    await yieldToServer();
  }
}

/** A raw request over TCP, for request lines no HTTP client would send; resolves with the status line. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (reply += d));
    socket.on('error', reject);
    socket.on('close', () => resolve(reply.split('\r\n')[0]!));
  });
}

const wsOpen = (url: string) => new Promise<WebSocket>((resolve, reject) => {
  const ws = new WebSocket(url);
  ws.once('open', () => resolve(ws));
  ws.once('error', reject);
});

describe(`fuzzing the running engine's control surface (seed ${SEED})`, { timeout: 120_000 }, () => {
  let app: RunningApp;
  let surface: ControlSurface;
  let sender: Socket;
  let replies: Socket;
  let baseline: Record<string, unknown>;
  const expected: Record<string, unknown> = {};
  const crashes: unknown[] = [];
  const onCrash = (e: unknown) => void crashes.push(e);
  const r = prng(SEED);
  const p = () => app.store.snapshot as Record<string, unknown>;

  /**
   * A valid change in the middle of the barrage: waits until it took effect, so no later assertion guesses.
   * Sent again (it is absolute, so repeating it is harmless) if the kernel dropped it under the flood.
   */
  async function valid(send: () => Promise<unknown> | void, key: string, value: unknown): Promise<void> {
    expected[key] = value;
    for (let attempt = 1; ; attempt++) {
      await send();
      try {
        return await waitFor(() => p()[key] === value, `valid ${key} = ${String(value)}`, 2000);
      } catch (e) {
        if (attempt === 5) throw e;
      }
    }
  }

  before(async () => {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    replies = createSocket('udp4');
    await new Promise<void>((resolve) => replies.bind(0, '127.0.0.1', resolve));
    app = await startApp(resolveConfig({
      pipeline: 'passthrough', params: { width: 256, height: 256 }, http: { port: 0 }, midi: { enabled: false },
      osc: { port: 0, zeroconf: false, reply_to_sender: true, streamdiffusiontd: { port: 0, reply_port: replies.address().port } },
    }), silentLogger);
    surface = controlSurfaceOf(app)!;
    sender = createSocket('udp4');
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', resolve));
    await waitFor(() => app.engine.frameCount > 0, 'first frame', 20_000);
    baseline = structuredClone(p());
  });
  after(async () => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    await app.stop();
    await Promise.all([sender, replies].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it('OSC over UDP: random bytes, broken framing, refused values and pattern bombs, with valid changes between', async () => {
    const osc = surface.osc.port;
    const sdtd = surface.streamDiffusionTd!.server.port;
    const failuresBefore = { ...surface.osc.stats.failures };
    const started = performance.now();
    for (let round = 0; round < 6; round++) {
      await sendAll(sender, osc, Array.from({ length: 300 }, () => randomPacket(r)));
      await sendAll(sender, osc, Array.from({ length: 100 }, () => brokenPacket(r)));
      await sendAll(sender, osc, Array.from({ length: 30 }, () => patternBomb(r)));
      await sendAll(sender, sdtd, Array.from({ length: 50 }, () => r.pick([randomPacket(r), message('/max_fps', 's', oscString('quick')), message('/pause', 'b', int32(1 << 30))])));
      await valid(() => sendAll(sender, osc, [encodeMessage('/sdlive/fps_cap', [40 + round])]), 'fps_cap', 40 + round);
    }
    await valid(() => sendAll(sender, sdtd, [encodeMessage('/max_fps', [55])]), 'fps_cap', 55);
    await valid(() => sendAll(sender, osc, [encodeMessage('/sdlive/paused', [true])]), 'paused', true);
    await valid(() => sendAll(sender, osc, [encodeMessage('/sdlive/{paused,nothing}', [false])]), 'paused', false);
    const { failures } = surface.osc.stats;
    assert.ok(failures.malformed - failuresBefore.malformed > 100, `malformed ${failures.malformed}`);
    assert.ok(failures.unknown_address > failuresBefore.unknown_address && failures.bad_type > failuresBefore.bad_type);
    assert.ok(performance.now() - started < 60_000, 'a pattern bomb would block this for minutes');
  });

  it('the OSCQuery WebSocket: non-object JSON, invalid JSON and UTF-8, binary garbage', async () => {
    const url = `${app.http.url.replace('http', 'ws')}/`;
    const ws = await wsOpen(url);
    const malformedBefore = surface.osc.stats.failures.malformed;
    const texts = ['null', '1', '"x"', '[]', 'true', '-1e999', '{"COMMAND":null}', '{"DATA":{}}', '[{"COMMAND":"LISTEN"}]', '{', '\u0000', '['.repeat(4000)];
    for (let i = 0; i < 200; i++) ws.send(i < texts.length ? texts[i]! : r.bytes(1 + r.int(200)), { binary: i >= texts.length });
    await valid(() => ws.send(encodeMessage('/sdlive/fps_cap', [61])), 'fps_cap', 61);
    assert.ok(surface.osc.stats.failures.malformed - malformedBefore >= texts.length);
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
    const badUtf8 = await wsOpen(url);
    const closed = new Promise<number>((resolve) => badUtf8.once('close', resolve));
    badUtf8.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    assert.equal(await closed, 1007, 'invalid UTF-8 closes that socket only');
    (await wsOpen(url)).close();
  });

  it('HTTP: bad paths, bad percent-encodings, huge query strings, unknown methods, garbage request lines', async () => {
    const base = app.http.url;
    const paths = ['/sdlive/%E0%A4%A', '/sdlive/%', '/%', '/ui/%c0%af', '/ui/..%2f..%2fpackage.json', '/ui/../../package.json', `/sdlive/fps_cap?${'A'.repeat(20_000)}`, '/sdlive/fps_cap?VALUE&&&==', `/${'a/'.repeat(2000)}`, '/sdlive//fps_cap?%'];
    for (const path of paths) {
      const res = await fetch(`${base}${path}`);
      assert.ok(res.status < 500, `${path} -> ${res.status}`);
      await res.arrayBuffer();
    }
    for (const method of ['BREW', 'PROPFIND', 'DELETE', 'PUT', 'OPTIONS']) assert.ok((await fetch(`${base}/sdlive/fps_cap`, { method })).status < 500, method);
    for (const body of ['null', '[]', '{"fps_cap":"x"}', '{"nope":1}', '{', '\u0000']) {
      const res = await fetch(`${base}/api/params`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      assert.ok(res.status >= 400 && res.status < 500, `POST ${body} -> ${res.status}`);
    }
    const port = Number(new URL(base).port);
    for (const request of ['GARBAGE\r\n\r\n', 'GET /%%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', `GET /sdlive/%E0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX: ${'y'.repeat(20_000)}\r\n\r\n`, 'GET / HTTP/9.9\r\n\r\n']) {
      const status = await rawHttp(port, request);
      assert.match(status, /^HTTP\/1\.1 [1-4]\d\d /, `${JSON.stringify(request.slice(0, 30))} -> ${status}`);
    }
  });

  it('afterwards the engine still produces frames, /health answers, and only the valid changes took effect', async () => {
    assert.deepEqual(crashes, []);
    const frames = app.engine.frameCount;
    await waitFor(() => app.engine.frameCount > frames + 5, 'frames after the barrage', 20_000);
    const health = await fetch(`${app.http.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    assert.deepEqual(p(), { ...baseline, ...expected });
  });
});
