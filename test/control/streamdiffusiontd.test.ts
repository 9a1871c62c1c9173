import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { StreamDiffusionTdConfig } from '../../src/control/config.js';
import { firstRawShmOutput, rawShmName } from '../../src/control/streamdiffusiontd/shm-names.js';
import { StreamDiffusionTd, type StreamDiffusionTdOptions } from '../../src/control/streamdiffusiontd/adapter.js';
import { resolveConfig } from '../../src/config.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import pino from 'pino';
import { silentLogger } from '../../src/log.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { UdpPeer, waitFor } from './helpers.js';

describe('StreamDiffusionTD compatibility (its wire contract over real UDP)', () => {
  const store = new ParameterStore(StreamDiffusionParams);
  const frames = new EventEmitter();
  let frameCount = 0;
  let td: UdpPeer;
  let adapter: StreamDiffusionTd;
  const p = () => store.snapshot;
  const send = (address: string, ...args: (string | number | boolean)[]) => td.send(adapter.server.port, address, ...args);

  before(async () => {
    td = await UdpPeer.open();
    adapter = await StreamDiffusionTd.start({
      config: StreamDiffusionTdConfig.parse({ port: 0, reply_port: td.port, heartbeat_ms: 50, output_name: 'sd_output_test' }),
      host: '127.0.0.1', store, space: new AddressSpace(StreamDiffusionParams), log: silentLogger,
      metrics: () => ({ fps: 24 }), frameCount: () => frameCount,
      onFrame: (l) => {
        frames.on('frame', l);
        return () => frames.off('frame', l);
      },
    });
  });
  after(async () => {
    await adapter.close();
    await td.close();
  });

  it('changes the store from its messages', async () => {
    await send('/prompt_list', JSON.stringify([['a forest', 0.7], ['a city', 0.3]]));
    await send('/seed_list', JSON.stringify([[42, 0.5], [7, 0.5]]));
    await send('/t_list', 18, 30);
    await send('/guidance_scale', 1.5);
    await send('/delta', 0.8);
    await send('/negative_prompt', 'blurry');
    await send('/sdmode', 'txt2img');
    await send('/slerp', 1);
    await send('/max_fps', 30);
    await send('/pause');
    await waitFor(() => p().paused === true, '/pause');
    assert.deepEqual(p().prompt, [{ text: 'a forest', weight: 0.7 }, { text: 'a city', weight: 0.3 }]);
    assert.deepEqual(p().seed, [{ seed: 42, weight: 0.5 }, { seed: 7, weight: 0.5 }]);
    assert.deepEqual(p().t_index_list, [18, 30]);
    assert.deepEqual([p().guidance_scale, Math.fround(p().delta), p().negative_prompt, p().mode, p().prompt_interpolation, p().fps_cap], [1.5, Math.fround(0.8), 'blurry', 'txt2img', 'slerp', 30]);
    await send('/play');
    await send('/seed', 99);
    await waitFor(() => p().seed === 99, '/seed');
    assert.equal(p().paused, false);
  });

  it('accepts messages it has no use for without counting them as errors', async () => {
    const before = Object.values(adapter.server.stats.failures).reduce((a, b) => a + b, 0);
    await send('/controlnet_weight', 0.5);
    await send('/td_buffer_name', 'TDbuf');
    await send('/unload');
    await send('/sdmode', 'inpaint');
    await waitFor(() => adapter.server.stats.failures.out_of_range === 1, 'bad sdmode counted');
    assert.equal(Object.values(adapter.server.stats.failures).reduce((a, b) => a + b, 0), before + 1);
  });

  it('replies with /server_active heartbeats, /framecount per frame and stream info', async () => {
    assert.deepEqual((await td.next('/server_active')).args, [1]);
    assert.deepEqual((await td.next('/stream-info/fps')).args, [24]);
    assert.deepEqual((await td.next('/stream-info/output-name')).args, ['sd_output_test']);
    frameCount = 17;
    frames.emit('frame');
    assert.deepEqual((await td.next('/framecount')).args, [17]);
  });
});

describe('StreamDiffusionTD frame buffer names', () => {
  it('finds the shared-memory name of raw shm specs, and nothing in other specs', () => {
    assert.equal(rawShmName('shm:sdtd-in?raw=1&width=512&height=512', 'input'), 'sdtd-in');
    assert.equal(rawShmName('shm:ring-out', 'output'), undefined);
    assert.equal(rawShmName('shm:raw-off?raw=0', 'output'), undefined);
    assert.equal(rawShmName('test:bars', 'input'), undefined);
    assert.equal(firstRawShmOutput(['shm:ring-out', 'shm:first?raw=1', 'shm:second?raw=1']), 'first');
  });

  it('the shipped patch reports the shm output its frames go to', async () => {
    const config = resolveConfig(JSON.parse(await readFile('patches/touchdesigner/streamdiffusiontd.json', 'utf8')) as Record<string, unknown>);
    const sdtd = config.osc.streamdiffusiontd;
    assert.ok(typeof sdtd === 'object');
    assert.equal(sdtd.output_name, firstRawShmOutput(config.outputs));
    assert.equal(sdtd.output_name, 'sdtd-out');
  });

  describe('an adapter without output_name, inside an app writing to shm:sdtd-out?raw=1', () => {
    const logs: string[] = [];
    let td: UdpPeer;
    let adapter: StreamDiffusionTd;
    const send = (address: string, ...args: string[]) => td.send(adapter.server.port, address, ...args);

    before(async () => {
      td = await UdpPeer.open();
      const log = pino({ level: 'info' }, { write: (s: string) => void logs.push((JSON.parse(s) as { msg: string }).msg) });
      const opts: StreamDiffusionTdOptions = {
        config: StreamDiffusionTdConfig.parse({ port: 0, reply_port: td.port, heartbeat_ms: 50 }),
        host: '127.0.0.1', store: new ParameterStore(StreamDiffusionParams), space: new AddressSpace(StreamDiffusionParams), log,
        metrics: () => ({ fps: 0 }), frameCount: () => 0, onFrame: () => () => undefined,
        frames: { input: 'shm:sdtd-in?raw=1&width=512&height=512', outputs: ['test:null', 'shm:sdtd-out?raw=1&width=512&height=512'] },
      };
      adapter = await StreamDiffusionTd.start(opts);
    });
    after(async () => {
      await adapter.close();
      await td.close();
    });

    it('reports the raw shm output as /stream-info/output-name', async () => {
      assert.deepEqual((await td.next('/stream-info/output-name')).args, ['sdtd-out']);
    });

    it('says once which config value to set when /td_buffer_name differs from the input', async () => {
      const hints = () => logs.filter((l) => l.includes('/td_buffer_name') || l.includes('StreamDiffusionTD writes its frames'));
      await send('/td_buffer_name', 'sdtd-in');
      await send('/td_buffer_name', 'TDbuf');
      await send('/td_buffer_name', 'TDbuf');
      await waitFor(() => adapter.server.stats.messages === 3, 'three buffer names handled');
      assert.deepEqual(hints(), ['StreamDiffusionTD writes its frames to shared memory "TDbuf" but sdlive reads shared memory "sdtd-in": set "input": "shm:TDbuf?raw=1&width=512&height=512" in the config and restart']);
      assert.equal(Object.values(adapter.server.stats.failures).reduce((a, b) => a + b, 0), 0);
    });
  });
});
