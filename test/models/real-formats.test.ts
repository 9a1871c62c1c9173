import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { isSdliveError } from '../../src/errors.js';
import { createFrame, type Frame } from '../../src/io/frame.js';
import { silentLogger } from '../../src/log.js';
import { loadSdModels } from '../../src/models/load.js';
import { streamDiffusion } from '../../src/pipelines/streamdiffusion/index.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { runCli } from '../helpers/cli.js';
import { buildFormat } from './fixtures/build-format.js';
import { arrayLogger } from './helpers.js';
import { REAL_FORMATS, type ExpectedDialect, type RealFormat } from './fixtures/real-formats.js';

const FRAMES = 3;
const sizeOf = (row: RealFormat) => row.size ?? { width: 256, height: 256 };

function gradient(width: number, height: number, k: number): Frame {
  const f = createFrame(width, height, k);
  for (let p = 0; p < width * height; p++) f.data.set([(p * 7 + k * 40) % 256, (p >> 8) % 256, 200 - (p % width) / 4, 255], p * 4);
  return f;
}

async function inspect(dir: string, row: RealFormat) {
  const { width, height } = sizeOf(row);
  return runCli(['models', 'inspect', dir, '--json', '--width', String(width), '--height', String(height)], { timeoutMs: 120_000 });
}

/** The fixture really is in the row's layout: external weights beside the .onnx, the .onnx itself small. */
function assertLayout(dir: string, row: RealFormat): void {
  for (const file of Object.values(row.files)) assert.ok(existsSync(join(dir, file)), file);
  for (const [part, data] of Object.entries(row.externalData ?? {})) {
    const onnx = join(dir, row.files[part as keyof RealFormat['files']]!);
    const weights = join(dirname(onnx), data);
    assert.ok(statSync(weights).size > statSync(onnx).size, `${data} holds the weights of ${onnx}`);
  }
}

async function runsFrames(dir: string, row: RealFormat): Promise<void> {
  const { width, height } = sizeOf(row);
  const params = StreamDiffusionParams.parse({ model: dir, execution_providers: ['cpu'], width, height });
  const pipeline = await streamDiffusion.load(params, { log: silentLogger });
  try {
    for (let k = 0; k < FRAMES; k++) {
      const [frame] = await pipeline.process([gradient(width, height, k)], params);
      assert.ok(frame, `frame ${k}`);
      assert.deepEqual([frame.width, frame.height, frame.data.length], [width, height, width * height * 4]);
      assert.ok(new Set(frame.data.filter((_, i) => i % 4 === 0)).size > 1, `frame ${k} is a picture, not one flat colour`);
    }
  } finally {
    await pipeline.dispose();
  }
}

async function assertLoads(row: RealFormat, expected: ExpectedDialect): Promise<void> {
  const dir = buildFormat(row);
  assertLayout(dir, row);
  const r = await inspect(dir, row);
  assert.equal(r.code, 0, r.stderr);
  const { bosId, eosId, maxTokens, ...dialect } = (JSON.parse(r.stdout) as { dialect: ExpectedDialect & { bosId: number; eosId: number; maxTokens: number } }).dialect;
  assert.deepEqual([bosId, eosId, maxTokens], [49406, 49407, 77]);
  assert.deepEqual(dialect, expected);
  await runsFrames(dir, row);
}

async function assertRefused(row: RealFormat, code: string, names: readonly RegExp[]): Promise<void> {
  const dir = buildFormat(row);
  const r = await inspect(dir, row);
  assert.equal(r.code, 2, r.stdout);
  const line = r.stderr.split('\n').find((l) => l.startsWith('sdlive: ')) ?? '';
  assert.ok(line.startsWith(`sdlive: ${code}: `), r.stderr);
  for (const name of names) assert.match(line, name);
  await assert.rejects(loadSdModels(dir, { ...sizeOf(row), log: silentLogger }), (e) => isSdliveError(e) && e.code === code);
}

/** Today refused naming the input; once the sdxl slice serves it, it loads. Either answer, never a crash. */
async function assertServedOrRefused(row: RealFormat, input: string): Promise<void> {
  const dir = buildFormat(row);
  assertLayout(dir, row);
  try {
    await (await loadSdModels(dir, { ...sizeOf(row), log: silentLogger })).dispose();
  } catch (e) {
    assert.ok(isSdliveError(e) && e.code === 'SDL_ERR_MODEL_DIALECT', String(e));
    assert.match(e.message, new RegExp(input));
  }
}

