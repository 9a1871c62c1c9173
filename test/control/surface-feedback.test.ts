import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import osc, { type OscPacket } from 'osc';
import type { RunningApp } from '../../src/app.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { OscFeedback } from '../../src/control/osc/feedback.js';
import { OscServer, type ControlStore } from '../../src/control/osc/server.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { startHeartbeatApp, UdpPeer, waitFor } from './helpers.js';

interface Typed {
  address: string;
  types: string;
  args: unknown[];
}

/** A UDP socket that keeps each datagram whole, with the OSC type tags of every message. */
class RawPeer {
  readonly datagrams: { bundle: boolean; messages: Typed[] }[] = [];
  private constructor(private readonly socket: Socket) {
    socket.on('message', (data) => {
      const packet = osc.readPacket(data, { metadata: true });
      this.datagrams.push({ bundle: 'packets' in packet, messages: flatten(packet) });
    });
  }

  static async open(): Promise<RawPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new RawPeer(socket);
  }

  get port(): number {
    return (this.socket.address() as AddressInfo).port;
  }

  get messages(): Typed[] {
    return this.datagrams.flatMap((d) => d.messages);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

function flatten(p: OscPacket): Typed[] {
  if ('packets' in p) return p.packets.flatMap(flatten);
  const args = p.args as { type: string; value?: unknown }[];
  return [{ address: p.address, types: args.map((a) => a.type).join(''), args: args.map((a) => a.value) }];
}

describe('parameter feedback', () => {
  let store: ControlStore;
  let server: OscServer;
  let feedback: OscFeedback;
  let target: RawPeer;

  before(async () => {
    store = new ParameterStore(StreamDiffusionParams);
    server = new OscServer({ store, space: new AddressSpace(StreamDiffusionParams), log: silentLogger, port: 0, host: '127.0.0.1' });
    await server.listen();
    target = await RawPeer.open();
    feedback = new OscFeedback({ server, store, targets: [{ address: '127.0.0.1', port: target.port }], replyToSender: false, heartbeatMs: 0 }).start();
  });
  after(async () => {
    feedback.stop();
    await server.close();
    await target.close();
  });

  async function changed(patch: Record<string, unknown>): Promise<Typed[]> {
    target.datagrams.length = 0;
    assert.ok(store.update(patch, 'test').ok);
    await waitFor(() => target.messages.length > 0, 'feedback');
    await sleep(50);
    return target.messages;
  }

  it('a prompt change sends only the addresses that have a value: no entries, weights or norm twins that do not exist', async () => {
    const got = await changed({ prompt: 'a cat' });
    assert.deepEqual(got.map((m) => m.address).sort(), [
      '/sdlive/norm/prompts/0/weight', '/sdlive/prompt', '/sdlive/prompt/json', '/sdlive/prompts/0/text', '/sdlive/prompts/0/weight', '/sdlive/prompts/select',
    ]);
    const two = await changed({ prompt: [{ text: 'a', weight: 1 }, { text: 'b', weight: 0.5 }] });
    assert.deepEqual(two.map((m) => m.address).sort(), [
      '/sdlive/norm/prompts/0/weight', '/sdlive/norm/prompts/1/weight', '/sdlive/prompt/json',
      '/sdlive/prompts/0/text', '/sdlive/prompts/0/weight', '/sdlive/prompts/1/text', '/sdlive/prompts/1/weight', '/sdlive/prompts/select',
    ]);
  });

  it('keeps one OSC type per address: /sdlive/seed is always i, a seed list travels as s on /sdlive/seed/json', async () => {
    const one = await changed({ seed: 42 });
    const list = await changed({ seed: [{ seed: 1, weight: 0.5 }, { seed: 2, weight: 0.5 }] });
    const typesOf = (ms: Typed[], address: string) => ms.filter((m) => m.address === address).map((m) => m.types);
    assert.deepEqual([typesOf(one, '/sdlive/seed'), typesOf(list, '/sdlive/seed')], [['i'], []]);
    assert.deepEqual([typesOf(one, '/sdlive/seed/json'), typesOf(list, '/sdlive/seed/json')], [['s'], ['s']]);
    assert.deepEqual(list.find((m) => m.address === '/sdlive/seed/json')!.args, ['[[1,0.5],[2,0.5]]']);
    const whole = await changed({ guidance_scale: 2, delta: 1.5 });
    assert.deepEqual(typesOf(whole, '/sdlive/guidance_scale'), ['f'], 'a float stays f when its value is whole');
  });
});

describe('heartbeat', () => {
  let app: RunningApp;
  let target: RawPeer;

  before(async () => {
    target = await RawPeer.open();
    app = await startHeartbeatApp(target.port);
  });
  after(async () => {
    await app?.stop();
    await target?.close();
  });

  it('is one bundle per interval, every metric in it with its fixed OSC type', async () => {
    await waitFor(() => Object.keys(app.engine.metrics().stages).length > 0, 'stage timings', 10_000);
    target.datagrams.length = 0;
    await waitFor(() => target.datagrams.length >= 5, 'five heartbeats');
    for (const d of target.datagrams) {
      assert.ok(d.bundle, 'a bundle');
      assert.equal(d.messages[0]!.address, '/sdlive/heartbeat');
      assert.ok(d.messages.length >= 12, `${d.messages.length} messages in one datagram`);
    }
    const types = new Map(target.datagrams.at(-1)!.messages.map((m) => [m.address, m.types]));
    assert.deepEqual(
      ['/sdlive/heartbeat', '/sdlive/fps', '/sdlive/frame_count', '/sdlive/latency_ms', '/sdlive/latency_frames', '/sdlive/dropped_frames', '/sdlive/queue/inflight', '/sdlive/memory_mb', '/sdlive/health', '/sdlive/stage/pipeline_ms'].map((a) => types.get(a)),
      ['i', 'f', 'i', 'f', 'i', 'i', 'i', 'f', 'ss', 'f'],
    );
  });

  it('the OSCQuery namespace lists the same metrics the heartbeat sends', async () => {
    target.datagrams.length = 0;
    await waitFor(() => target.datagrams.length >= 1, 'a heartbeat');
    const sent = target.datagrams[0]!.messages.map((m) => m.address).filter((a) => a !== '/sdlive/heartbeat' && !a.startsWith('/sdlive/stage/'));
    for (const address of sent) {
      const res = await fetch(`${app.http.url}${address}`);
      assert.equal(res.status, 200, address);
      assert.equal(((await res.json()) as { ACCESS: number }).ACCESS, 1, `${address} is read-only`);
    }
  });
});

describe('/norm/ twins use the norm range of the schema', () => {
  let peer: UdpPeer;
  let store: ControlStore;
  let server: OscServer;

  before(async () => {
    store = new ParameterStore(StreamDiffusionParams);
    server = new OscServer({ store, space: new AddressSpace(StreamDiffusionParams), log: silentLogger, port: 0, host: '127.0.0.1' });
    await server.listen();
    peer = await UdpPeer.open();
  });
  after(async () => {
    await server.close();
    await peer.close();
  });

  const p = () => store.snapshot as { prompt: unknown; guidance_scale: number; delta: number; seed: unknown };

  it('a prompt or seed weight fader at the top is weight 1; guidance spans 0..5; delta keeps its schema range', async () => {
    store.update({ prompt: [{ text: 'a', weight: 0.2 }, { text: 'b', weight: 0.2 }], seed: [{ seed: 1, weight: 0.2 }] }, 'test');
    await peer.send(server.port, '/sdlive/norm/prompts/1/weight', 1);
    await peer.send(server.port, '/sdlive/norm/prompts/0/weight', 0.5);
    await peer.send(server.port, '/sdlive/norm/seeds/0/weight', 1);
    await peer.send(server.port, '/sdlive/norm/guidance_scale', 0.5);
    await peer.send(server.port, '/sdlive/norm/delta', 0.5);
    await waitFor(() => p().delta === 2.5, 'all applied');
    assert.deepEqual(p().prompt, [{ text: 'a', weight: 0.5 }, { text: 'b', weight: 1 }]);
    assert.deepEqual(p().seed, [{ seed: 1, weight: 1 }]);
    assert.equal(p().guidance_scale, 2.5);
    await peer.send(server.port, '/sdlive/guidance_scale', 12);
    await waitFor(() => p().guidance_scale === 12, 'native address keeps the whole schema range');
    await peer.send(server.port, '/sdlive/norm/guidance_scale', '?');
    assert.deepEqual((await peer.next('/sdlive/norm/guidance_scale')).args, [1], 'above the norm range reads as the top');
  });
});
