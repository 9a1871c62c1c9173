import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamDiffusionParams, promptList, seedList } from '../../src/pipelines/streamdiffusion/schema.js';
import { paramSpecs } from '../../src/schema/param-spec.js';

test('defaults match the reference StreamDiffusion defaults', () => {
  const p = StreamDiffusionParams.parse({});
  assert.equal(p.num_inference_steps, 50);
  assert.equal(p.guidance_scale, 1.2);
  assert.equal(p.delta, 1);
  assert.equal(p.cfg_type, 'self');
  assert.equal(p.similarity_threshold, 0.98);
  assert.equal(p.similarity_max_skip_frames, 10);
  assert.equal(p.similarity_filter, false);
  assert.equal(p.use_denoising_batch, true);
  assert.deepEqual(p.t_index_list, [32, 45]);
});

test('ranges are enforced, including the cross-field t_index rule', () => {
  const bad: Record<string, unknown>[] = [
    { width: 500 }, { width: 192 }, { height: 2048 }, { delta: -1 }, { guidance_scale: 21 },
    { t_index_list: [] }, { t_index_list: [1, 2, 3, 4, 5] }, { t_index_list: [1.5] },
    { num_inference_steps: 10, t_index_list: [5, 10] }, { cfg_type: 'half' }, { mode: 'video' },
    { seed: -1 }, { prompt: [] }, { execution_providers: [] }, { bogus: 1 },
  ];
  for (const patch of bad) assert.equal(StreamDiffusionParams.safeParse(patch).success, false, JSON.stringify(patch));
  assert.equal(StreamDiffusionParams.safeParse({ num_inference_steps: 10, t_index_list: [0, 9] }).success, true);
  assert.equal(StreamDiffusionParams.safeParse({ width: 1024, height: 256 }).success, true);
});

test('prompt and seed accept a single value or a weighted list', () => {
  assert.deepEqual(promptList('a cat'), [{ text: 'a cat', weight: 1 }]);
  const p = StreamDiffusionParams.parse({ prompt: [{ text: 'a', weight: 0.3 }, { text: 'b' }], seed: [{ seed: 1 }, { seed: 2, weight: 2 }] });
  assert.deepEqual(promptList(p.prompt), [{ text: 'a', weight: 0.3 }, { text: 'b', weight: 1 }]);
  assert.deepEqual(seedList(p.seed), [{ seed: 1, weight: 1 }, { seed: 2, weight: 2 }]);
  assert.deepEqual(seedList(7), [{ seed: 7, weight: 1 }]);
});

test('param specs carry kind, range, phase and UI metadata for every field', () => {
  const specs = paramSpecs(StreamDiffusionParams);
  assert.equal(specs.length, Object.keys(StreamDiffusionParams.shape).length);
  const byKey = new Map(specs.map((s) => [s.key, s]));
  assert.deepEqual({ ...byKey.get('delta'), description: undefined }, {
    key: 'delta', kind: 'number', min: 0, max: 5, default: 1, label: 'Delta', group: 'Guidance', order: 31, phase: 'runtime', description: undefined,
  });
  assert.equal(byKey.get('width')!.phase, 'load');
  assert.equal(byKey.get('width')!.step, 64);
  assert.equal(byKey.get('prompt')!.kind, 'prompt');
  assert.equal(byKey.get('seed')!.kind, 'seed');
  assert.equal(byKey.get('t_index_list')!.kind, 'int_list');
  assert.deepEqual(byKey.get('cfg_type')!.values, ['none', 'full', 'self', 'initialize']);
  assert.deepEqual(specs.filter((s) => s.phase === 'load').map((s) => s.key).sort(), ['controlnet_1', 'controlnet_2', 'controlnet_3', 'device_id', 'execution_providers', 'height', 'lora', 'lora_dir', 'model', 'reload_strategy', 'tensorrt_cache_dir', 'vae_range', 'webgpu_layout', 'width']);
  for (const s of specs) assert.ok(s.label && s.group && s.description, `${s.key} has UI metadata`);
  const orders = specs.map((s) => s.order);
  assert.deepEqual(orders, [...orders].sort((a, b) => a - b));
});
