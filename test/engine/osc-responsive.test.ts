import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { OscServer } from '../../src/control/osc/server.js';
import { silentLogger } from '../../src/log.js';
import { UdpPeer } from '../control/helpers.js';
import { FakeParams } from './fake-pipelines.js';
import { startFakeEngine, sleep, until } from './harness.js';


/** How long the fake pipeline blocks its worker thread per frame. */
const BLOCK_MS = 600;

test('OSC set-then-query round trips stay fast while the worker blocks 600 ms per frame', async () => {
  const { engine, store } = await startFakeEngine({ block_ms: BLOCK_MS }, 60);
  const server = new OscServer({ store, space: new AddressSpace(FakeParams), log: silentLogger, port: 0, host: '127.0.0.1', maxPacketBytes: 4096 });
  await server.listen();
  const peer = await UdpPeer.open();
  try {
    await until('first frame', () => engine.frameCount >= 1);
    const rtts: number[] = [];
    for (let i = 0; i < 20; i++) {
      const gain = 1 + (i % 4) / 4;
      const t0 = performance.now();
      await peer.send(server.port, '/sdlive/gain', gain);
      await peer.send(server.port, '/sdlive/gain', '?');
      const reply = await peer.next('/sdlive/gain');
      rtts.push(performance.now() - t0);
      assert.deepEqual(reply.args, [gain], 'the query answers the value just set');
      await sleep(30);
    }
    assert.equal((store.snapshot as FakeParams).gain, 1.75);
    // A main thread blocked by the model would answer after up to BLOCK_MS, half of them after BLOCK_MS/2 or more;
    // a loaded machine adds jitter to a few round trips, so the bounds are on the median and the 90th percentile.
    const sorted = [...rtts].sort((a, b) => a - b);
    assert.ok(sorted[10]! < 100, `median OSC round trip ${sorted[10]!.toFixed(1)} ms while the worker is busy`);
    assert.ok(sorted[17]! < BLOCK_MS / 2, `90th percentile OSC round trip ${sorted[17]!.toFixed(1)} ms while the worker is busy (worst ${sorted.at(-1)!.toFixed(1)} ms)`);
  } finally {
    await peer.close();
    await server.close();
    await engine.stop();
  }
});
