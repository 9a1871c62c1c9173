import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startApp, type RunningApp } from '../../src/app.js';
import { readConfigFile, resolveConfig } from '../../src/config.js';
import { encodeMessage } from '../../src/control/osc/codec.js';
import { controlSurfaceOf } from '../../src/control/surface.js';
import { silentLogger } from '../../src/log.js';
import { UdpPeer, waitFor } from '../control/helpers.js';

const run = promisify(execFile);
const TD = fileURLToPath(new URL('../../patches/touchdesigner/', import.meta.url));
const BUILDER = join(TD, 'build_sdlive_network.py');
const FAKE_TD = fileURLToPath(new URL('./fixtures/fake_touchdesigner.py', import.meta.url));
const KIT_CONFIG = join(TD, 'sdlive-td.json');
const MAPPING = fileURLToPath(new URL('../../mappings/touchdesigner.json', import.meta.url));
const BANK = fileURLToPath(new URL('../../patches/banks/streamdiffusion.json', import.meta.url));
const PYCACHE = { ...process.env, PYTHONPYCACHEPREFIX: mkdtempSync(join(tmpdir(), 'sdlive-pycache-')) };

interface TdOp { path: string; type: string; pars: Record<string, unknown>; inputs: string[]; text: string }
interface Sent { from: string; address: string; args: (number | string)[]; types: string }
interface Built { printed: string[]; ops: TdOp[]; sent: Sent[] }
interface KitConfig { osc: { port: number; feedback: { host: string; port: number }[] } }

async function build(frames: 'texture' | 'shm'): Promise<Built> {
  const { stdout } = await run('python3', [FAKE_TD, BUILDER, frames], { env: PYCACHE });
  return JSON.parse(stdout) as Built;
}

const readJson = async <T>(path: string) => JSON.parse(await readFile(path, 'utf8')) as T;
const opAt = (built: Built, path: string) => {
  const found = built.ops.find((o) => o.path === path);
  assert.ok(found, `no operator ${path}; built: ${built.ops.map((o) => o.path).join(', ')}`);
  return found;
};
const NET = '/project1/sdlive';

/** The channels the OSC Out CHOP sends: the Constant CHOP's named channels that its Select CHOP keeps, in that order. */
function sentChannels(built: Built): { name: string; value: number }[] {
  const osc = opAt(built, `${NET}/osc_out`);
  const select = opAt(built, osc.inputs[0]!);
  assert.equal(select.type, 'selectCHOP');
  const constant = opAt(built, select.inputs[0]!);
  assert.equal(constant.type, 'constantCHOP');
  const values = new Map<string, number>();
  for (let i = 0; typeof constant.pars[`const${i}name`] === 'string'; i++) {
    values.set(constant.pars[`const${i}name`] as string, constant.pars[`const${i}value`] as number);
  }
  return String(select.pars.channames).split(/\s+/).map((name) => {
    assert.ok(values.has(name), `the Select CHOP keeps "${name}", which the Constant CHOP does not have`);
    return { name, value: values.get(name)! };
  });
}

