import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as ort from 'onnxruntime-node';
import { isSdliveError } from '../../src/errors.js';
import { f16ToF32, f32ToF16 } from '../../src/models/fp16.js';
import { FUSED_KEPT, fuseLoras } from '../../src/models/lora/fuse.js';
import { sgmToDiffusers } from '../../src/models/lora/sgm-names.js';
import { readWeightGraph } from '../../src/models/onnx/model-reader.js';
import { ProtoWriter } from '../../src/models/onnx/proto-writer.js';
import { captureLog } from '../helpers/log-lines.js';
import { exactValues, ExportStyleGraph, MODEL_FILE, MODULES, writeExportStyleModels, writeSafetensors, type KnownWeight, type SafeDtype } from './fixtures/lora-fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'sdlive-lora-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Pair {
  key: string;
  down: string;
  up: string;
  alpha?: number;
  rank: number;
  out: number;
  inputs: number;
  /** Extra dims of the down weight (a conv's [cin, kh, kw]); default [inputs]. */
  downShape?: number[];
  dtype?: SafeDtype;
}

/** One LoRA file from pairs; returns each pair's up and down as written, for the expectation. */
function writeLora(file: string, pairs: Pair[], seed: number) {
  const tensors: Parameters<typeof writeSafetensors>[1] = {};
  const made = pairs.map((p, k) => {
    const down = exactValues(p.rank * p.inputs, seed + 2 * k);
    const up = exactValues(p.out * p.rank, seed + 2 * k + 1);
    const dtype = p.dtype ?? 'F32';
    tensors[`${p.key}${p.down}`] = { dtype, shape: [p.rank, ...(p.downShape ?? [p.inputs])], data: down };
    tensors[`${p.key}${p.up}`] = { dtype, shape: p.downShape ? [p.out, p.rank, 1, 1] : [p.out, p.rank], data: up };
    if (p.alpha !== undefined) tensors[`${p.key}.alpha`] = { dtype: 'F32', shape: [], data: Float32Array.of(p.alpha) };
    return { ...p, upData: up, downData: down };
  });
  writeSafetensors(file, tensors);
  return made;
}

const KOHYA = { down: '.lora_down.weight', up: '.lora_up.weight' };
const LORA_AB = { down: '.lora_A.weight', up: '.lora_B.weight' };
const OLD_DIFFUSERS = { down: '.lora.down.weight', up: '.lora.up.weight' };
const kohya = (prefix: string, module: string) => `${prefix}_${module.replace(/[./]/g, '_')}`;

/** The three LoRA files of the test, one per naming scheme, and what each adds where (by role:initializer). */
function writeLoras(dir: string, weights: KnownWeight[]) {
  const find = (role: KnownWeight['role'], module: string) => weights.find((w) => w.role === role && w.module === module)!;
  const pair = (role: KnownWeight['role'], module: string, key: string, names: { down: string; up: string }, rank: number, extra: Partial<Pair> = {}) => {
    const w = find(role, module);
    return { target: w, pair: { key, ...names, rank, out: w.out, inputs: w.inputs, ...extra } };
  };
  const files = [
    {
      name: 'kohya', scale: 0.8, seed: 10, pairs: [
        pair('unet', MODULES.toQ, kohya('lora_unet', MODULES.toQ), KOHYA, 2, { alpha: 1, dtype: 'F16' }),
        pair('unet', MODULES.conv, kohya('lora_unet', MODULES.conv), KOHYA, 2, { alpha: 4, downShape: [3, 3, 3] }),
        pair('text', MODULES.q, kohya('lora_te1', MODULES.q), KOHYA, 1, { dtype: 'BF16' }),
        pair('text2', MODULES.q, kohya('lora_te2', MODULES.q), KOHYA, 2, { alpha: 2 }),
      ],
    },
    {
      name: 'diffusers', scale: 1.5, seed: 20, pairs: [
        pair('unet', MODULES.time, `unet.${MODULES.time.replaceAll('/', '.')}`, LORA_AB, 3),
        pair('unet', MODULES.ff, `unet.${MODULES.ff.replaceAll('/', '.')}`, OLD_DIFFUSERS, 2),
        pair('text', MODULES.q, `text_encoder.${MODULES.q.replaceAll('/', '.')}`, LORA_AB, 1),
      ],
    },
    {
      name: 'peft', scale: -0.5, seed: 30, pairs: [pair('unet', MODULES.toQ, `base_model.model.${MODULES.toQ.replaceAll('/', '.')}`, LORA_AB, 2)],
    },
  ];
  const additions = new Map<KnownWeight, { up: Float32Array; down: Float32Array; rank: number; factor: number }[]>();
  const specs = files.map((f) => {
    const file = join(dir, `${f.name}.safetensors`);
    const made = writeLora(file, f.pairs.map((p) => p.pair), f.seed);
    made.forEach((m, k) => {
      const target = f.pairs[k]!.target;
      additions.set(target, [...(additions.get(target) ?? []), { up: m.upData, down: m.downData, rank: m.rank, factor: (f.scale * (m.alpha ?? m.rank)) / m.rank }]);
    });
    return { name: f.name, file, scale: f.scale };
  });
  return { specs, additions };
}

