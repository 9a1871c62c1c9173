import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { catalogueManifests, PACKAGE_MODELS_DIR } from '../../src/models/catalogue.js';
import { ControlNet } from '../../src/models/controlnet.js';
import { manifestControlNets, tinyControlNetDir } from '../../src/models/controlnet-catalogue.js';
import { HubCache } from '../../src/models/hub/cache.js';
import { fetchModel } from '../../src/models/hub/fetch.js';
import type { FetchProgress } from '../../src/models/hub/progress.js';
import { loadSdModels } from '../../src/models/load.js';
import { makeTinyModel } from '../../src/models/tiny/make-tiny.js';
import { filesOf, StandInHub } from './hub-server.js';

/*
 * The shipped ControlNet manifests (models/controlnet-*.json, sd-1.5-controlnet.json) fetched from a stand-in hub
 * holding tiny files at the real repos' paths: only the named ControlNet file comes down, and the UNet part is
 * taken from the repo's controlnet/ folder.
 */
const TMP = mkdtempSync(join(tmpdir(), 'sdlive-cn-hub-'));
const silent: FetchProgress = { begin() {}, file() {}, advance() {}, note() {}, end() {} };

const sd = makeTinyModel(join(TMP, 'src-plain'), 'sd15');
const withResiduals = makeTinyModel(join(TMP, 'src-cn'), 'controlnet');
const controlnet = filesOf(tinyControlNetDir('builtin:controlnet-tiny')).find((f) => f.path === 'model.onnx')!.bytes!;
const hub = new StandInHub([
  {
    repo: 'axodoxian/controlnet_onnx', commit: 'c'.repeat(40),
    files: [
      { path: 'controlnet/canny.onnx', bytes: controlnet },
      { path: 'controlnet/depth.onnx', virtualSize: 7.4e8 },
      { path: 'annotators/canny.onnx', virtualSize: 1e6 },
    ],
  },
  {
    repo: 'axodoxian/stable_diffusion_onnx', commit: 'd'.repeat(40),
    files: [
      ...filesOf(sd).filter((f) => f.path !== 'sdlive.json' && !f.path.startsWith('unet/')),
      ...filesOf(withResiduals).filter((f) => f.path.startsWith('unet/')).map((f) => ({ ...f, path: f.path.replace(/^unet\//, 'controlnet/') })),
      { path: 'unet/model.onnx', virtualSize: 1.7e9 },
    ],
  },
]);
let hubUrl = '';
before(async () => {
  hubUrl = await hub.start();
  process.env.SDLIVE_HOME = join(TMP, 'sdlive');
});
after(() => hub.stop());

test('sdlive models fetch controlnet-canny brings down that one file; the ControlNet is then known and loads', async () => {
  const cache = new HubCache(join(TMP, 'hub'));
  const known = manifestControlNets(PACKAGE_MODELS_DIR, cache);
  assert.equal(known().find((m) => m.name === 'controlnet-canny')?.present(), false);
  const result = await fetchModel('controlnet-canny', { manifests: catalogueManifests(), cache, access: { hubUrl }, progress: silent, say() {} });
  assert.deepEqual(result.files.map((f) => f.path), ['controlnet/canny.onnx']);
  const canny = known().find((m) => m.name === 'controlnet-canny')!;
  assert.ok(canny.present());
  const net = await ControlNet.load('controlnet-canny', canny.folder(), 'cpu');
  assert.equal(net.residualCount, 12);
  await net.dispose();
});

test('sdlive models fetch sd-1.5-controlnet assembles the repo\'s controlnet/ UNet as unet/: it takes ControlNet residuals', async () => {
  const cache = new HubCache(join(TMP, 'hub2'));
  const result = await fetchModel('sd-1.5-controlnet', { manifests: catalogueManifests(), cache, access: { hubUrl }, progress: silent, say() {} });
  assert.ok(!result.files.some((f) => f.path === 'unet/model.onnx'), 'the plain UNet is not fetched');
  const models = await loadSdModels(result.folder!, { width: 256, height: 256 });
  assert.equal(models.dialect.controlResiduals, 12);
  await models.dispose();
});
