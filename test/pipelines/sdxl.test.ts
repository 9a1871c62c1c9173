import assert from 'node:assert/strict';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { isSdliveError } from '../../src/errors.js';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { loadSdModels } from '../../src/models/load.js';
import { GraphBuilder } from '../../src/models/onnx/graph-builder.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import type { SdModels, TensorF32, UnetInputs } from '../../src/models/sd-models.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { PromptEmbeddings } from '../../src/pipelines/streamdiffusion/prompt-embeddings.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { runCli } from '../helpers/cli.js';
import { copyOfTiny } from '../models/helpers.js';

const [W, H] = [320, 256];
const T = 77;
/** SDXL's widths: CLIP ViT-L 768 + OpenCLIP bigG 1280 side by side, pooled 1280. */
const [W1, W2] = [768, 1280];

/** BOS, tokens, EOS, then the pad id: each SDXL tokenizer pads with its own (CLIP-L EOS 49407, OpenCLIP "!" 0). */
function paddedIds(tokens: number[], pad: number): number[] {
  const ids = [49406, ...tokens, 49407];
  while (ids.length < T) ids.push(pad);
  return ids;
}

interface Expected {
  ehs: Float32Array;
  pooled: Float32Array;
  /** The same layout from the wrong outputs: the last hidden state of each encoder, and encoder 2 padded with EOS. */
  wrongLayer: Float32Array;
  wrongPad: Float32Array;
}

/** [T, a] and [T, b] rows side by side: [T, a + b]. */
function sideBySide(x: Float32Array, a: number, y: Float32Array, b: number): Float32Array {
  const out = new Float32Array(T * (a + b));
  for (let t = 0; t < T; t++) {
    out.set(x.subarray(t * a, (t + 1) * a), t * (a + b));
    out.set(y.subarray(t * b, (t + 1) * b), t * (a + b) + a);
  }
  return out;
}

const f32 = (v: ort.Tensor | undefined) => v!.data as Float32Array;

function recorded(models: SdModels) {
  const calls: UnetInputs[] = [];
  const wrapped = Object.create(models) as SdModels;
  wrapped.unet = (inputs) => {
    calls.push(inputs);
    return models.unet(inputs);
  };
  return { wrapped, calls };
}

function frame(k: number): Frame {
  const f = createFrame(W, H, k);
  for (let p = 0; p < W * H; p++) f.data.set([(p * 5 + k * 30) % 256, (p >> 7) % 256, 90, 255], p * 4);
  return f;
}

const params = (patch: Record<string, unknown> = {}) =>
  StreamDiffusionParams.parse({ model: 'builtin:tiny-sdxl', width: W, height: H, prompt: 'a red fox', negative_prompt: 'blurry', t_index_list: [10, 30], guidance_scale: 1.5, ...patch });

