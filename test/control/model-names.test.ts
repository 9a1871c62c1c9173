import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { startApp, type RunningApp } from '../../src/app.js';
import { resolveConfig } from '../../src/config.js';
import { encodeMessage } from '../../src/control/osc/codec.js';
import { ERROR_INTERVAL_MS } from '../../src/control/osc/feedback.js';
import { controlSurfaceOf } from '../../src/control/surface.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { isSdliveError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { builtinModels, folderModels, manifestModels, ModelCatalogue, modelCatalogue } from '../../src/models/catalogue.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { runCli } from '../helpers/cli.js';
import { UdpPeer, waitFor } from './helpers.js';

const LOAD_MS = 60_000;

/** The real engine on the StreamDiffusion pipeline with a tiny model, OSC feedback to the sender. */
function startModelApp(model: string): Promise<RunningApp> {
  return startApp(resolveConfig({
    pipeline: 'streamdiffusion',
    params: { model, width: 256, height: 256, execution_providers: ['cpu'] },
    http: { port: 0 },
    osc: { port: 0, host: '127.0.0.1', zeroconf: false, reply_to_sender: true },
    midi: { enabled: false },
  }), silentLogger);
}

const modelOf = (app: RunningApp) => (app.store.snapshot as { model: string }).model;

describe('over the network `model` is a name the engine knows, never a path', () => {
  let app: RunningApp;
  let peer: UdpPeer;
  let oscPort: number;

  before(async () => {
    app = await startModelApp('builtin:tiny');
    peer = await UdpPeer.open();
    oscPort = controlSurfaceOf(app)!.osc.port;
    await waitFor(() => app.engine.metrics().model.loads === 1, 'first load', LOAD_MS);
  });
  after(async () => {
    await app.stop();
    await peer.close();
  });

  async function oscError(value: string): Promise<string> {
    await sleep(ERROR_INTERVAL_MS); // one /sdlive/error per address, reason and second
    await peer.send(oscPort, '/sdlive/model', value);
    const [address, message] = (await peer.next('/sdlive/error')).args;
    assert.equal(address, '/sdlive/model');
    return message as string;
  }

  it('refuses an existing and a missing folder over OSC with the same text, naming known models and no file-system fact', async () => {
    const existing = await oscError(tmpdir());
    const missing = await oscError('/nonexistent/x');
    assert.equal(existing, missing);
    assert.match(existing, /model: not a model name this engine knows; choose one of: .*sd-turbo/);
    assert.doesNotMatch(existing, /exist|missing|folder|director|tmp/i);
    assert.equal(modelOf(app), 'builtin:tiny');
    assert.equal(app.engine.metrics().model.loading, false, 'no reload started');
  });

  it('answers POST /api/params {"model": "/tmp"} with 400 and the same text', async () => {
    const osc = await oscError('/tmp');
    const expected = osc.slice(osc.indexOf('model: '));
    const res = await fetch(`${app.http.url}/api/params`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: '/tmp' }) });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: `SDL_ERR_PARAM: ${expected}`, field: 'model' });
    assert.equal(modelOf(app), 'builtin:tiny');
  });

  it('ignores a path sent as binary OSC over the OSCQuery WebSocket, and applies what follows it', async () => {
    const ws = new WebSocket(app.http.url.replace(/^http/, 'ws'));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(encodeMessage('/sdlive/model', ['/tmp']));
    ws.send(encodeMessage('/sdlive/guidance_scale', [3.5]));
    await waitFor(() => (app.store.snapshot as { guidance_scale: number }).guidance_scale === 3.5, 'the change after the path');
    ws.close();
    assert.equal(modelOf(app), 'builtin:tiny');
  });

  it('advertises the known names as the OSCQuery RANGE VALS of /sdlive/model', async () => {
    const node = (await (await fetch(`${app.http.url}/sdlive/model`)).json()) as { TYPE: string; RANGE: { VALS: string[] }[] };
    assert.equal(node.TYPE, 's');
    for (const name of ['builtin:tiny', 'builtin:tiny-sd15', 'sd-turbo']) assert.ok(node.RANGE[0]!.VALS.includes(name), name);
  });

  it('accepts a known name over OSC and reloads with it; none of the refused paths was ever loaded', async () => {
    await peer.send(oscPort, '/sdlive/model', 'builtin:tiny-sd15');
    await waitFor(() => app.engine.metrics().model.loads === 2, 'reload with builtin:tiny-sd15', LOAD_MS);
    assert.equal(modelOf(app), 'builtin:tiny-sd15');
    assert.equal(app.engine.metrics().model.loadFailures, 0);
  });
});