describe('TouchDesigner kit (patches/touchdesigner) against a fake td module and a real sdlive', () => {
  let texture: Built;
  let kit: KitConfig;
  let mapping: Map<string, string>;

  before(async () => {
    texture = await build('texture');
    kit = await readJson<KitConfig>(KIT_CONFIG);
    const file = await readJson<{ osc: { address: string; param: string }[] }>(MAPPING);
    mapping = new Map(file.osc.map((e) => [e.address, e.param]));
  });

  it('every Python file of the kit compiles', async () => {
    const files = (await readdir(TD)).filter((f) => f.endsWith('.py'));
    assert.ok(files.length >= 4, files.join(', '));
    for (const file of files) await run('python3', ['-m', 'py_compile', join(TD, file)], { env: PYCACHE });
  });

  it('builds the network with every parameter name known to the operator types (none left to set by hand)', () => {
    assert.deepEqual(texture.printed.filter((line) => /has no parameter/.test(line)), []);
    assert.equal(opAt(texture, NET).type, 'baseCOMP');
    assert.equal(opAt(texture, `${NET}/to_sdlive`).type, 'syphonspoutoutTOP');
    assert.equal(opAt(texture, `${NET}/to_sdlive`).pars.sendername, 'sdlive-in');
    assert.equal(opAt(texture, `${NET}/from_sdlive`).type, 'syphonspoutinTOP');
    assert.equal(opAt(texture, `${NET}/from_sdlive`).pars.sendername, 'sdlive');
  });

  it('shm mode: Script TOPs whose callbacks DATs load the kit files, and the sdlive_shm module DAT beside them', async () => {
    const shm = await build('shm');
    assert.deepEqual(shm.printed.filter((line) => /has no parameter/.test(line)), []);
    assert.equal(opAt(shm, `${NET}/sdlive_shm`).pars.file, join(TD, 'sdlive_shm.py'));
    for (const [top, script] of [['to_sdlive', 'script_top_to_sdlive.py'], ['from_sdlive', 'script_top_from_sdlive.py']] as const) {
      const callbacks = opAt(shm, `${NET}/${String(opAt(shm, `${NET}/${top}`).pars.callbacks)}`);
      assert.equal(opAt(shm, `${NET}/${top}`).type, 'scriptTOP');
      assert.equal(callbacks.type, 'textDAT');
      assert.equal(callbacks.pars.file, join(TD, script));
      assert.equal(callbacks.pars.syncfile, true);
    }
  });

  it("OSC Out CHOP and DAT go to 127.0.0.1 at the kit config's osc.port; the OSC In DAT listens on its feedback port", () => {
    const chop = opAt(texture, `${NET}/osc_out`);
    assert.equal(chop.type, 'oscoutCHOP');
    assert.deepEqual([chop.pars.netaddress, chop.pars.port], ['127.0.0.1', kit.osc.port]);
    const dat = opAt(texture, `${NET}/osc_cmd`);
    assert.equal(dat.type, 'oscoutDAT');
    assert.deepEqual([dat.pars.address, dat.pars.port], ['127.0.0.1', kit.osc.port]);
    const feedback = opAt(texture, `${NET}/osc_in`);
    assert.equal(feedback.type, 'oscinDAT');
    assert.equal(kit.osc.feedback[0]!.host, '127.0.0.1');
    assert.equal(feedback.pars.port, kit.osc.feedback[0]!.port);
  });

  it('every channel the OSC Out CHOP sends is an address of mappings/touchdesigner.json', () => {
    const channels = sentChannels(texture);
    assert.ok(channels.length >= 5, channels.map((c) => c.name).join(' '));
    for (const { name } of channels) assert.ok(mapping.has(`/${name}`), `channel "${name}" maps to nothing in ${MAPPING}`);
  });

  it('eight momentary preset buttons; pressing each sends preset/recall with its number and the morph seconds', () => {
    const buttons = texture.ops.filter((o) => o.type === 'buttonCOMP');
    assert.equal(buttons.length, 8);
    for (const button of buttons) assert.equal(button.pars.buttontype, 'momentary');
    assert.deepEqual(texture.sent.map((s) => [s.from, s.address, s.types, s.args]),
      buttons.map((_, i) => [`${NET}/osc_cmd`, '/sdlive/preset/recall', 'if', [i + 1, 2]]));
  });

  describe('what the network sends, replayed over real UDP into sdlive started from sdlive-td.json', () => {
    let app: RunningApp;
    let peer: UdpPeer;
    let oscPort: number;
    const values = () => app.store.snapshot as Record<string, unknown>;

    before(async () => {
      const file = await readConfigFile(KIT_CONFIG);
      app = await startApp(resolveConfig({
        ...file, input: 'test:bars', outputs: [],
        params: { ...(file.params as object), model: 'builtin:tiny', execution_providers: ['cpu'], width: 256, height: 256, fps_cap: 5 },
        osc: { port: 0, host: '127.0.0.1', zeroconf: false, feedback: [], reply_to_sender: true },
        http: { port: 0 }, midi: { enabled: false },
      }), silentLogger);
      oscPort = controlSurfaceOf(app)!.osc.port;
      peer = await UdpPeer.open();
    });
    after(async () => {
      await app?.stop();
      await peer?.close();
    });

    it('the channels set their parameters (float32, as the OSC Out CHOP sends them), none answered by an error', async () => {
      app.store.update({ delta: 0.3, guidance_scale: 2.5, fps_cap: 12, t_index_list: [10, 20] }, 'http');
      const channels = sentChannels(texture);
      for (const { name, value } of channels) await peer.send(oscPort, `/${name}`, value);
      const sent = Object.fromEntries(channels.map((c) => [c.name, Math.fround(c.value)]));
      await waitFor(() => values().delta === sent.delta && values().fps_cap === sent.fpscap, 'the channels applied');
      assert.equal(values().guidance_scale, sent.guidance);
      assert.deepEqual(values().t_index_list, [sent.tindex1, sent.tindex2]);
      assert.deepEqual((values().prompt as { weight: number }[]).map((p) => p.weight), [sent.w1, sent.w2]);
      await peer.send(oscPort, '/sdlive/delta', '?'); // answered after every message before it
      await peer.next('/sdlive/delta');
      assert.deepEqual(peer.received.filter((m) => m.address === '/sdlive/error'), []);
    });

    it('preset/recall is a command of the running engine, and a button press recalls that preset of the bank', async () => {
      const listed = (await (await fetch(`${app.http.url}/api/commands`)).json()) as { commands: { name: string }[] };
      assert.ok(listed.commands.some((c) => c.name === 'preset/recall'), listed.commands.map((c) => c.name).join(', '));
      const bank = await readJson<{ presets: { name: string; number?: number }[] }>(BANK);
      for (const press of texture.sent.slice(0, 2)) {
        await peer.sendRaw(encodeMessage(press.address, press.args, press.types), oscPort);
        await peer.send(oscPort, press.address, '?');
        const answer = await peer.next(press.address);
        assert.deepEqual(answer.args, [bank.presets.find((p) => p.number === press.args[0])!.name]);
      }
      assert.deepEqual(peer.received.filter((m) => m.address === '/sdlive/error'), []);
    });
  });
});
