import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { silentLogger } from '../../src/log.js';
import type { SdModels } from '../../src/models/index.js';
import { defineStreamDiffusion, loadModelFolder } from '../../src/pipelines/streamdiffusion/index.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';

/** Warm-up at load on the real tiny model: every session has run at the shapes in use, and no output moved. */
const SIZE = 256;

type Calls = Record<'encodeText' | 'unet' | 'vaeEncode' | 'vaeDecode', number[][]>;

/** The real models, with the dims of every call's first tensor recorded (and, given, another provider's name). */
function recorded(models: SdModels, calls: Calls, provider?: string): SdModels {
  // unet takes a record of named inputs: its sample's dims.
  const dims = (a: unknown) => (a as { dims?: number[] }).dims ?? (a as { sample?: { dims: number[] } }).sample?.dims ?? [(a as Int32Array).length];
  return new Proxy(models, {
    get(target, key, receiver) {
      if (key === 'provider' && provider) return provider;
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof key !== 'string' || !(key in calls) || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return (...args: unknown[]) => {
        calls[key as keyof Calls].push(dims(args[0]));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const opened: SdModels[] = [];
after(async () => {
  for (const m of opened) await m.dispose().catch(() => undefined);
});

function bars(k: number): Frame {
  const f = createFrame(SIZE, SIZE, k);
  for (let p = 0; p < SIZE * SIZE; p++) f.data.set([(p * 3 + k * 40) % 256, (p >> 3) % 256, 255 - (p >> 9), 255], p * 4);
  return f;
}

test('load runs one frame through every session at the configured size and batch; the stream then starts as if it had not', async () => {
  const params = StreamDiffusionParams.parse({ model: 'builtin:tiny', execution_providers: ['cpu'], width: SIZE, height: SIZE, cfg_type: 'full', t_index_list: [20, 35, 45] });
  const calls: Calls = { encodeText: [], unet: [], vaeEncode: [], vaeDecode: [] };
  const definition = defineStreamDiffusion(async (p, log) => {
    const models = await loadModelFolder(p, log);
    opened.push(models);
    return recorded(models, calls);
  });
  const warmed = (await definition.load(params, { log: silentLogger })) as StreamDiffusion;
  const latent = SIZE / 8;
  assert.deepEqual(calls.unet, [[6, 4, latent, latent]], 'one UNet call: 3 slots x 2 (full CFG)');
  assert.deepEqual(calls.vaeEncode, [[1, 3, SIZE, SIZE]]);
  assert.deepEqual(calls.vaeDecode, [[1, 4, latent, latent]]);
  assert.ok(calls.encodeText.length >= 1, 'the prompt was encoded');
  assert.equal(warmed.state!.warmSlots, 0, 'the stream starts afresh');
  assert.ok(warmed.state!.latentBuffer.data.every((v) => v === 0));
  assert.ok(warmed.state!.stockNoise.data.every((v) => v === 0));

  const cold = new StreamDiffusion(await loadModelFolder(params, silentLogger), { width: SIZE, height: SIZE });
  opened.push(cold.models);
  for (let k = 0; k < 4; k++) {
    const [a] = await warmed.process([bars(k)], params);
    const [b] = await cold.process([bars(k)], params);
    assert.deepEqual(a!.data, b!.data, `frame ${k}: same bytes with and without warm-up`);
  }
});

test('on a GPU provider warm-up also runs Stream Batch at the other slot counts, the configured one last', async () => {
  const params = StreamDiffusionParams.parse({ model: 'builtin:tiny', execution_providers: ['cpu'], width: SIZE, height: SIZE, cfg_type: 'full', t_index_list: [20, 35, 45] });
  const calls: Calls = { encodeText: [], unet: [], vaeEncode: [], vaeDecode: [] };
  const definition = defineStreamDiffusion(async (p, log) => {
    const models = await loadModelFolder(p, log);
    opened.push(models);
    return recorded(models, calls, 'webgpu');
  });
  const warmed = (await definition.load(params, { log: silentLogger })) as StreamDiffusion;
  // Full CFG doubles each batch: 1, 2 and 4 slots, then the configured 3.
  assert.deepEqual(calls.unet.map((d) => d[0]), [2, 4, 8, 6]);
  assert.equal(warmed.state!.latentBuffer.dims[0], 2, 'the stream state is the configured one: 3 slots, 2 buffered');
  assert.equal(warmed.state!.warmSlots, 0);
  assert.ok(warmed.state!.latentBuffer.data.every((v) => v === 0));
});
