import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { encodeMessage } from '../../src/control/osc/codec.js';
import { StreamDiffusionTd } from '../../src/control/streamdiffusiontd/adapter.js';
import { controlSurfaceOf, type ControlSurface } from '../../src/control/surface.js';
import { isSdliveError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { runCli } from '../helpers/cli.js';
import { UdpPeer, waitFor } from './helpers.js';

/** A UDP socket bound to one loopback address, so the server sees that address as the sender. */
async function udpFrom(address: string): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return socket;
}

const sendFrom = (socket: Socket, port: number, address: string, value: number) =>
  new Promise<void>((resolve, reject) => socket.send(encodeMessage(address, [value]), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));

const closeUdp = (socket: Socket) => new Promise<void>((resolve) => socket.close(() => resolve()));

async function appWith(osc: Record<string, unknown>): Promise<{ app: RunningApp; surface: ControlSurface }> {
  const app = await startApp(resolveConfig({
    pipeline: 'passthrough', params: { width: 256, height: 256 }, http: { port: 0 }, midi: { enabled: false },
    osc: { port: 0, zeroconf: false, ...osc },
  }), silentLogger);
  return { app, surface: controlSurfaceOf(app)! };
}

describe('OSC exposure', () => {
  it('binds OSC to 127.0.0.1 unless the config opens it', async () => {
    assert.equal(resolveConfig({}).osc.host, '127.0.0.1');
    const { app, surface } = await appWith({ streamdiffusiontd: { port: 0 } });
    try {
      assert.equal(surface.osc.bound?.address, '127.0.0.1');
      assert.equal(surface.streamDiffusionTd!.server.bound?.address, '127.0.0.1');
    } finally {
      await app.stop();
    }
  });

  it('validates osc.allow at start-up, naming the entry', () => {
    assert.deepEqual(resolveConfig({ osc: { allow: ['192.168.1.0/24', '10.0.0.7', '::1', 'fd00::/8'] } }).osc.allow?.length, 4);
    for (const [bad, at] of [[['10.0.0.0/33'], 0], [['10.0.0.7', 'show-laptop.local'], 1], [['10.0.0.1/24/1'], 0], [['1.2.3'], 0], [['::1/129'], 0]] as const) {
      assert.throws(() => resolveConfig({ osc: { allow: bad } }), (e: unknown) => {
        assert.ok(isSdliveError(e, 'SDL_ERR_CONFIG'), String(e));
        assert.equal(e.field, `osc.allow.${at}`);
        assert.match(e.message, /IPv4\/IPv6 address or CIDR/);
        return true;
      });
    }
  });

  describe('with osc.allow', () => {
    let app: RunningApp;
    let surface: ControlSurface;
    let fromLoopback1: Socket;
    let fromLoopback2: Socket;
    let replies: UdpPeer;
    const p = () => app.store.snapshot as { fps_cap: number; paused: boolean };

    before(async () => {
      replies = await UdpPeer.open();
      ({ app, surface } = await appWith({ allow: ['127.0.0.2'], reply_to_sender: true, streamdiffusiontd: { port: 0, reply_port: replies.port } }));
      fromLoopback1 = await udpFrom('127.0.0.1');
      fromLoopback2 = await udpFrom('127.0.0.2');
    });
    after(async () => {
      await app.stop();
      await Promise.all([closeUdp(fromLoopback1), closeUdp(fromLoopback2), replies.close()]);
    });

    it('drops datagrams from senders not on the list, counts them in /metrics, and takes them from senders on it', async () => {
      const before = p().fps_cap;
      await sendFrom(fromLoopback1, surface.osc.port, '/sdlive/fps_cap', 11);
      await sendFrom(fromLoopback1, surface.streamDiffusionTd!.server.port, '/pause', 1);
      await waitFor(() => surface.osc.stats.failures.not_allowed === 1 && surface.streamDiffusionTd!.server.stats.failures.not_allowed === 1, 'both drops counted');
      assert.equal(p().fps_cap, before);
      assert.equal(p().paused, false);
      await sendFrom(fromLoopback2, surface.osc.port, '/sdlive/fps_cap', 13);
      await waitFor(() => p().fps_cap === 13, 'the allowed sender applied');
      assert.equal(surface.osc.lastSender?.address, '127.0.0.2', 'a dropped sender never becomes the reply target');
      assert.equal(surface.osc.stats.packets, 1);
      const metrics = await (await fetch(`${app.http.url}/metrics`)).text();
      assert.match(metrics, /^sdlive_osc_failures_total\{listener="osc",reason="not_allowed"\} 1$/m);
      assert.match(metrics, /^sdlive_osc_failures_total\{listener="streamdiffusiontd",reason="not_allowed"\} 1$/m);
    });

    it('accepts a whole subnet', async () => {
      const { app: open, surface: openSurface } = await appWith({ allow: ['127.0.0.0/8'] });
      try {
        await sendFrom(fromLoopback1, openSurface.osc.port, '/sdlive/fps_cap', 12);
        await waitFor(() => (open.store.snapshot as { fps_cap: number }).fps_cap === 12, 'accepted from 127.0.0.1');
        assert.equal(openSurface.osc.stats.failures.not_allowed, 0);
      } finally {
        await open.stop();
      }
    });
  });

  describe('bind failures stop start-up with exit 2, naming the field', () => {
    let dir: string;
    let taken: Socket;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sdlive-osc-bind-'));
      taken = await udpFrom('127.0.0.1');
    });
    after(async () => {
      await closeUdp(taken);
      await rm(dir, { recursive: true, force: true });
    });

    const run = async (osc: object) => {
      const config = join(dir, `${Object.keys(osc).join('-')}.json`);
      await writeFile(config, JSON.stringify({ osc: { zeroconf: false, ...osc }, midi: { enabled: false } }));
      return runCli(['run', '--pipeline', 'passthrough', '--config', config, '--http-port', '0', '--set', 'width=256', '--set', 'height=256', '--frames', '3']);
    };

    it('an osc.host that is not an address of this machine', async () => {
      const r = await run({ host: '192.0.2.1', port: 0 });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^sdlive: SDL_ERR_BIND: osc\.host "192\.0\.2\.1" cannot be bound \(EADDRNOTAVAIL\)/m);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });

    it('an OSC port already in use', async () => {
      const r = await run({ port: (taken.address() as AddressInfo).port });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^sdlive: SDL_ERR_PORT_IN_USE: osc\.port \d+ is already in use/m);
    });

    it('a StreamDiffusionTD port already in use names its own field', async () => {
      const { app, surface } = await appWith({});
      try {
        await assert.rejects(StreamDiffusionTd.start({
          config: { port: (taken.address() as AddressInfo).port, reply_host: '127.0.0.1', reply_port: 9, heartbeat_ms: 1000 },
          host: '127.0.0.1', store: app.store, space: surface.space, log: silentLogger,
          metrics: () => ({ fps: 0 }), frameCount: () => 0, onFrame: () => () => {},
        }), (e: unknown) => isSdliveError(e, 'SDL_ERR_PORT_IN_USE') && e.field === 'osc.streamdiffusiontd.port');
      } finally {
        await app.stop();
      }
    });
  });
});
