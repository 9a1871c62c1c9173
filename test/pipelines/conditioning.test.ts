import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFrame } from '../../src/io/frame.js';
import type { Conditioning, TensorF32, UnetInputs } from '../../src/models/sd-models.js';
import { concatConditioning } from '../../src/pipelines/streamdiffusion/conditioning.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { embeddingId, FakeSdModels, fakeTokenize } from './fake-sd-models.js';

/**
 * The seam: a model whose text encoder gives one more named entry than encoder_hidden_states. Nothing in the
 * pipeline knows its name; it must still be blended and laid out per slot exactly like encoder_hidden_states.
 */
class ExtraEntryModels extends FakeSdModels {
  readonly inputs: UnetInputs[] = [];

  override async encodeText(ids: Int32Array, batch: number): Promise<Conditioning> {
    return { ...(await super.encodeText(ids, batch)), extra_probe: probe(ids[1]!) };
  }

  override async unet(inputs: UnetInputs): Promise<TensorF32> {
    this.inputs.push(inputs);
    return super.unet(inputs);
  }
}

/** The extra entry for a prompt whose first token is `id`: [1, 3]. */
function probe(id: number): TensorF32 {
  return { data: Float32Array.of(id, -id, 0.5), dims: [1, 3] };
}

const probeOf = (text: string) => probe(fakeTokenize(text)[0]!).data;
const SIZE = 16;
const params = (patch: Record<string, unknown> = {}) =>
  StreamDiffusionParams.parse({ prompt: 'a red fox', negative_prompt: 'blurry', t_index_list: [10, 25, 40], guidance_scale: 1.5, seed: 7, ...patch });

function frame(k: number) {
  const f = createFrame(SIZE, SIZE, k);
  for (let p = 0; p < f.data.length; p++) f.data[p] = (p * 11 + k * 17) % 256;
  return f;
}

function rows(t: TensorF32): number[][] {
  const len = t.data.length / t.dims[0]!;
  return Array.from({ length: t.dims[0]! }, (_, i) => Array.from(t.data.subarray(i * len, (i + 1) * len)));
}

for (const use_denoising_batch of [true, false]) {
  for (const cfg_type of ['none', 'self', 'full', 'initialize'] as const) {
    test(`${use_denoising_batch ? 'Stream Batch' : 'sequential'}, cfg ${cfg_type}: an entry the pipeline never names goes to every slot with its prompt`, async () => {
      const extra = new ExtraEntryModels();
      const plain = new FakeSdModels();
      const p = params({ cfg_type, use_denoising_batch });
      for (const models of [extra, plain]) {
        const sd = new StreamDiffusion(models, { width: SIZE, height: SIZE });
        for (let k = 0; k < 4; k++) await sd.process([frame(k)], p);
      }
      const byId = new Map([[embeddingId('a red fox'), probeOf('a red fox')], [embeddingId('blurry'), probeOf('blurry')]]);
      extra.inputs.forEach((inputs, k) => {
        const expected = extra.unetCalls[k]!.embeddingIds.map((id) => Array.from(byId.get(id)!));
        assert.deepEqual(rows(inputs.conditioning.extra_probe!), expected, `call ${k}: the extra entry follows encoder_hidden_states slot by slot`);
      });
      assert.deepEqual(extra.decoded, plain.decoded, 'and the algorithm computes exactly what it did without it');
    });
  }
}

test('a prompt list blends the extra entry with the same weights', async () => {
  const models = new ExtraEntryModels();
  const list = [{ text: 'a red fox', weight: 1 }, { text: 'a blue whale', weight: 3 }];
  await new StreamDiffusion(models, { width: SIZE, height: SIZE }).process([frame(0)], params({ cfg_type: 'none', prompt: list }));
  const [a, b] = [probeOf('a red fox'), probeOf('a blue whale')];
  const mixed = Array.from(a, (v, j) => Math.fround(0.25 * v + 0.75 * b[j]!));
  assert.deepEqual(rows(models.inputs[0]!.conditioning.extra_probe!), [mixed, mixed, mixed]);
});

test('records naming different entries are refused, not silently mixed', () => {
  const t = probe(1);
  assert.throws(() => concatConditioning([{ encoder_hidden_states: t, extra_probe: t }, { encoder_hidden_states: t }]), /one has no extra_probe/);
});

test('encodeWhileServing: a new prompt that fails to encode is reported by the next frame, once; the old prompt is served meanwhile', async () => {
  const models = new FakeSdModels();
  const encode = models.encodeText.bind(models);
  let fail: ((e: Error) => void) | undefined;
  models.encodeText = async (ids, batch) => {
    if (ids[1] === fakeTokenize('broken')[0]) await new Promise((_, reject) => (fail = reject));
    return encode(ids, batch);
  };
  const sd = new StreamDiffusion(models, { width: SIZE, height: SIZE, encodeWhileServing: true });
  const broken = params({ cfg_type: 'none', prompt: 'broken' });
  await sd.process([frame(0)], params({ cfg_type: 'none' }));
  await sd.process([frame(1)], broken);
  fail!(new Error('encoder lost'));
  await new Promise((r) => setImmediate(r));
  await assert.rejects(sd.process([frame(2)], broken), /encoder lost/);
  await sd.process([frame(3)], broken);
  const fox = embeddingId('a red fox');
  assert.deepEqual(models.unetCalls.map((c) => c.embeddingIds[0]), [fox, fox, fox], 'the old prompt, on every frame that ran');
});