describe('a folder given by the config or the command line', () => {
  const folder = resolveModelDir('builtin:tiny-sd15');

  it('loads, and stays selectable over OSC by the value it was given as', async () => {
    const app = await startModelApp(folder);
    const peer = await UdpPeer.open();
    try {
      const port = controlSurfaceOf(app)!.osc.port;
      await waitFor(() => app.engine.metrics().model.loads === 1, 'load from the folder', LOAD_MS);
      await peer.send(port, '/sdlive/model', 'builtin:tiny');
      await waitFor(() => app.engine.metrics().model.loads === 2, 'reload with builtin:tiny', LOAD_MS);
      await peer.send(port, '/sdlive/model', folder);
      await waitFor(() => app.engine.metrics().model.loads === 3, 'reload with the start-up folder', LOAD_MS);
      assert.equal(modelOf(app), folder);
      assert.equal(app.engine.metrics().model.loadFailures, 0);
    } finally {
      await app.stop();
      await peer.close();
    }
  });

  it('runs from sdlive run --model <dir>', async () => {
    const r = await runCli(['run', '--model', folder, '--osc-port', '0', '--http-port', '0', '--set', 'width=256', '--set', 'height=256', '--set', 'execution_providers=["cpu"]', '--frames', '2'], { timeoutMs: LOAD_MS * 2 });
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('the parameter store and the model catalogue', () => {
  it('lets only the config, the command line and the engine set a value outside the choice set', () => {
    const store = new ParameterStore(StreamDiffusionParams, {}, { models: new ModelCatalogue([builtinModels]) });
    for (const source of ['osc', 'streamdiffusiontd', 'midi', 'web', 'http', 'preset']) {
      const r = store.set('model', '/some/dir', source);
      assert.equal(r.ok, false, source);
      assert.equal(!r.ok && r.error.code, 'SDL_ERR_PARAM');
      assert.equal(!r.ok && r.error.field, 'model');
    }
    for (const source of ['config', 'cli', 'engine']) assert.equal(store.set('model', `/some/dir/${source}`, source).ok, true, source);
    assert.equal(store.set('model', '/some/dir/engine', 'osc').ok, true, 'keeping the current value is no change');
  });

  it('refuses a remote value for a choice-set field when the store was given no such set', () => {
    const r = new ParameterStore(StreamDiffusionParams).set('model', 'builtin:tiny-fp16', 'osc');
    assert.equal(r.ok, false);
  });

  it('knows manifests (not fetched until their folder holds an optimum export) and model folders by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdlive-catalogue-'));
    try {
      const manifest = { name: 'show-model', source: 'a test', export: 'copy it', params: {} };
      writeFileSync(join(dir, 'show-model.json'), JSON.stringify(manifest));
      writeFileSync(join(dir, 'broken.json'), '{');
      mkdirSync(join(dir, 'not-a-model'));
      cpSync(resolveModelDir('builtin:tiny'), join(dir, 'my-export'), { recursive: true });
      const catalogue = new ModelCatalogue([manifestModels(dir), folderModels(dir)]);
      assert.deepEqual(catalogue.names(), ['show-model', 'my-export']);
      assert.match(catalogue.refusal('show-model')!, /^"show-model" is known but not fetched yet/);
      assert.throws(() => catalogue.folderOf('show-model'), (e) => isSdliveError(e, 'SDL_ERR_MODEL_LOAD') && /not fetched yet: copy it/.test(e.message));
      assert.equal(catalogue.refusal('my-export'), undefined);
      assert.equal(catalogue.folderOf('my-export'), join(dir, 'my-export'));
      cpSync(resolveModelDir('builtin:tiny'), join(dir, 'show-model'), { recursive: true });
      assert.equal(catalogue.refusal('show-model'), undefined);
      assert.equal(catalogue.folderOf('show-model'), join(dir, 'show-model'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the shipped manifests and every built-in tiny model, also in sdlive models list', async () => {
    const names = modelCatalogue().names();
    for (const name of ['sd-turbo', 'sd-1.5-lcm', 'builtin:tiny', 'builtin:tiny-sd15', 'builtin:tiny-taesd-zero-one']) assert.ok(names.includes(name), name);
    const r = await runCli(['models', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]), names);
  });

  it('skips a source folder that does not exist', () => {
    const missing = join(tmpdir(), 'sdlive-no-such-models-folder');
    assert.deepEqual(new ModelCatalogue([manifestModels(missing), folderModels(missing), builtinModels]).names(), new ModelCatalogue([builtinModels]).names());
  });
});
