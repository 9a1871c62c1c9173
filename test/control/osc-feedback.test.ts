import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningApp } from '../../src/app.js';
import type { DecodedMessage } from '../../src/control/osc/codec.js';
import { silentLogger } from '../../src/log.js';
import { oscServer, startHeartbeatApp, UdpPeer, waitFor } from './helpers.js';

describe('osc.reply_to_sender', () => {
  let osc: Awaited<ReturnType<typeof oscServer>>;
  let first: UdpPeer;
  let second: UdpPeer;

  before(async () => {
    osc = await oscServer(silentLogger, true);
    [first, second] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
  });
  after(async () => {
    await osc.close();
    await Promise.all([first.close(), second.close()]);
  });

  it('sends changes back to the last sender only', async () => {
    await first.send(osc.server.port, '/sdlive/delta', 0.5);
    assert.deepEqual((await first.next('/sdlive/delta')).args, [0.5]);
    await second.send(osc.server.port, '/sdlive/delta', 0.25);
    assert.deepEqual((await second.next('/sdlive/delta')).args, [0.25]);
    await sleep(50);
    assert.equal(first.received.filter((m) => m.address === '/sdlive/delta').length, 0, 'the earlier sender no longer gets feedback');
  });
});

describe('heartbeat metrics from the running engine', () => {
  let app: RunningApp;
  let target: UdpPeer;

  before(async () => {
    target = await UdpPeer.open();
    app = await startHeartbeatApp(target.port);
  });
  after(async () => {
    await app?.stop();
    await target?.close();
  });

  /** The messages of one whole heartbeat: from /sdlive/heartbeat to /sdlive/health. */
  async function beat(): Promise<Map<string, DecodedMessage['args']>> {
    target.received.length = 0;
    await target.next('/sdlive/heartbeat');
    await waitFor(() => target.received.some((m) => m.address === '/sdlive/health'), 'the end of a heartbeat');
    const upTo = target.received.findIndex((m) => m.address === '/sdlive/health');
    return new Map(target.received.slice(0, upTo + 1).map((m) => [m.address, m.args]));
  }

  it('sends fps, frames, latency, drops, per-stage medians, queue depth, memory and health', async () => {
    await waitFor(() => Object.keys(app.engine.metrics().stages).length > 0 && app.engine.frameCount > 2, 'frames', 10_000);
    const got = await beat();
    const m = app.engine.metrics();
    const stageAddresses = Object.keys(m.stages).map((s) => `/sdlive/stage/${s}_ms`);
    assert.ok(stageAddresses.includes('/sdlive/stage/receive_ms') && stageAddresses.includes('/sdlive/stage/send_ms'), stageAddresses.join());
    for (const a of ['/sdlive/fps', '/sdlive/frame_count', '/sdlive/latency_ms', '/sdlive/latency_frames', '/sdlive/dropped_frames', '/sdlive/queue/inflight', '/sdlive/memory_mb', ...stageAddresses]) {
      assert.equal(got.get(a)?.length, 1, `${a}: ${JSON.stringify(got.get(a))}`);
      assert.equal(typeof got.get(a)![0], 'number', a);
    }
    const num = (a: string) => got.get(a)![0] as number;
    assert.ok(num('/sdlive/frame_count') > 0 && num('/sdlive/frame_count') <= m.frameCount);
    assert.ok(num('/sdlive/dropped_frames') <= m.droppedFrames);
    assert.ok([0, 1].includes(num('/sdlive/queue/inflight')));
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    assert.ok(Math.abs(num('/sdlive/memory_mb') - rssMb) < rssMb / 2, `memory_mb ${num('/sdlive/memory_mb')} vs rss ${rssMb}`);
    assert.deepEqual(got.get('/sdlive/health'), ['ok', 'frames flow']);
  });

  it('reports the /health state: paused while paused', async () => {
    app.store.set('paused', true, 'test');
    try {
      await waitFor(() => app.engine.metrics().state === 'paused', 'paused');
      assert.equal((await beat()).get('/sdlive/health')?.[0], 'paused');
    } finally {
      app.store.set('paused', false, 'test');
    }
  });
});