/** W + sum of factor * up @ down, computed here from the raw arrays, in float64. */
function expected(w: KnownWeight, adds: readonly { up: Float32Array; down: Float32Array; rank: number; factor: number }[] = []): Float64Array {
  const e = Float64Array.from(w.w);
  for (const a of adds) {
    for (let o = 0; o < w.out; o++) {
      for (let i = 0; i < w.inputs; i++) {
        let sum = 0;
        for (let r = 0; r < a.rank; r++) sum += a.up[o * a.rank + r]! * a.down[r * w.inputs + i]!;
        e[o * w.inputs + i]! += a.factor * sum;
      }
    }
  }
  return e;
}

/** W [out, in] as the fused folder holds it: raw bytes found by initializer name, inline or in external data. */
function fusedWeight(folder: string, w: KnownWeight): Float32Array {
  const model = join(folder, MODEL_FILE[w.role]);
  const init = readWeightGraph(readFileSync(model)).initializers.find((t) => t.name === w.initializer)!;
  const { file, offset, length } = init.bytes!;
  const bytes = readFileSync(file ? join(dirname(model), file) : model).subarray(offset, offset + length);
  const copy = new Uint8Array(bytes).buffer;
  const values = init.dataType === 10 ? f16ToF32(new Uint16Array(copy)) : new Float32Array(copy);
  if (w.stored === 'out_in') return values;
  return Float32Array.from({ length: values.length }, (_, k) => values[(k % w.inputs) * w.out + Math.floor(k / w.inputs)]!);
}

