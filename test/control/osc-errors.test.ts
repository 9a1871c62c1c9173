import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { oscServer, UdpPeer, waitFor } from './helpers.js';

describe('what a sender learns from a refused or queried message', () => {
  const logs: string[] = [];
  let osc: Awaited<ReturnType<typeof oscServer>>;
  let peer: UdpPeer;
  const p = () => osc.store.snapshot as Record<string, unknown>;
  const send = (address: string, ...args: (string | number)[]) => peer.send(osc.server.port, address, ...args);
  const error = async () => (await peer.next('/sdlive/error')).args;

  before(async () => {
    osc = await oscServer(pino({ level: 'warn' }, { write: (s: string) => void logs.push((JSON.parse(s) as { msg: string }).msg) }), false);
    peer = await UdpPeer.open();
  });
  beforeEach(() => {
    osc.store.update({ prompt: 'start', seed: 2 }, 'test');
    peer.received.length = 0;
  });
  after(async () => {
    await osc.close();
    await peer.close();
  });

  it('logs the reason in words', async () => {
    await send('/sdlive/cfg_type', 'wild');
    await error();
    assert.match(logs[0]!, /^osc: out of range: \/sdlive\/cfg_type: expected one of/);
  });

  it('points an unknown address at the places that list the addresses', async () => {
    await send('/sdlive/nope', 1);
    assert.deepEqual(await error(), ['/sdlive/nope', 'unknown_address: no such address (see GET / (OSCQuery) or `sdlive mappings list --addresses`) (did you mean "/sdlive/mode"?)']);
  });

  it('says which list entry is missing and how to add it', async () => {
    await send('/sdlive/prompts/1/weight', 0.3);
    assert.deepEqual(await error(), ['/sdlive/prompts/1/weight', 'out_of_range: no prompt list entry 1 (set /sdlive/prompts/1/text first)']);
    await send('/sdlive/seeds/1/weight', 0.5);
    assert.deepEqual(await error(), ['/sdlive/seeds/1/weight', 'out_of_range: no seed list entry 1 (set /sdlive/seeds/1/value first)']);
    await send('/sdlive/prompts/3/text', 'far away');
    assert.deepEqual(await error(), ['/sdlive/prompts/3/text', 'out_of_range: no prompt list entry 3 (it has 1; set /sdlive/prompts/1/text first)']);
    assert.equal(p().prompt, 'start');
    await send('/sdlive/prompts/1/text', 'a castle');
    await send('/sdlive/prompts/1/weight', 0.5);
    await waitFor(() => JSON.stringify(p().prompt) === '[{"text":"start","weight":1},{"text":"a castle","weight":0.5}]', 'entry added, then weighted');
  });

  it('answers "?" on a pattern only for the entries that exist', async () => {
    osc.store.update({ prompt: [{ text: 'a', weight: 1 }, { text: 'b', weight: 0.5 }] }, 'test');
    await send('/sdlive/prompts/*/weight', '?');
    await send('/sdlive/delta', '?');
    await peer.next('/sdlive/delta');
    const weights = peer.received.filter((m) => m.address.startsWith('/sdlive/prompts/'));
    assert.deepEqual(weights.map((m) => [m.address, ...m.args]), [['/sdlive/prompts/0/weight', 1], ['/sdlive/prompts/1/weight', 0.5]]);
    assert.equal(peer.received.filter((m) => m.address === '/sdlive/error').length, 0);
    await send('/sdlive/prompts/5/weight', '?');
    assert.match(String((await error())[1]), /^out_of_range: has no value/);
  });
});
