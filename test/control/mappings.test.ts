import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { loadMappingFile, parseMapping, resolveMappingPath, SHIPPED_MAPPINGS_DIR, type LoadedMapping } from '../../src/control/mappings/load.js';
import { MappingSet } from '../../src/control/mappings/mapping-set.js';
import { installOscRoutes } from '../../src/control/mappings/osc-routes.js';
import { OscServer } from '../../src/control/osc/server.js';
import { isSdliveError } from '../../src/errors.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { UdpPeer, waitFor } from './helpers.js';

const space = new AddressSpace(StreamDiffusionParams);

describe('mapping files', () => {
  it('ships valid files for every controller and host layout', async () => {
    const names = readdirSync(SHIPPED_MAPPINGS_DIR).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(names, ['akai-midimix.json', 'generic-8x8.json', 'korg-nanokontrol2.json', 'program-change-presets.json', 'resolume.json', 'streamdiffusiontd.json', 'touchdesigner.json']);
    for (const name of names) await loadMappingFile(join(SHIPPED_MAPPINGS_DIR, name), space);
    assert.equal(resolveMappingPath('korg-nanokontrol2'), join(SHIPPED_MAPPINGS_DIR, 'korg-nanokontrol2.json'));
  });

  it('names the file, the path inside it and the reason', () => {
    const cases: [string, RegExp][] = [
      ['{"name":"x","midi":[{"type":"cc","number":200,"param":"delta"}]}', /^f\.json: midi\[0\]\.number: Too big/],
      ['{"name":"x","midi":[{"type":"cc","number":1,"param":"deltaa"}]}', /^f\.json: midi\[0\]\.param: no address \/sdlive\/deltaa/],
      ['{"name":"x","midi":[{"type":"cc","number":1,"param":"prompt"}]}', /midi\[0\]\.param: prompt cannot follow a continuous control/],
      ['{"name":"x","midi":[{"type":"knob","number":1,"param":"delta"}]}', /midi\[0\]\.type: Invalid discriminator/],
      ['{"name":"x","osc":[{"address":"/a"}]}', /osc\[0\]\.param: needs "param"/],
      ['{"name":"x","extra":1}', /\(root\): Unrecognized key/],
      ['{"name":', /\(root\): not valid JSON/],
    ];
    for (const [text, reason] of cases) {
      assert.throws(() => parseMapping('f.json', text, space), (e: unknown) => isSdliveError(e, 'SDL_ERR_MAPPING') && reason.test(e.message));
    }
  });
});

describe('hot reload', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'sdlive-map-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it('swaps in a fixed file, keeps the previous mappings when an edit is broken', async () => {
    const file = join(dir, 'show.json');
    const version = (param: string) => JSON.stringify({ name: 'show', midi: [{ type: 'cc', number: 1, param }] });
    await writeFile(file, version('delta'));
    const set = new MappingSet([file], space, silentLogger);
    const errors: Error[] = [];
    set.on('error', (e) => errors.push(e));
    await set.start();
    const param = () => set.current[0]?.mapping.midi[0]?.param;
    assert.equal(param(), 'delta');
    await writeFile(file, version('guidance_scale'));
    await waitFor(() => param() === 'guidance_scale', 'reload');
    await writeFile(file, '{"name": "show", "midi": [ {"type": "cc", "number": 1,');
    await waitFor(() => errors.length === 1, 'broken edit reported');
    assert.match(errors[0]!.message, /show\.json: \(root\): not valid JSON/);
    assert.equal(param(), 'guidance_scale', 'previous mappings stay active');
    await writeFile(file, version('delta_typo'));
    await waitFor(() => errors.length === 2, 'invalid target reported');
    assert.equal(param(), 'guidance_scale');
    await writeFile(file, version('delta'));
    await waitFor(() => param() === 'delta', 'fixed file swapped in');
    set.close();
  });

  it('starts without a broken or missing file and says why', async () => {
    const set = new MappingSet([join(dir, 'missing.json')], space, silentLogger);
    const errors: Error[] = [];
    set.on('error', (e) => errors.push(e));
    await set.start();
    assert.equal(set.current.length, 0);
    assert.match(errors[0]!.message, /missing\.json: \(file\): cannot read: ENOENT/);
    set.close();
  });
});

describe('OSC routes from mapping files', () => {
  let store: ParameterStore<typeof StreamDiffusionParams>;
  let server: OscServer;
  let peer: UdpPeer;
  const p = () => store.snapshot;
  before(async () => {
    store = new ParameterStore(StreamDiffusionParams);
    server = new OscServer({ store, space, log: silentLogger, port: 0, host: '127.0.0.1' });
    await server.listen();
    peer = await UdpPeer.open();
    const files: LoadedMapping[] = [await loadMappingFile(resolveMappingPath('resolume'), space), await loadMappingFile(resolveMappingPath('touchdesigner'), space)];
    installOscRoutes(server, files);
  });
  after(async () => {
    await server.close();
    await peer.close();
  });

  it('maps Resolume 0..1 dashboard links and TouchDesigner channel names onto parameters', async () => {
    await peer.send(server.port, '/composition/dashboard/link1', 0.5);
    await peer.send(server.port, '/composition/dashboard/link2', 1);
    await peer.send(server.port, '/tindex1', 12);
    await peer.send(server.port, '/p2', 'a lighthouse');
    await waitFor(() => Array.isArray(p().prompt), 'prompt text entry');
    assert.equal(p().delta, 2.5);
    assert.equal(p().guidance_scale, 5, 'the top of guidance\'s norm range');
    assert.deepEqual(p().t_index_list, [12, 45]);
    assert.deepEqual((p().prompt as { text: string }[]).map((e) => e.text), [StreamDiffusionParams.parse({}).prompt, 'a lighthouse']);
  });
});
