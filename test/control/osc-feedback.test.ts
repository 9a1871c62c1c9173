import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../src/log.js';
import { oscServer, UdpPeer } from './helpers.js';

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
