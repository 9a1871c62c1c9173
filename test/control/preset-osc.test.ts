import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { installOscCommands } from '../../src/control/commands/osc.js';
import { OscFeedback } from '../../src/control/osc/feedback.js';
import { OscServer } from '../../src/control/osc/server.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { UdpPeer, waitFor } from './helpers.js';
import { presetRig } from './preset-rig.js';

describe('presets over OSC (real UDP on 127.0.0.1)', () => {
  let rig: Awaited<ReturnType<typeof presetRig>>;
  let server: OscServer;
  let peer: UdpPeer;
  let removeCommands: () => void;
  let feedback: OscFeedback;

  before(async () => {
    rig = await presetRig({ hz: 100 });
    server = new OscServer({ store: rig.store, space: new AddressSpace(StreamDiffusionParams), log: silentLogger, port: 0, host: '127.0.0.1' });
    await server.listen();
    removeCommands = installOscCommands(server, rig.commands);
    feedback = new OscFeedback({ server, store: rig.store, targets: [], replyToSender: true, heartbeatMs: 0 }).start();
    peer = await UdpPeer.open();
  });
  after(async () => {
    removeCommands();
    feedback.stop();
    rig.close();
    await server.close();
    await peer.close();
  });

  it('saves, recalls by name and by number, and answers ? with the preset last recalled', async () => {
    rig.store.update({ prompt: 'a forest', delta: 0.3 }, 'http');
    await peer.send(server.port, '/sdlive/preset/save', 'forest', 4);
    await waitFor(() => rig.library.find('forest') !== undefined, 'the save');
    rig.store.update({ prompt: 'a desert', delta: 1.5 }, 'http');
    await peer.send(server.port, '/sdlive/preset/recall', 'forest');
    await waitFor(() => rig.values().delta === 0.3, 'the recall by name');
    assert.equal(rig.values().prompt, 'a forest');
    rig.store.set('delta', 2, 'http');
    await peer.send(server.port, '/sdlive/preset/recall', 4);
    await waitFor(() => rig.values().delta === 0.3, 'the recall by number');
    await peer.send(server.port, '/sdlive/preset/recall', '?');
    assert.deepEqual((await peer.next('/sdlive/preset/recall')).args, ['forest']);
  });

  it('recalls with a morph time; a missing preset is an error back to the sender', async () => {
    rig.store.set('delta', 1.3, 'http');
    await peer.send(server.port, '/sdlive/preset/recall', 'forest', 2.0);
    await waitFor(() => rig.morph.active, 'the morph under way');
    assert.equal(rig.values().delta, 1.3);
    rig.clock.advance(1000);
    assert.ok(Math.abs((rig.values().delta as number) - 0.8) < 1e-9, String(rig.values().delta));
    rig.clock.advance(1000);
    assert.equal(rig.values().delta, 0.3);
    await peer.send(server.port, '/sdlive/preset/recall', 'nowhere');
    assert.match(String((await peer.next('/sdlive/error')).args.join(' ')), /no preset "nowhere"/);
  });
});
