import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OscServer } from '../../src/control/osc/server.js';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { LORA_CHOICES, LoraCatalogue } from '../../src/models/lora/catalogue.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { writeTinyKohyaLora } from '../models/fixtures/lora-fixtures.js';
import { oscServerAndPeer, type UdpPeer, waitFor } from './helpers.js';

/* The lora parameter over real OSC: addresses from the schema like prompt lists, names from the LoRA folder only. */
describe('LoRAs over OSC', () => {
  const loraDir = mkdtempSync(join(tmpdir(), 'sdlive-lora-osc-'));
  writeTinyKohyaLora(join(loraDir, 'ink.safetensors'));
  const store = new ParameterStore(StreamDiffusionParams, { lora_dir: loraDir }, { [LORA_CHOICES]: new LoraCatalogue(() => loraDir) });
  const space = new AddressSpace(StreamDiffusionParams);
  let server: OscServer;
  let close: () => Promise<void>;
  let peer: UdpPeer;
  const lora = () => store.snapshot.lora;

  before(async () => void ({ server, peer, close } = await oscServerAndPeer(silentLogger, false, store)));
  after(async () => {
    await close();
    rmSync(loraDir, { recursive: true, force: true });
  });

  it('has a name and a scale address per entry (the scale with a 0..1 norm address for MIDI), a JSON and a select address', () => {
    const paths = space.addresses.map((a) => `${a.path} ${a.type}`).filter((p) => /\/loras?\b/.test(p));
    for (const p of ['/sdlive/lora s', '/sdlive/lora/json s', '/sdlive/loras/0/name s', '/sdlive/loras/0/scale f', '/sdlive/loras/7/scale f', '/sdlive/loras/select i', '/sdlive/norm/loras/0/scale f']) {
      assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    }
  });

  it('a name from the folder and a scale change apply; a path or an unknown name is refused with /sdlive/error', async () => {
    await peer.send(server.port, '/sdlive/loras/0/name', 'ink');
    await waitFor(() => Array.isArray(lora()), 'the LoRA list');
    await peer.send(server.port, '/sdlive/loras/0/scale', 0.5);
    await waitFor(() => (lora() as { scale: number }[])[0]?.scale === 0.5, 'the new scale');
    assert.deepEqual(lora(), [{ name: 'ink', scale: 0.5 }]);
    await peer.send(server.port, '/sdlive/lora', join(loraDir, 'ink.safetensors'));
    const [address, reason] = (await peer.next('/sdlive/error')).args as string[];
    assert.equal(address, '/sdlive/lora');
    assert.match(reason!, /lora: not a LoRA in the LoRA folder; choose one of: ink/);
    await peer.send(server.port, '/sdlive/lora_dir', '/');
    assert.match(((await peer.next('/sdlive/error')).args as string[])[1]!, /cannot be set over the network/);
    assert.deepEqual(lora(), [{ name: 'ink', scale: 0.5 }], 'the last good value stays');
  });
});