async function until(condition: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** An SDXL second encoder that outputs only hidden_states.31 and text_embeds, as webnn/sdxl-turbo's does. */
function trimmedSecondEncoder(): Uint8Array {
  const g = new GraphBuilder('text_encoder_2', 7);
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const rows = g.op('Gather', [g.random([512, W2], 1), g.op('Mod', [ids, g.constant([], BigInt64Array.of(512n))])], { axis: 0 });
  g.output(g.op('ReduceMean', [rows], { axes: [1], keepdims: 0 }), 'text_embeds', 'float32', ['batch_size', W2]);
  g.output(rows, 'hidden_states.31', 'float32', ['batch_size', 'sequence_length', W2]);
  return g.toBytes(17);
}

function assertRows(actual: TensorF32, expected: readonly Float32Array[], what: string): void {
  const len = expected[0]!.length;
  assert.equal(actual.dims[0], expected.length, `${what}: slots`);
  expected.forEach((row, i) => {
    const got = actual.data.subarray(i * len, (i + 1) * len);
    const worst = got.reduce((m, v, j) => Math.max(m, Math.abs(v - row[j]!)), 0);
    assert.ok(worst < 1e-6, `${what} slot ${i}: off by ${worst}`);
  });
}

describe('SDXL conditioning on builtin:tiny-sdxl', () => {
  const dir = resolveModelDir('builtin:tiny-sdxl');
  let models: SdModels;
  let te1: ort.InferenceSession;
  let te2: ort.InferenceSession;
  before(async () => {
    models = await loadSdModels(dir, { width: W, height: H });
    te1 = await ort.InferenceSession.create(join(dir, 'text_encoder/model.onnx'));
    te2 = await ort.InferenceSession.create(join(dir, 'text_encoder_2/model.onnx'));
  });
  after(async () => {
    await models.dispose();
    await te1.release();
    await te2.release();
  });

  /** Straight from the two encoder files: hidden_states.11 of encoder 1, hidden_states.31 and text_embeds of encoder 2. */
  async function expected(text: string): Promise<Expected> {
    const tokens = models.tokenize(text);
    const run1 = await te1.run({ input_ids: new ort.Tensor('int32', Int32Array.from(paddedIds(tokens, 49407)), [1, T]) });
    const run2 = async (pad: number) => te2.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(paddedIds(tokens, pad), BigInt), [1, T]) });
    const [right, eosPadded] = [await run2(0), await run2(49407)];
    return {
      ehs: sideBySide(f32(run1['hidden_states.11']), W1, f32(right['hidden_states.31']), W2),
      pooled: f32(right.text_embeds),
      wrongLayer: sideBySide(f32(run1.last_hidden_state), W1, f32(right.last_hidden_state), W2),
      wrongPad: sideBySide(f32(run1['hidden_states.11']), W1, f32(eosPadded['hidden_states.31']), W2),
    };
  }

  it('is detected from the files: two encoders, 2048 wide, CLIP-L padding on the first', () => {
    const d = models.dialect;
    assert.deepEqual([d.family, d.textWidth, d.padId, d.timestepCondWidth], ['sdxl', 2048, 49407, 0]);
  });

  it('encodeText: both penultimate hidden states side by side (768 then 1280), text_embeds from encoder 2', async () => {
    const e = await expected('a red fox');
    const c = await models.encodeText(Int32Array.from(paddedIds(models.tokenize('a red fox'), 49407)), 1);
    assert.deepEqual(Object.keys(c).sort(), ['encoder_hidden_states', 'text_embeds']);
    assert.deepEqual(c.encoder_hidden_states.dims, [1, T, 2048]);
    assert.deepEqual(c.text_embeds!.dims, [1, W2]);
    assertRows(c.encoder_hidden_states, [e.ehs], 'encoder_hidden_states');
    assertRows(c.text_embeds!, [e.pooled], 'text_embeds');
    const differs = (a: Float32Array, b: Float32Array) => a.some((v, j) => Math.abs(v - b[j]!) > 1e-3);
    assert.ok(differs(e.ehs, e.wrongLayer) && differs(e.ehs, e.wrongPad), 'the wrong layer or padding would be told apart');
  });

  const timeIds = Float32Array.of(H, W, 0, 0, H, W);
  const layouts = { none: 'cc', self: 'cc', full: 'uucc', initialize: 'ucc' } as const;
  for (const [cfg_type, layout] of Object.entries(layouts)) {
    it(`cfg ${cfg_type}: the UNet gets every entry laid out per slot as ${layout} (c = prompt, u = negative), time_ids per slot`, async () => {
      const [c, u] = [await expected('a red fox'), await expected('blurry')];
      const { wrapped, calls } = recorded(models);
      await new StreamDiffusion(wrapped, { width: W, height: H }).process([frame(0)], params({ cfg_type }));
      const { conditioning } = calls[0]!;
      assert.deepEqual(Object.keys(conditioning).sort(), ['encoder_hidden_states', 'text_embeds', 'time_ids']);
      const pick = (of: (e: Expected) => Float32Array) => [...layout].map((k) => of(k === 'c' ? c : u));
      assertRows(conditioning.encoder_hidden_states, pick((e) => e.ehs), 'encoder_hidden_states');
      assertRows(conditioning.text_embeds!, pick((e) => e.pooled), 'text_embeds');
      assertRows(conditioning.time_ids!, [...layout].map(() => timeIds), 'time_ids [orig h, w, crop top, left, target h, w]');
    });
  }

  it('sequential initialize: the negative slot on the first step only; an empty negative is zeros (force_zeros_for_empty_prompt)', async () => {
    const c = await expected('a red fox');
    const { wrapped, calls } = recorded(models);
    await new StreamDiffusion(wrapped, { width: W, height: H }).process([frame(0)], params({ cfg_type: 'initialize', negative_prompt: '', use_denoising_batch: false }));
    assert.deepEqual(calls.map((call) => call.sample.dims[0]), [2, 1]);
    assertRows(calls[0]!.conditioning.encoder_hidden_states, [new Float32Array(T * 2048), c.ehs], 'first step');
    assertRows(calls[0]!.conditioning.text_embeds!, [new Float32Array(W2), c.pooled], 'first step pooled');
    assertRows(calls[1]!.conditioning.encoder_hidden_states, [c.ehs], 'second step');
    assertRows(calls[1]!.conditioning.time_ids!, [timeIds], 'second step time_ids');
  });

  it('blending mixes every entry with the weights; emphasis weights the tokens, not the pooled embedding', async () => {
    const [a, b] = [await expected('a red fox'), await expected('a blue whale')];
    const { wrapped, calls } = recorded(models);
    const list = [{ text: 'a red fox', weight: 1 }, { text: 'a blue whale', weight: 3 }];
    await new StreamDiffusion(wrapped, { width: W, height: H }).process([frame(0)], params({ cfg_type: 'none', prompt: list }));
    const mix = (x: Float32Array, y: Float32Array) => x.map((v, j) => 0.25 * v + 0.75 * y[j]!);
    assertRows(calls[0]!.conditioning.text_embeds!, [mix(a.pooled, b.pooled), mix(a.pooled, b.pooled)], 'text_embeds');
    assertRows(calls[0]!.conditioning.encoder_hidden_states, [mix(a.ehs, b.ehs), mix(a.ehs, b.ehs)], 'encoder_hidden_states');
    const prompts = new PromptEmbeddings(models);
    const [plain, weighted] = [await prompts.encode('a red fox'), await prompts.encode('a (red:1.5) fox')];
    assert.deepEqual(weighted.text_embeds!.data, plain.text_embeds!.data);
    assert.ok(weighted.encoder_hidden_states.data.some((v, j) => v !== plain.encoder_hidden_states.data[j]));
  });

  it('a prompt change (two encoder runs) never stalls the frames: the old prompt is served until the new one is ready', async (t) => {
    const sd15 = await loadSdModels(resolveModelDir('builtin:tiny-sd15'), { width: W, height: H });
    const ids = Int32Array.from(paddedIds(models.tokenize('a red fox'), 49407));
    const cost = async (m: SdModels) => {
      await m.encodeText(ids, 1);
      const t0 = performance.now();
      for (let i = 0; i < 5; i++) await m.encodeText(ids, 1);
      return (performance.now() - t0) / 5;
    };
    const [xl, one] = [await cost(models), await cost(sd15)];
    await sd15.dispose();
    t.diagnostic(`prompt change on the CPU: tiny SDXL (two encoders) ${xl.toFixed(1)} ms, tiny SD 1.5 (one) ${one.toFixed(1)} ms`);

    let release: (() => void) | undefined;
    const { wrapped, calls } = recorded(models);
    wrapped.encodeText = async (i, b) => {
      if (release === undefined) await new Promise<void>((r) => (release = r));
      return models.encodeText(i, b);
    };
    const [fox, whale] = [await expected('a red fox'), await expected('a blue whale')];
    const sd = new StreamDiffusion(wrapped, { width: W, height: H, encodeWhileServing: true });
    const first = sd.process([frame(0)], params({ cfg_type: 'self' }));
    await until(() => release !== undefined);
    release!();
    await first;
    release = undefined;
    for (let k = 1; k < 4; k++) await sd.process([frame(k)], params({ cfg_type: 'self', prompt: 'a blue whale' }));
    assert.equal(calls.length, 4, 'every frame ran while the new prompt was being encoded');
    for (const call of calls) assertRows(call.conditioning.encoder_hidden_states, [fox.ehs, fox.ehs], 'the old prompt meanwhile');
    release!();
    await until(async () => {
      await sd.process([frame(9)], params({ cfg_type: 'self', prompt: 'a blue whale' }));
      return calls.at(-1)!.conditioning.encoder_hidden_states.data[0] === whale.ehs[0];
    });
    assertRows(calls.at(-1)!.conditioning.encoder_hidden_states, [whale.ehs, whale.ehs], 'the new prompt once encoded');
  });

  it('without encodeWhileServing a frame waits for its prompt', async () => {
    let release: (() => void) | undefined;
    const wrapped = Object.create(models) as SdModels;
    wrapped.encodeText = async (i, b) => {
      await new Promise<void>((r) => (release = r));
      return models.encodeText(i, b);
    };
    let settled = false;
    const done = new StreamDiffusion(wrapped, { width: W, height: H }).process([frame(0)], params({ cfg_type: 'none' })).then(() => (settled = true));
    await until(() => release !== undefined);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(settled, false, 'still waiting for the encoder');
    release!();
    await done;
  });

  it('an export that kept only the penultimate hidden state (webnn style) loads; text_encoder_2/ beside an SD UNet is refused', async () => {
    const copy = copyOfTiny('sdxl');
    writeFileSync(join(copy, 'text_encoder_2/model.onnx'), trimmedSecondEncoder());
    const trimmed = await loadSdModels(copy, { width: W, height: H });
    try {
      const ids = paddedIds(models.tokenize('a red fox'), 49407);
      const c = await trimmed.encodeText(Int32Array.from(ids), 1);
      const direct = await ort.InferenceSession.create(join(copy, 'text_encoder_2/model.onnx'));
      const out = await direct.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(paddedIds(models.tokenize('a red fox'), 0), BigInt), [1, T]) });
      await direct.release();
      const second = Float32Array.from({ length: T * W2 }, (_, k) => c.encoder_hidden_states.data[Math.floor(k / W2) * 2048 + W1 + (k % W2)]!);
      assert.deepEqual(second, f32(out['hidden_states.31']));
    } finally {
      await trimmed.dispose();
    }
    const mixed = copyOfTiny('sd-turbo');
    for (const folder of ['text_encoder_2', 'tokenizer_2']) cpSync(join(dir, folder), join(mixed, folder), { recursive: true });
    await assert.rejects(loadSdModels(mixed, { width: W, height: H }), (e) => isSdliveError(e, 'SDL_ERR_MODEL_DIALECT') && /text_encoder_2\/model\.onnx: is present but the UNet takes no text_embeds/.test(e.message));
  });

  it('tokenizer_2/ missing beside text_encoder_2/ is a load error naming it', async () => {
    const copy = copyOfTiny('sdxl');
    rmSync(join(copy, 'tokenizer_2'), { recursive: true });
    await assert.rejects(loadSdModels(copy, { width: W, height: H }), (e) => isSdliveError(e, 'SDL_ERR_MODEL_LOAD') && /tokenizer_2\//.test(e.message));
  });
});

it('sdlive models inspect names the family and the extra UNet inputs', async () => {
  const r = await runCli(['models', 'inspect', 'builtin:tiny-sdxl']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /family\s+SDXL \(two text encoders\); unet also takes text_embeds, time_ids/);
  assert.match(r.stdout, /-> \[B,77,2048\]/);
});