describe('real export formats (fixtures built from shared/docs/real-models.md and onnxruntime-node.md)', () => {
  for (const row of REAL_FORMATS) {
    it(`${row.id}: ${row.repo}`, async () => {
      const { expect } = row;
      if ('loads' in expect) await assertLoads(row, expect.loads);
      else if ('refused' in expect) await assertRefused(row, expect.refused.code, expect.refused.names);
      else await assertServedOrRefused(row, expect.input);
    });
  }
});

it('inspect prints the static shapes of a WebNN export', async () => {
  const row = REAL_FORMATS.find((r) => r.id === 'webnn+taesd-encoder')!;
  const r = await runCli(['models', 'inspect', buildFormat(row)], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^static shapes\s+unet batch fixed to 1 \(slots run in groups of 1\); 512x512 only$/m);
  assert.match(r.stdout, /^unet timestep\s+float16 \[batch\]; stream batch slot by slot$/m);
});

describe('static batches against a dynamic export with the same weights', () => {
  const rowOf = (id: string) => REAL_FORMATS.find((r) => r.id === id)!;
  const load = (id: string) => loadSdModels(buildFormat(rowOf(id)), { width: 256, height: 256, log: silentLogger });
  const wave = (dims: number[], phase: number) => ({ data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + phase)), dims });
  const maxDiff = (a: { data: Float32Array }, b: { data: Float32Array }) => a.data.reduce((m, v, i) => Math.max(m, Math.abs(v - b.data[i]!)), 0);

  it('a UNet fixed to batch 2 runs 3 slots as two calls (the last one padded) with the dynamic export\'s numbers', async () => {
    const [fixed, dynamic] = [await load('static-batch-2'), await load('ort-web')];
    try {
      const latents = wave([3, 4, 32, 32], 0);
      const embeddings = wave([3, 77, 1024], 1);
      const inputs = { sample: latents, timestep: [999, 500, 250], conditioning: { encoder_hidden_states: embeddings } };
      const out = await fixed.unet(inputs);
      assert.deepEqual(out.dims, [3, 4, 32, 32]);
      assert.ok(maxDiff(out, await dynamic.unet(inputs)) < 1e-5);
    } finally {
      await Promise.all([fixed.dispose(), dynamic.dispose()]);
    }
  });

  it('a text encoder fixed to batch 1 encodes two prompts one at a time', async () => {
    const [fixed, dynamic] = [await load('ort-web'), await load('static-batch-2')];
    try {
      const ids = Int32Array.from({ length: 2 * 77 }, (_, i) => (i % 77 === 0 ? 49406 : (i * 31) % 49000));
      const out = (await fixed.encodeText(ids, 2)).encoder_hidden_states;
      assert.deepEqual(out.dims, [2, 77, 1024]);
      assert.equal(maxDiff(out, (await dynamic.encodeText(ids, 2)).encoder_hidden_states), 0);
    } finally {
      await Promise.all([fixed.dispose(), dynamic.dispose()]);
    }
  });
});

describe('tokenizer files and external weights of a real layout', () => {
  const rowOf = (id: string) => REAL_FORMATS.find((r) => r.id === id)!;

  it('the pad id comes from the tokenizer files: special_tokens_map.json alone says "!" (0); none named pads with <|endoftext|> and warns', async () => {
    const dir = buildFormat(rowOf('ort-web'));
    rmSync(join(dir, 'tokenizer/tokenizer_config.json'));
    const fromMap = await loadSdModels(dir, { width: 256, height: 256, log: silentLogger });
    await fromMap.dispose();
    assert.equal(fromMap.dialect.padId, 0);
    rmSync(join(dir, 'tokenizer/special_tokens_map.json'));
    const { log, records } = arrayLogger();
    const bare = await loadSdModels(dir, { width: 256, height: 256, log });
    await bare.dispose();
    assert.equal(bare.dialect.padId, 49407, 'CLIPTokenizer\'s default, not a guess from the 1024 width');
    assert.equal(records.filter((r) => /names no known pad_token .*special_tokens_map\.json/.test(r.msg)).length, 1);
  });

  it('a missing weights.pb is refused naming it', async () => {
    const dir = buildFormat(rowOf('olive-fp16'));
    rmSync(join(dir, 'unet/weights.pb'));
    await assert.rejects(loadSdModels(dir, { width: 256, height: 256, log: silentLogger }), (e) =>
      isSdliveError(e) && e.code === 'SDL_ERR_MODEL_LOAD' && /unet\/model\.onnx keeps its weights in .*unet\/weights\.pb, which is missing: keep the \.onnx and its weights file side by side/.test(e.message));
  });
});
