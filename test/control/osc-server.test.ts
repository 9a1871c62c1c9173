import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import osc from 'osc';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { encodeBundle, encodeMessage } from '../../src/control/osc/codec.js';
import { OscFeedback } from '../../src/control/osc/feedback.js';
import { OscServer, type ControlStore } from '../../src/control/osc/server.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { UdpPeer, waitFor } from './helpers.js';

describe('OSC server on a real UDP socket', () => {
  let store: ControlStore;
  let server: OscServer;
  let feedback: OscFeedback;
  let peer: UdpPeer;
  let target: UdpPeer;
  const p = () => store.snapshot as Record<string, unknown>;
  const send = (address: string, ...args: Parameters<UdpPeer['send']>[2][]) => peer.send(server.port, address, ...args);

  before(async () => {
    store = new ParameterStore(StreamDiffusionParams);
    server = new OscServer({ store, space: new AddressSpace(StreamDiffusionParams), log: silentLogger, port: 0, host: '127.0.0.1', maxPacketBytes: 4096 });
    await server.listen();
    peer = await UdpPeer.open();
    target = await UdpPeer.open();
    feedback = new OscFeedback({ server, store, targets: [{ address: '127.0.0.1', port: target.port }], replyToSender: false, heartbeatMs: 50 }).start();
  });
  beforeEach(() => {
    store.update({ delta: 1, guidance_scale: 1.2, prompt: 'start', seed: 2, t_index_list: [32, 45], paused: false, mode: 'img2img' }, 'test');
    peer.received.length = 0;
    target.received.length = 0;
  });
  after(async () => {
    feedback.stop();
    await server.close();
    await peer.close();
    await target.close();
  });

  it('applies the schema-derived addresses', async () => {
    await send('/sdlive/delta', 0.7);
    await send('/sdlive/prompt', 'a forest');
    await send('/sdlive/t_index_list', 20, 35);
    await send('/sdlive/prompts/1/text', 'a castle');
    await send('/sdlive/prompts/1/weight', 0.3);
    await send('/sdlive/seeds/0/value', 42);
    await waitFor(() => JSON.stringify(p().seed) === '[{"seed":42,"weight":1}]', 'seed list');
    assert.ok(Math.abs((p().delta as number) - 0.7) < 1e-6);
    assert.deepEqual(p().t_index_list, [20, 35]);
    assert.deepEqual(p().prompt, [{ text: 'a forest', weight: 1 }, { text: 'a castle', weight: 0.3 }].map((e) => ({ ...e, weight: Math.fround(e.weight) })));
  });

  it('decodes the common type tags (h, d, S, T/F, arrays)', async () => {
    const msg = (address: string, args: unknown[]) => osc.writePacket({ address, args } as never, { metadata: true });
    await peer.sendRaw(msg('/sdlive/seed', [{ type: 'h', value: { high: 0, low: 77, unsigned: false } }]), server.port);
    await peer.sendRaw(msg('/sdlive/delta', [{ type: 'd', value: 0.123456789 }]), server.port);
    await peer.sendRaw(msg('/sdlive/mode', [{ type: 'S', value: 'txt2img' }]), server.port);
    await peer.sendRaw(msg('/sdlive/paused', [{ type: 'T' }]), server.port);
    await peer.sendRaw(msg('/sdlive/t_index_list', [[{ type: 'i', value: 10 }, { type: 'i', value: 30 }]]), server.port);
    await waitFor(() => (p().t_index_list as number[])[0] === 10, 'array argument');
    assert.equal(p().seed, 77);
    assert.equal(p().delta, 0.123456789);
    assert.equal(p().mode, 'txt2img');
    assert.equal(p().paused, true);
  });

  it('applies every message of a timestamped, nested bundle (TouchDesigner OSC Out CHOP)', async () => {
    const inner = osc.writePacket({ timeTag: osc.timeTag(0.5), packets: [{ address: '/sdlive/guidance_scale', args: [{ type: 'f', value: 3 }] }] } as never, { metadata: true });
    const bundle = osc.writePacket({
      timeTag: osc.timeTag(0),
      packets: [{ address: '/sdlive/delta', args: [{ type: 'f', value: 0.25 }] }, osc.readPacket(inner, { metadata: true })],
    } as never, { metadata: true });
    await peer.sendRaw(bundle, server.port);
    await waitFor(() => p().guidance_scale === 3, 'nested bundle');
    assert.equal(p().delta, 0.25);
  });

  it('matches address patterns *, ?, [] and {}', async () => {
    await send('/sdlive/{delta,guidance_scale}', 2);
    await waitFor(() => p().delta === 2 && p().guidance_scale === 2, '{} pattern');
    await send('/sdlive/prompt/json', '[["a",1],["b",1],["c",1]]');
    await send('/sdlive/prompts/[0-1]/weight', 0.5);
    await waitFor(() => (p().prompt as { weight: number }[])[1]!.weight === 0.5, '[] pattern');
    assert.deepEqual((p().prompt as { weight: number }[]).map((e) => e.weight), [0.5, 0.5, 1]);
    await send('/sdlive/prompts/?/weight', 0.25);
    await waitFor(() => (p().prompt as { weight: number }[])[2]!.weight === 0.25, '? pattern');
    await send('/sdlive/norm/*_scale', 0);
    await waitFor(() => p().guidance_scale === 0, '* pattern');
  });

  it('takes relative changes and answers "?" queries', async () => {
    await send('/sdlive/delta', '+', 0.5);
    await waitFor(() => p().delta === 1.5, '+');
    await send('/sdlive/delta', '*', 2);
    await waitFor(() => p().delta === 3, '*');
    await send('/sdlive/delta', '-', 4);
    await waitFor(() => p().delta === 0, '- clamps at the minimum');
    await send('/sdlive/delta', '?');
    assert.deepEqual((await peer.next('/sdlive/delta')).args, [0]);
    await send('/sdlive/t_index_list', '?');
    assert.deepEqual((await peer.next('/sdlive/t_index_list')).args, [32, 45]);
  });

  it('maps the normalised 0..1 form onto the native range, discrete values into bins', async () => {
    await send('/sdlive/norm/delta', 0.5);
    await send('/sdlive/norm/cfg_type', 0.6);
    await send('/sdlive/norm/paused', 1);
    await waitFor(() => p().paused === true, 'norm boolean');
    assert.equal(p().delta, 2.5);
    assert.equal(p().cfg_type, 'self');
    await send('/sdlive/norm/delta', '?');
    assert.deepEqual((await peer.next('/sdlive/norm/delta')).args, [0.5]);
  });

  it('counts, and answers with /sdlive/error, every kind of bad message without throwing', async () => {
    const before = { ...server.stats.failures };
    await send('/sdlive/nope', 1);
    await send('/sdlive/delta', 'loud');
    await send('/sdlive/cfg_type', 'wild');
    await send('/sdlive/prompt', 'x'.repeat(2500));
    await peer.sendRaw(new Uint8Array([1, 2, 3, 4, 5]), server.port);
    await peer.sendRaw(encodeMessage('/sdlive/prompt', ['x'.repeat(5000)]), server.port);
    await waitFor(() => server.stats.failures.oversize > before.oversize, 'oversize counted');
    const f = server.stats.failures;
    assert.deepEqual(
      [f.unknown_address - before.unknown_address, f.bad_type - before.bad_type, f.out_of_range - before.out_of_range, f.rejected - before.rejected, f.malformed - before.malformed],
      [1, 1, 1, 1, 1],
    );
    const errors = await waitForCount(peer, '/sdlive/error', 6);
    assert.equal(errors[0]!.args[0], '/sdlive/nope');
    assert.match(String(errors[3]!.args[1]), /^rejected: prompt: .*2000/);
    assert.equal(p().delta, 1, 'the last good state is kept');
    await send('/sdlive/delta', 9);
    await waitFor(() => p().delta === 5, 'out-of-range number clamped to the schema maximum');
  });

  it('keeps the last value of a 10k-message flood', async () => {
    const start = server.stats.messages;
    for (let i = 1; i <= 10_000; i++) {
      await peer.sendRaw(encodeMessage('/sdlive/seed', [i], 'i'), server.port);
      if (i % 250 === 0) await tick();
    }
    await waitFor(() => p().seed === 10_000, 'last value of the flood', 10_000);
    assert.ok(server.stats.messages - start >= 9_000, `handled ${server.stats.messages - start} of 10000`);
  });

  it('sends parameter changes and the heartbeat to the configured targets, errors to the sender', async () => {
    await send('/sdlive/delta', 0.5);
    assert.deepEqual((await target.next('/sdlive/delta')).args, [0.5]);
    assert.ok(Math.abs(((await target.next('/sdlive/norm/delta')).args[0] as number) - 0.1) < 1e-6);
    assert.deepEqual((await target.next('/sdlive/heartbeat')).args, [1]);
    await send('/sdlive/nope/again');
    assert.equal((await peer.next('/sdlive/error')).args[0], '/sdlive/nope/again');
    assert.equal(target.received.filter((m) => m.address === '/sdlive/error').length, 0);
  });

  it('accepts a bundle encoded by the codec (round trip)', async () => {
    await peer.sendRaw(encodeBundle([{ address: '/sdlive/delta', args: [0.75] }, { address: '/sdlive/paused', args: [true] }]), server.port);
    await waitFor(() => p().paused === true, 'bundle');
    assert.equal(p().delta, 0.75);
  });
});

async function waitForCount(peer: UdpPeer, address: string, n: number) {
  await waitFor(() => peer.received.filter((m) => m.address === address).length >= n, `${n} x ${address}`);
  return peer.received.filter((m) => m.address === address);
}
