import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { AddressSpace } from '../../src/control/space/address-space.js';
import { OscServer, type ControlStore } from '../../src/control/osc/server.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { silentLogger } from '../../src/log.js';
import { PassthroughParams } from '../../src/pipelines/passthrough/index.js';
import { pipelineByName } from '../../src/pipelines/registry.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { normRange, param } from '../../src/schema/param.js';
import { paramSpecs } from '../../src/schema/param-spec.js';
import { oscServerAndPeer, type UdpPeer, waitFor } from './helpers.js';

const meta = { label: 'LoRAs', group: 'Test', order: 1, phase: 'runtime', description: 'LoRA adapters and their weights' } as const;

describe('ParamSpec is the whole schema', () => {
  it('describes the fields of list entries, with ranges, norm ranges and defaults', () => {
    const prompt = paramSpecs(StreamDiffusionParams).find((s) => s.key === 'prompt')!;
    assert.equal(prompt.kind, 'prompt');
    assert.deepEqual(prompt.entry, {
      main: 'text',
      fields: [
        { key: 'text', kind: 'string', maxLength: 2000 },
        { key: 'weight', kind: 'number', min: 0, max: 10, norm: { min: 0, max: 1 }, default: 1 },
      ],
    });
    assert.deepEqual([prompt.minItems, prompt.maxItems], [1, 8]);
    const seed = paramSpecs(StreamDiffusionParams).find((s) => s.key === 'seed')!;
    assert.deepEqual([seed.kind, seed.entry?.main, seed.entry?.fields.map((f) => [f.key, f.kind])], ['seed', 'seed', [['seed', 'integer'], ['weight', 'number']]]);
    assert.deepEqual(paramSpecs(StreamDiffusionParams).find((s) => s.key === 'guidance_scale')!.norm, { min: 0, max: 5 });
  });

  it('takes the kind of a scalar-or-list parameter from its metadata, never from the scalar\'s type', () => {
    const entry = z.strictObject({ name: z.string(), weight: normRange(z.number().min(0).max(2).default(1), { min: 0, max: 2 }) });
    const unmarked = z.strictObject({ lora: param(z.union([z.string(), z.array(entry).max(4)]).default('none'), meta) });
    assert.throws(() => paramSpecs(unmarked), /parameter lora: a scalar-or-list parameter needs param\(\) metadata "kind"/);
    const marked = z.strictObject({ lora: param(z.union([z.string(), z.array(entry).max(4)]).default('none'), { ...meta, kind: 'seed' }) });
    assert.equal(paramSpecs(marked)[0]!.kind, 'seed');
  });

  it('builds list addresses from the entry fields, whatever they are called', () => {
    const entry = z.strictObject({ name: z.string(), weight: normRange(z.number().min(0).max(2).default(1), { min: 0, max: 2 }) });
    const schema = z.strictObject({ lora: param(z.union([z.string(), z.array(entry).max(2)]).default('none'), { ...meta, kind: 'prompt' }) });
    const space = new AddressSpace(schema);
    assert.deepEqual(space.addresses.map((a) => `${a.path} ${a.type}`), [
      '/sdlive/lora s', '/sdlive/lora/json s',
      '/sdlive/loras/0/name s', '/sdlive/loras/0/weight f', '/sdlive/loras/1/name s', '/sdlive/loras/1/weight f',
      '/sdlive/loras/select i', '/sdlive/norm/loras/0/weight f', '/sdlive/norm/loras/1/weight f',
    ]);
    const store = new ParameterStore(schema);
    const p = store.snapshot as { lora: unknown };
    const patch = space.target('loras/1/name')!.write(p, ['detail']);
    assert.deepEqual(patch, { lora: [{ weight: 1, name: 'none' }, { weight: 1, name: 'detail' }] });
    assert.deepEqual(space.target('norm/loras/0/weight')!.write(p, [0.25]), { lora: [{ weight: 0.5, name: 'none' }] });
  });

  it('the registry merges the engine parameters (fps_cap, paused) into every pipeline\'s schema', () => {
    assert.ok(!('paused' in PassthroughParams.shape), 'passthrough does not declare them itself');
    for (const name of ['passthrough', 'streamdiffusion']) {
      const keys = paramSpecs(pipelineByName(name).schema).map((s) => s.key);
      assert.ok(keys.includes('fps_cap') && keys.includes('paused'), `${name}: ${keys.join()}`);
    }
    const store = new ParameterStore(pipelineByName('passthrough').schema);
    assert.equal(store.update({ fps_cap: -1 }, 'test').ok, false, 'validated like any parameter');
    assert.ok(store.update({ paused: true }, 'test').ok);
  });

  it('keeps the cross-field rules of a pipeline schema after the merge', () => {
    const store = new ParameterStore(pipelineByName('streamdiffusion').schema);
    const r = store.update({ num_inference_steps: 10, t_index_list: [32] }, 'test');
    assert.equal(r.ok, false);
  });
});

describe('prompt text and weighted lists over OSC', () => {
  let store: ControlStore;
  let server: OscServer;
  let close: () => Promise<void>;
  let peer: UdpPeer;

  before(async () => void ({ store, server, peer, close } = await oscServerAndPeer(silentLogger, false)));
  after(() => close());

  const p = () => store.snapshot as { prompt: unknown; seed: unknown };

  it('a string to /sdlive/prompt is always prompt text, [de-emphasis] included', async () => {
    await peer.send(server.port, '/sdlive/prompt', '[blurry] a cat');
    await waitFor(() => p().prompt === '[blurry] a cat', 'the text as it was sent');
    await peer.send(server.port, '/sdlive/prompt', '[["a", 0.5]]');
    await waitFor(() => p().prompt === '[["a", 0.5]]', 'JSON-looking text is text too');
  });

  it('/sdlive/prompt/json and /sdlive/seed/json take a list or a single value as JSON, and refuse what is not JSON', async () => {
    await peer.send(server.port, '/sdlive/prompt/json', '[["a forest", 0.7], ["a city", 0.3]]');
    await waitFor(() => Array.isArray(p().prompt), 'a list');
    assert.deepEqual(p().prompt, [{ text: 'a forest', weight: 0.7 }, { text: 'a city', weight: 0.3 }]);
    await peer.send(server.port, '/sdlive/prompt/json', '"[blurry] a dog"');
    await waitFor(() => p().prompt === '[blurry] a dog', 'a JSON string is one prompt');
    await peer.send(server.port, '/sdlive/seed/json', '[[1, 0.5], [2, 0.5]]');
    await waitFor(() => Array.isArray(p().seed), 'a seed list');
    assert.deepEqual(p().seed, [{ seed: 1, weight: 0.5 }, { seed: 2, weight: 0.5 }]);
    await peer.send(server.port, '/sdlive/prompt/json', 'a cat');
    assert.deepEqual((await peer.next('/sdlive/error')).args, ['/sdlive/prompt/json', 'bad_type: prompt JSON is not valid JSON']);
    assert.equal(p().prompt, '[blurry] a dog');
  });
});