function assertClose(actual: ArrayLike<number>, want: ArrayLike<number>, tolerance: (v: number) => number, what: string): void {
  assert.equal(actual.length, want.length, what);
  for (let k = 0; k < want.length; k++) {
    const diff = Math.abs(actual[k]! - want[k]!);
    assert.ok(diff <= tolerance(want[k]!), `${what}[${k}]: ${actual[k]} != ${want[k]}`);
  }
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('LoRA fusing into export-style ONNX models', () => {
  const base = join(root, 'fp32');
  const weights = writeExportStyleModels(base);
  const { specs, additions } = writeLoras(join(root, 'loras-fp32'), weights);
  const cacheDir = join(root, 'cache');
  const first = fuseLoras(base, specs, { cacheDir });

  it('Kohya, diffusers and PEFT files fuse to W + scale*(alpha/rank)*up@down on MatMul (W^T), Gemm, Transpose-fed and Conv weights, both text encoders', async () => {
    const fused = await first;
    assert.deepEqual(fused.reports.map((r) => [r.lora, r.applied, r.unmatched]), [['kohya', 4, 0], ['diffusers', 3, 0], ['peft', 1, 0]]);
    for (const w of weights) {
      assertClose(fusedWeight(fused.folder, w), expected(w, additions.get(w)), () => 1e-5, `${w.role} ${w.initializer}`);
    }
    const untouched = weights.find((w) => !additions.has(w))!;
    assert.deepEqual(fusedWeight(fused.folder, untouched), untouched.w, 'a layer no LoRA names keeps its bytes');
  });

  it('onnxruntime on the fused files computes x @ W\'^T: the transposed storage is handled (identity probe)', async () => {
    const fused = await first;
    const session = await ort.InferenceSession.create(join(fused.folder, MODEL_FILE.unet));
    // Every layer is its own input: the others get zeros.
    const zeros = Object.fromEntries(session.inputMetadata.map((m) => {
      const dims = m.isTensor ? m.shape.map((d) => (typeof d === 'number' ? d : 1)) : [];
      return [m.name, new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims)];
    }));
    try {
      for (const w of weights.filter((k) => k.role === 'unet' && k.module !== MODULES.conv)) {
        const { module } = w;
        const eye = Float32Array.from({ length: w.inputs * w.inputs }, (_, k) => (k % (w.inputs + 1) === 0 ? 1 : 0));
        const out = await session.run({ ...zeros, [`${module}_in`]: new ort.Tensor('float32', eye, [w.inputs, w.inputs]) }, [`${module}_out`]);
        const y = out[`${module}_out`]!.data as Float32Array;
        const want = expected(w, additions.get(w));
        // y[i][o] = W'[o][i]
        assertClose(Float32Array.from({ length: want.length }, (_, k) => y[(k % w.inputs) * w.out + Math.floor(k / w.inputs)]!), want, () => 1e-5, module);
      }
    } finally {
      await session.release();
    }
  });

  it('a second load of the same base, files and scales takes the cached folder (no rebuild); another scale builds another', async () => {
    const fused = await first;
    const patched = join(fused.folder, MODEL_FILE.unet);
    const mtime = statSync(patched).mtimeMs;
    const { log, lines } = captureLog();
    const again = await fuseLoras(base, specs, { cacheDir, log });
    assert.equal(again.folder, fused.folder);
    assert.equal(again.cached, true);
    assert.equal(statSync(patched).mtimeMs, mtime, 'the fused file was not written again');
    assert.deepEqual(again.reports, fused.reports, 'the cache keeps the report');
    assert.ok(lines.some((l) => l.includes('taken from the cache')));
    const rescaled = await fuseLoras(base, specs.map((s, i) => (i === 0 ? { ...s, scale: 0.4 } : s)), { cacheDir });
    assert.equal(rescaled.cached, false);
    assert.notEqual(rescaled.folder, fused.folder);
    // The same files moved elsewhere are another base: the fused folder links to the files it was made from.
    const moved = join(root, 'fp32-moved');
    renameSync(base, moved);
    const other = await fuseLoras(moved, specs, { cacheDir });
    assert.deepEqual([other.cached, other.folder === fused.folder], [false, false]);
  });
});

describe('Kohya files in the original (SGM) UNet naming', () => {
  it('map to diffusers module names by the blocks\' layout (SDXL and SD 1.5 share it)', () => {
    const table: [string, string][] = [
      ['input_blocks_0_0', 'conv_in'],
      ['input_blocks_4_1_transformer_blocks_0_attn1_to_q', 'down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q'],
      ['input_blocks_5_0_emb_layers_1', 'down_blocks_1_resnets_1_time_emb_proj'],
      ['input_blocks_6_0_op', 'down_blocks_1_downsamplers_0_conv'],
      ['middle_block_1_proj_in', 'mid_block_attentions_0_proj_in'],
      ['middle_block_2_out_layers_3', 'mid_block_resnets_1_conv2'],
      ['output_blocks_0_0_skip_connection', 'up_blocks_0_resnets_0_conv_shortcut'],
      ['output_blocks_2_1_conv', 'up_blocks_0_upsamplers_0_conv'],
      ['output_blocks_3_1_transformer_blocks_1_attn2_to_k', 'up_blocks_1_attentions_0_transformer_blocks_1_attn2_to_k'],
      ['output_blocks_5_2_conv', 'up_blocks_1_upsamplers_0_conv'],
      ['time_embed_2', 'time_embedding_linear_2'],
      ['label_emb_0_0', 'add_embedding_linear_1'],
      ['out_2', 'conv_out'],
    ];
    assert.deepEqual(table.map(([sgm]) => [sgm, sgmToDiffusers(sgm)]), table);
    assert.equal(sgmToDiffusers('down_blocks_0_attentions_0_proj_in'), undefined, 'diffusers names stay as they are');
  });

  it('fuse into the export-style UNet like diffusers-named ones', async () => {
    const base = join(root, 'sgm');
    const weights = writeExportStyleModels(base);
    const w = (module: string) => weights.find((k) => k.role === 'unet' && k.module === module)!;
    const pairs: Pair[] = [
      { key: 'lora_unet_input_blocks_1_1_transformer_blocks_0_attn1_to_q', ...KOHYA, rank: 2, out: 6, inputs: 5 },
      { key: 'lora_unet_input_blocks_1_0_in_layers_2', ...KOHYA, rank: 1, out: 4, inputs: 27, downShape: [3, 3, 3] },
      { key: 'lora_unet_time_embed_0', ...KOHYA, rank: 2, out: 6, inputs: 4, alpha: 1 },
    ];
    const file = join(root, 'sgm.safetensors');
    const made = writeLora(file, pairs, 40);
    const fused = await fuseLoras(base, [{ name: 'sgm', file, scale: 1 }], { cacheDir: join(root, 'cache-sgm') });
    assert.deepEqual([fused.reports[0]!.applied, fused.reports[0]!.unmatched], [3, 0]);
    made.forEach((m, k) => {
      const target = w([MODULES.toQ, MODULES.conv, MODULES.time][k]!);
      const add = { up: m.upData, down: m.downData, rank: m.rank, factor: (m.alpha ?? m.rank) / m.rank };
      assertClose(fusedWeight(fused.folder, target), expected(target, [add]), () => 1e-5, m.key);
    });
  });
});

