import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { loadSdModels } from '../../src/models/load.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import type { SdModels, UnetInputs } from '../../src/models/sd-models.js';
import { guidanceScaleEmbedding } from '../../src/pipelines/streamdiffusion/conditioning.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';

const SIZE = 256;

/**
 * Values of diffusers' get_guidance_scale_embedding for dim 256, computed outside sdlive with:
 *   python3 -c "import math; w=7.5*1000; s=math.log(10000)/127; e=[math.sin(w*math.exp(-i*s)) for i in range(128)]
 *   + [math.cos(w*math.exp(-i*s)) for i in range(128)]; print([e[i] for i in (1, 40, 129, 200)])"
 * and by hand at the ends: index 0 is sin(w*1000), 127 is sin(w*1000/10000) (the last frequency is 1/10000),
 * 128 and 255 their cosines.
 */
const AT_8_5: [number, number][] = [
  [0, Math.sin(7500)], [127, Math.sin(0.75)], [128, Math.cos(7500)], [255, Math.cos(0.75)],
  [1, 0.8422281421293536], [40, -0.6863784047013801], [129, 0.5391212819072694], [200, -0.9390332165094657],
];
/** w = 0.5 (guidance 1.5), same command with w=0.5*1000. */
const AT_1_5: [number, number][] = [[1, 0.06671061298656794], [64, -0.9940050788058662], [190, 0.7592865054198905], [127, Math.sin(0.05)]];

function assertEmbedding(row: ArrayLike<number>, expected: [number, number][], what: string): void {
  for (const [i, v] of expected) assert.ok(Math.abs(row[i]! - v) < 1e-6, `${what}[${i}]: ${row[i]} vs ${v}`);
}

describe('the guidance-scale embedding (timestep_cond)', () => {
  it('is diffusers\' get_guidance_scale_embedding of (scale - 1) * 1000: sines then cosines', () => {
    const e = guidanceScaleEmbedding(8.5, 256);
    assert.deepEqual(e.dims, [1, 256]);
    assertEmbedding(e.data, AT_8_5, 'scale 8.5');
    assertEmbedding(guidanceScaleEmbedding(1.5, 256).data, AT_1_5, 'scale 1.5');
    const none = guidanceScaleEmbedding(1, 256).data;
    assert.ok(none.subarray(0, 128).every((v) => v === 0) && none.subarray(128).every((v) => v === 1), 'scale 1: w = 0, sin 0 and cos 1');
    const odd = guidanceScaleEmbedding(8.5, 257).data;
    assert.equal(odd[256], 0, 'an odd width is zero-padded at the end');
  });
});

function frame(k: number): Frame {
  const f = createFrame(SIZE, SIZE, k);
  for (let p = 0; p < SIZE * SIZE; p++) f.data.set([(p * 3 + k * 40) % 256, (p >> 8) % 256, 128, 255], p * 4);
  return f;
}

const params = (patch: Record<string, unknown> = {}) =>
  StreamDiffusionParams.parse({ model: 'builtin:tiny-lcm', width: SIZE, height: SIZE, t_index_list: [10, 30], negative_prompt: 'blurry', ...patch });

/** The loaded models with every UNet call and text encoder run recorded at the SdModels boundary. */
function recorded(models: SdModels) {
  const calls: UnetInputs[] = [];
  let encodes = 0;
  const wrapped = Object.create(models) as SdModels;
  wrapped.unet = (inputs) => {
    calls.push(inputs);
    return models.unet(inputs);
  };
  wrapped.encodeText = (ids, batch) => {
    encodes++;
    return models.encodeText(ids, batch);
  };
  return { wrapped, calls, encodes: () => encodes };
}

describe('an LCM UNet (builtin:tiny-lcm)', () => {
  let models: SdModels;
  before(async () => (models = await loadSdModels(resolveModelDir('builtin:tiny-lcm'), { width: SIZE, height: SIZE })));
  after(() => models.dispose());

  it('is detected from its timestep_cond input: SD 1.5 widths and pad', () => {
    const d = models.dialect;
    assert.deepEqual([d.family, d.timestepCondWidth, d.textWidth, d.padId], ['sd', 256, 768, 49407]);
  });

  it('cfg none/self/full/initialize at guidance 8.5 all run one pass of n slots with the guidance as timestep_cond', async () => {
    const pictures: Uint8Array[][] = [];
    for (const cfg_type of ['none', 'self', 'full', 'initialize'] as const) {
      const { wrapped, calls, encodes } = recorded(models);
      const sd = new StreamDiffusion(wrapped, { width: SIZE, height: SIZE });
      const out: Uint8Array[] = [];
      for (let k = 0; k < 3; k++) out.push((await sd.process([frame(k)], params({ cfg_type, guidance_scale: 8.5 })))[0]!.data.slice());
      pictures.push(out);
      assert.equal(calls.length, 3, cfg_type);
      for (const call of calls) {
        assert.deepEqual(Object.keys(call.conditioning).sort(), ['encoder_hidden_states', 'timestep_cond']);
        assert.equal(call.sample.dims[0], 2, `${cfg_type}: no negative slot`);
        assert.deepEqual(call.conditioning.timestep_cond!.dims, [2, 256]);
        for (const slot of [0, 1]) assertEmbedding(call.conditioning.timestep_cond!.data.subarray(slot * 256), AT_8_5, `${cfg_type} slot ${slot}`);
      }
      assert.equal(encodes(), 1, `${cfg_type}: the prompt only, no negative`);
    }
    for (const p of pictures.slice(1)) assert.deepEqual(p, pictures[0], 'every cfg type gives the cfg none pictures');
  });

  it('a guidance change re-embeds timestep_cond without re-encoding the prompt', async () => {
    const { wrapped, calls, encodes } = recorded(models);
    const sd = new StreamDiffusion(wrapped, { width: SIZE, height: SIZE });
    const [a] = await sd.process([frame(0)], params({ guidance_scale: 8.5 }));
    const [b] = await sd.process([frame(0)], params({ guidance_scale: 1.5 }));
    assertEmbedding(calls[1]!.conditioning.timestep_cond!.data, AT_1_5, 'after the change');
    assert.equal(encodes(), 1);
    assert.ok(a!.data.some((v, j) => v !== b!.data[j]), 'the guidance changes the picture');
  });
});
