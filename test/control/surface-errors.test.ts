import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AddressSpace } from '../../src/control/space/address-space.js';
import type { QueryAnswerMode } from '../../src/control/config.js';
import { parseMapping, resolveMappingPath } from '../../src/control/mappings/load.js';
import { installOscRoutes } from '../../src/control/mappings/osc-routes.js';
import { ERROR_INTERVAL_MS, OscFeedback } from '../../src/control/osc/feedback.js';
import { oscMetricFamilies } from '../../src/control/osc/metrics.js';
import { OscServer, type ControlStore } from '../../src/control/osc/server.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { UdpPeer, waitFor } from './helpers.js';

/** A server with one feedback target (a host's OSC input) and a sender that is another socket. */
async function rig(answerQueriesTo: QueryAnswerMode = 'sender') {
  const [sender, target] = await Promise.all([UdpPeer.open(), UdpPeer.open()]);
  const store: ControlStore = new ParameterStore(StreamDiffusionParams);
  const space = new AddressSpace(StreamDiffusionParams);
  const targets = [{ address: '127.0.0.1', port: target.port }];
  const server = new OscServer({ store, space, log: silentLogger, port: 0, host: '127.0.0.1', answerQueries: { to: answerQueriesTo, feedback: targets } });
  await server.listen();
  const feedback = new OscFeedback({ server, store, targets, replyToSender: false, heartbeatMs: 0 }).start();
  const close = async () => {
    feedback.stop();
    await Promise.all([server.close(), sender.close(), target.close()]);
  };
  return { store, server, sender, target, close };
}

const errorsOf = (peer: UdpPeer) => peer.received.filter((m) => m.address === '/sdlive/error');

describe('/sdlive/error replies', () => {
  let r: Awaited<ReturnType<typeof rig>>;
  before(async () => (r = await rig()));
  after(() => r.close());

  it('go to the sender only, at most one per address and second, with the count of the ones held back', async () => {
    const burst = 40;
    for (let i = 0; i < burst; i++) await r.sender.send(r.server.port, '/elsewhere/level', i);
    await waitFor(() => r.server.stats.failures.unknown_address === burst, 'the burst to arrive');
    await r.sender.send(r.server.port, '/sdlive/delta', 0.5);
    await r.target.next('/sdlive/delta');
    await sleep(50);
    assert.equal(errorsOf(r.sender).length, 1, 'one error for the whole burst');
    assert.equal(errorsOf(r.target).length, 0, 'the feedback target hears nothing about other senders\' errors');
    assert.match(String(errorsOf(r.sender)[0]!.args[1]), /^unknown_address: no such address/);
    r.sender.received.length = 0;
    await sleep(ERROR_INTERVAL_MS + 50);
    await r.sender.send(r.server.port, '/elsewhere/level', 1);
    const next = await r.sender.next('/sdlive/error');
    assert.match(String(next.args[1]), new RegExp(`\\(${burst - 1} more since the last report\\)$`));
  });

  it('are limited per address: another address is answered at once', async () => {
    r.sender.received.length = 0;
    await r.sender.send(r.server.port, '/elsewhere/a', 1);
    await r.sender.send(r.server.port, '/elsewhere/b', 1);
    await waitFor(() => errorsOf(r.sender).length === 2, 'both errors');
    assert.deepEqual(errorsOf(r.sender).map((m) => m.args[0]), ['/elsewhere/a', '/elsewhere/b']);
  });

  it('suggest the address a typo meant', async () => {
    r.sender.received.length = 0;
    await r.sender.send(r.server.port, '/sdlive/detla', 0.5);
    const error = await r.sender.next('/sdlive/error');
    assert.equal(error.args[0], '/sdlive/detla');
    assert.match(String(error.args[1]), /did you mean "\/sdlive\/delta"\?/);
  });
});

describe('mapping files ignore address patterns', () => {
  let r: Awaited<ReturnType<typeof rig>>;
  before(async () => (r = await rig()));
  after(() => r.close());

  it('the Resolume kit drops Resolume\'s own chatter without an error, and its dashboard links still apply', async () => {
    const file = resolveMappingPath('resolume');
    const mapping = parseMapping(file, await readFile(file, 'utf8'), r.server.space);
    installOscRoutes(r.server, [{ file, mapping }]);
    const chatter = ['/composition/layers/1/video/opacity', '/composition/tempocontroller/tempo', '/composition/layers/2/clips/3/transport/position'];
    for (let i = 0; i < 60; i++) await r.sender.send(r.server.port, chatter[i % chatter.length]!, i / 60);
    await r.sender.send(r.server.port, '/composition/dashboard/link1', 0.5);
    await waitFor(() => (r.store.snapshot as { delta: number }).delta !== 1, 'link1 to move delta');
    await waitFor(() => r.server.stats.ignored === 60, `60 ignored (got ${r.server.stats.ignored})`);
    await sleep(50);
    assert.equal(errorsOf(r.sender).length, 0);
    assert.equal(r.server.stats.failures.unknown_address, 0);
    const ignored = oscMetricFamilies(new Map([['osc', r.server]])).find((f) => f.name === 'osc_ignored_total');
    assert.deepEqual(ignored?.samples, [[{ listener: 'osc' }, 60]]);
  });

  it('a pattern covers the addresses below what it matches, not its siblings', async () => {
    const mapping = parseMapping('inline.json', JSON.stringify({ name: 'x', ignore: ['/layer[0-9]/*'] }), r.server.space);
    installOscRoutes(r.server, [{ file: 'inline.json', mapping }]);
    const before = r.server.stats.ignored;
    await r.sender.send(r.server.port, '/layer2/clip/position', 1);
    await r.sender.send(r.server.port, '/layerX/clip', 1);
    const error = await r.sender.next('/sdlive/error');
    assert.equal(error.args[0], '/layerX/clip');
    assert.equal(r.server.stats.ignored, before + 1);
  });

  it('refuses a pattern that is not one, naming where', () => {
    assert.throws(() => parseMapping('bad.json', JSON.stringify({ name: 'x', ignore: ['/a/[z-a]'] })), /bad\.json: ignore\[0\]: range z-a is reversed/);
    assert.throws(() => parseMapping('bad.json', JSON.stringify({ name: 'x', ignore: ['composition'] })), /bad\.json: ignore\[0\]: must start with \//);
  });
});

describe('osc.answer_queries_to', () => {
  for (const [mode, sender, target] of [['sender', 1, 0], ['feedback', 0, 1], ['both', 1, 1]] as const) {
    it(`${mode}: "?" is answered to ${mode === 'both' ? 'the sender and the feedback targets' : `the ${mode}`}`, async () => {
      const r = await rig(mode);
      try {
        await r.sender.send(r.server.port, '/sdlive/delta', '?');
        await waitFor(() => r.server.stats.queries === 1, 'the query');
        const answered = (peer: UdpPeer) => peer.received.filter((m) => m.address === '/sdlive/delta').length;
        await waitFor(() => answered(r.sender) === sender && answered(r.target) === target, `${mode} answers`);
        await sleep(50);
        assert.deepEqual([answered(r.sender), answered(r.target)], [sender, target]);
      } finally {
        await r.close();
      }
    });
  }
});