describe('an export of the original (SGM) UNet', () => {
  it('takes Kohya SGM keys by the names its nodes carry (/unet/input_blocks.4.1/...)', async () => {
    const base = join(root, 'sgm-export');
    mkdirSync(join(base, 'unet'), { recursive: true });
    const unet = new ExportStyleGraph('unet', 'unet', 'float32', 4000).matmul('unet/input_blocks.4.1/transformer_blocks.0/attn1/to_q', 5, 6);
    writeFileSync(join(base, MODEL_FILE.unet), unet.g.toBytes(17));
    const file = join(root, 'sgm-export.safetensors');
    const [m] = writeLora(file, [{ key: 'lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q', ...KOHYA, rank: 2, out: 6, inputs: 5 }], 70);
    const fused = await fuseLoras(base, [{ name: 'sgm', file, scale: 1 }], { cacheDir: join(root, 'cache-sgm-export') });
    assert.deepEqual([fused.reports[0]!.applied, fused.reports[0]!.unmatched], [1, 0]);
    const w = unet.weights[0]!;
    assertClose(fusedWeight(fused.folder, w), expected(w, [{ up: m!.upData, down: m!.downData, rank: 2, factor: 1 }]), () => 1e-5, 'to_q');
  });
});

describe('a float16 weight cast to float32 before its MatMul (mixed-precision exports)', () => {
  it('is found through the Cast and fused in float16', async () => {
    const base = join(root, 'cast');
    mkdirSync(join(base, 'unet'), { recursive: true });
    const unet = new ExportStyleGraph('unet', 'unet', 'float32', 5000).castMatmul(MODULES.toQ, 5, 6);
    writeFileSync(join(base, MODEL_FILE.unet), unet.g.toBytes(17));
    const file = join(root, 'cast.safetensors');
    const [m] = writeLora(file, [{ key: kohya('lora_unet', MODULES.toQ), ...KOHYA, rank: 2, out: 6, inputs: 5 }], 80);
    const fused = await fuseLoras(base, [{ name: 'cast', file, scale: 0.5 }], { cacheDir: join(root, 'cache-cast') });
    assert.equal(fused.reports[0]!.applied, 1);
    const w = unet.weights[0]!;
    const want = f16ToF32(f32ToF16(Float32Array.from(expected(w, [{ up: m!.upData, down: m!.downData, rank: 2, factor: 0.5 }]))));
    assertClose(fusedWeight(fused.folder, w), want, (v) => Math.max(Math.abs(v) * 2 ** -10, 2 ** -24), 'to_q');
  });
});

