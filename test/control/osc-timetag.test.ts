import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import osc from 'osc';
import { decodePacket, typedArg } from '../../src/control/osc/codec.js';
import { OscServer, type ControlStore } from '../../src/control/osc/server.js';
import { MAX_AHEAD_MS, TimeTagQueue } from '../../src/control/osc/time-tags.js';
import { silentLogger } from '../../src/log.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { oscServerAndPeer, type UdpPeer, waitFor } from './helpers.js';

/** A bundle tagged at `at` (ms since 1970; undefined: "immediately") of /sdlive/<key> value messages. */
function bundle(at: number | undefined, ...messages: [string, number][]): Uint8Array {
  const timeTag = at === undefined ? { raw: [0, 1] as [number, number], native: 0 } : { raw: osc.timeTag(0, at).raw, native: at };
  return osc.writePacket({ timeTag, packets: messages.map(([address, v]) => ({ address, args: [typedArg(v, 'f')] })) }, { metadata: true });
}

describe('OSC time tags: decoding', () => {
  it('a bundle carries its tag in ms to each message; "immediately" carries none; a nested bundle takes the later tag', () => {
    const at = Date.UTC(2030, 0, 1, 12, 0, 0, 250);
    const [tagged] = decodePacket(bundle(at, ['/sdlive/delta', 0.5]));
    assert.ok(Math.abs(tagged!.at! - at) < 0.01, `${tagged!.at} vs ${at}`);
    assert.equal(decodePacket(bundle(undefined, ['/sdlive/delta', 0.5]))[0]!.at, undefined);
    const outer = { timeTag: osc.timeTag(0, at + 1000), packets: [{ timeTag: osc.timeTag(0, at), packets: [{ address: '/x', args: [] }] }] };
    const [nested] = decodePacket(osc.writePacket(outer, { metadata: true }));
    assert.ok(Math.abs(nested!.at! - (at + 1000)) < 0.01);
  });
});

describe('OSC time tags: the queue on a fake clock', () => {
  it('runs each message at its time, in time order, arrival order at equal times; refuses beyond 10 s and a full queue', () => {
    const clock = new FakeClock(1_000_000);
    const ran: string[] = [];
    const queue = new TimeTagQueue(clock, (e) => assert.fail(String(e)));
    queue.add(1_000_300, () => void ran.push('c'));
    queue.add(1_000_200, () => void ran.push('a'));
    queue.add(1_000_200, () => void ran.push('b'));
    clock.advanceTo(1_000_199);
    assert.deepEqual(ran, []);
    clock.advanceTo(1_000_200);
    assert.deepEqual(ran, ['a', 'b']);
    clock.advanceTo(1_000_400);
    assert.deepEqual(ran, ['a', 'b', 'c']);
    assert.doesNotThrow(() => queue.check([clock.now() + MAX_AHEAD_MS]));
    assert.throws(() => queue.check([clock.now() + 1, clock.now() + MAX_AHEAD_MS + 1]), /10\.0 s ahead.*refused/);
    assert.throws(() => queue.check(Array.from({ length: 5000 }, () => clock.now() + 10)), /already waiting/);
    let late = false;
    queue.add(clock.now() + 100, () => (late = true));
    queue.close();
    clock.advance(1000);
    assert.equal(late, false, 'ran after close');
  });
});

describe('OSC time tags: a real UDP server', () => {
  let store: ControlStore;
  let server: OscServer;
  let close: () => Promise<void>;
  let peer: UdpPeer;
  before(async () => void ({ store, server, peer, close } = await oscServerAndPeer(silentLogger, false)));
  after(() => close());

  const delta = () => (store.snapshot as { delta: number }).delta;

  /** When the store took `key`'s next change (Date.now()). */
  const changeOf = (key: string) => {
    let at: number | undefined;
    const listener = (c: { keys: string[] }) => {
      if (!c.keys.includes(key)) return;
      at = Date.now();
      store.off('change', listener);
    };
    store.on('change', listener);
    return () => at;
  };

  it('a bundle tagged 200 ms ahead is not applied before its time, and is applied then', async () => {
    const changed = changeOf('delta');
    const packets = server.stats.packets;
    const at = Date.now() + 200;
    await peer.sendRaw(bundle(at, ['/sdlive/delta', 0.25]), server.port);
    await waitFor(() => server.stats.packets > packets, 'the bundle to arrive');
    assert.equal(changed(), undefined, 'applied on arrival');
    assert.equal(server.timeTagged, 1);
    await waitFor(() => changed() !== undefined, 'the tagged change');
    assert.ok(changed()! >= at - 2, `applied ${at - changed()!} ms before its time tag`);
    assert.equal(delta(), 0.25);
    assert.equal(server.timeTagged, 0);
  });

  it('a tag in the past and "immediately" apply at once', async () => {
    await peer.sendRaw(bundle(Date.now() - 5000, ['/sdlive/delta', 0.5]), server.port);
    await waitFor(() => delta() === 0.5, 'the past tag');
    await peer.sendRaw(bundle(undefined, ['/sdlive/delta', 0.75]), server.port);
    await waitFor(() => delta() === 0.75, 'the immediate tag');
    assert.equal(server.timeTagged, 0);
  });

  it('a tag an hour ahead is refused with one error for the bundle, never queued', async () => {
    const failures = server.stats.failures.out_of_range;
    await peer.sendRaw(bundle(Date.now() + 3_600_000, ['/sdlive/delta', 2], ['/sdlive/guidance_scale', 3]), server.port);
    await waitFor(() => server.stats.failures.out_of_range > failures, 'the refusal');
    assert.equal(server.stats.failures.out_of_range, failures + 1);
    assert.equal(server.timeTagged, 0);
    assert.equal(delta(), 0.75);
  });

  it('with time_tags "ignore" a future bundle applies on arrival', async () => {
    const ignoring = new OscServer({ store, space: server.space, log: silentLogger, port: 0, host: '127.0.0.1', timeTags: 'ignore' });
    await ignoring.listen();
    try {
      await peer.sendRaw(bundle(Date.now() + 5000, ['/sdlive/delta', 1.5]), ignoring.port);
      await waitFor(() => delta() === 1.5, 'the change on arrival', 3000);
      assert.equal(ignoring.timeTagged, 0);
    } finally {
      await ignoring.close();
    }
  });
});