describe('the fused-model cache', () => {
  it(`keeps the ${FUSED_KEPT} most recently used folders: a scale sweep does not fill the disk, a folder in use is kept`, async () => {
    const base = join(root, 'sweep');
    const weights = writeExportStyleModels(base);
    const { specs } = writeLoras(join(root, 'loras-sweep'), weights);
    const cacheDir = join(root, 'cache-sweep');
    const fuse = (scale: number) => fuseLoras(base, [{ ...specs[0]!, scale }], { cacheDir });
    const first = await fuse(0.1);
    const later: string[] = [];
    for (const scale of [0.2, 0.3, 0.4]) {
      later.push((await fuse(scale)).folder);
      await sleep(20);
    }
    assert.equal((await fuse(0.1)).cached, true, 'a hit marks the folder used');
    const sixth = await fuse(0.5);
    const kept = readdirSync(cacheDir).map((name) => join(cacheDir, name)).sort();
    assert.deepEqual(kept, [first.folder, ...later.slice(1), sixth.folder].sort(), 'the least recently used (0.2) went');
  });
});

describe('LoRA fusing: float16 weights in external data', () => {
  it('fuses fp16 initializers in model.onnx_data in place, in fp16, and leaves the base folder untouched', async () => {
    const base = join(root, 'fp16');
    const weights = writeExportStyleModels(base, { dtype: 'float16', external: true });
    const { specs, additions } = writeLoras(join(root, 'loras-fp16'), weights);
    const data = join(base, 'unet/model.onnx_data');
    const before = [sha(data), sha(join(base, MODEL_FILE.unet))];
    const fused = await fuseLoras(base, specs, { cacheDir: join(root, 'cache16') });
    assert.deepEqual([sha(data), sha(join(base, MODEL_FILE.unet))], before, 'the base files are never written');
    assert.notEqual(sha(join(fused.folder, 'unet/model.onnx_data')), before[0]);
    for (const w of weights) {
      const want = f16ToF32(f32ToF16(Float32Array.from(expected(w, additions.get(w)))));
      // Rounded once from the float32 sum: within one fp16 step of the rounded expectation.
      assertClose(fusedWeight(fused.folder, w), want, (v) => Math.max(Math.abs(v) * 2 ** -10, 2 ** -24), `${w.role} ${w.initializer}`);
    }
  });
});

describe('LoRA fusing: external data without a length', () => {
  it('takes the length from the dims (the field is optional in onnx.proto)', async () => {
    const base = join(root, 'no-length');
    mkdirSync(join(base, 'unet'), { recursive: true });
    const w = exactValues(3 * 2, 77); // W^T [in 3, out 2]
    // A ModelProto by hand: MatMul(x, onnx::MatMul_1), the weight in weights.pb at offset 8 with no length entry.
    const model = new ProtoWriter().varint(1, 8).message(7, (g) => {
      g.message(1, (n) => n.string(1, 'x').string(1, 'onnx::MatMul_1').string(2, 'y').string(3, '/to_q/MatMul').string(4, 'MatMul'));
      g.message(5, (t) => {
        t.varint(1, 3).varint(1, 2).varint(2, 1).string(8, 'onnx::MatMul_1');
        for (const [k, v] of [['location', 'weights.pb'], ['offset', '8']]) t.message(13, (e) => e.string(1, k!).string(2, v!));
        t.varint(14, 1);
      });
    }).finish();
    writeFileSync(join(base, MODEL_FILE.unet), model);
    writeFileSync(join(base, 'unet/weights.pb'), Buffer.concat([Buffer.alloc(8), Buffer.from(w.buffer)]));
    const file = join(root, 'no-length.safetensors');
    const [m] = writeLora(file, [{ key: 'lora_unet_to_q', ...KOHYA, rank: 1, out: 2, inputs: 3 }], 60);
    const fused = await fuseLoras(base, [{ name: 'q', file, scale: 1 }], { cacheDir: join(root, 'cache-no-length') });
    assert.equal(fused.reports[0]!.applied, 1);
    const known: KnownWeight = { role: 'unet', module: 'to_q', initializer: 'onnx::MatMul_1', out: 2, inputs: 3, stored: 'in_out', w: Float32Array.from({ length: 6 }, (_, k) => w[(k % 3) * 2 + Math.floor(k / 3)]!) };
    const bytes = readFileSync(join(fused.folder, 'unet/weights.pb'));
    const stored = new Float32Array(new Uint8Array(bytes.subarray(8)).buffer);
    const want = expected(known, [{ up: m!.upData, down: m!.downData, rank: 1, factor: 1 }]);
    assertClose(Float32Array.from({ length: 6 }, (_, k) => stored[(k % 3) * 2 + Math.floor(k / 3)]!), want, () => 1e-6, 'W');
    assert.ok(bytes.subarray(0, 8).every((b) => b === 0), 'the bytes before the offset are untouched');
  });
});

describe('LoRA fusing: a base folder made of links', () => {
  it('follows linked folders and files (hub snapshots, assembled models): the fused folder has every file', async () => {
    const real = join(root, 'linked-real');
    const weights = writeExportStyleModels(real);
    const base = join(root, 'linked');
    mkdirSync(join(base, 'unet'), { recursive: true });
    symlinkSync(join(real, 'text_encoder'), join(base, 'text_encoder'));
    symlinkSync(join(real, 'text_encoder_2'), join(base, 'text_encoder_2'));
    symlinkSync(join(real, MODEL_FILE.unet), join(base, MODEL_FILE.unet));
    const { specs, additions } = writeLoras(join(root, 'loras-linked'), weights);
    const fused = await fuseLoras(base, specs, { cacheDir: join(root, 'cache-linked') });
    for (const w of weights) assertClose(fusedWeight(fused.folder, w), expected(w, additions.get(w)), () => 1e-5, `${w.role} ${w.initializer}`);
    assert.notEqual(sha(join(real, MODEL_FILE.text)), sha(join(fused.folder, MODEL_FILE.text)), 'the linked original was not written');
  });
});

describe('LoRA keys that change nothing', () => {
  it('are counted and the first few named, in the result and a log line', async () => {
    const base = join(root, 'unmatched');
    writeExportStyleModels(base);
    const file = join(root, 'odd.safetensors');
    const t = (shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    writeSafetensors(file, {
      [`${kohya('lora_unet', MODULES.toQ)}.lora_down.weight`]: t([2, 5]),
      [`${kohya('lora_unet', MODULES.toQ)}.lora_up.weight`]: t([6, 2]),
      'lora_unet_mid_block_attentions_0_proj_in.lora_down.weight': t([2, 5]),
      'lora_unet_mid_block_attentions_0_proj_in.lora_up.weight': t([6, 2]),
      [`${kohya('lora_unet', MODULES.toK)}.hada_w1_a`]: t([6, 2]),
      [`${kohya('lora_unet', MODULES.toK)}.lora_down.weight`]: t([2, 9]),
      [`${kohya('lora_unet', MODULES.toK)}.lora_up.weight`]: t([6, 2]),
    });
    const { log, lines } = captureLog();
    const fused = await fuseLoras(base, [{ name: 'odd', file, scale: 1 }], { cacheDir: join(root, 'cache-odd'), log });
    const [report] = fused.reports;
    assert.equal(report!.applied, 1);
    assert.equal(report!.unmatched, 5);
    const first = report!.firstUnmatched.join('\n');
    assert.match(first, /hada_w1_a \(not a LoRA key/);
    assert.match(first, /mid_block_attentions_0_proj_in\.lora_down\.weight \(no layer mid_block_attentions_0_proj_in/);
    assert.match(first, /to_k\.lora_down\.weight \(shape: up \[6,2\] x down \[2,9\]/);
    const line = lines.find((l) => l.includes('keys changed no weight'));
    assert.ok(line, 'one warning line');
    assert.match(JSON.parse(line).msg as string, /^LoRA odd: 5 of 7 keys changed no weight of the model \(first: /);
  });

  it('a file that is not safetensors is an SDL_ERR_LORA naming it', async () => {
    const base = join(root, 'bad');
    writeExportStyleModels(base);
    const file = join(base, MODEL_FILE.unet);
    await assert.rejects(fuseLoras(base, [{ name: 'bad', file, scale: 1 }], { cacheDir: join(root, 'cache-bad') }), (e) => isSdliveError(e, 'SDL_ERR_LORA') && e.field === 'lora' && e.message.includes('not a safetensors file'));
  });
});
