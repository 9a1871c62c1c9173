import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSdliveError, type ErrorCode } from '../../src/errors.js';
import { loadSdModels } from '../../src/models/load.js';
import { GraphBuilder } from '../../src/models/onnx/graph-builder.js';
import type { Dim } from '../../src/models/onnx/model-proto.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import { NO_VULKAN_DRIVER } from '../helpers/requires.js';
import { arrayLogger, copyOfTiny, wave } from './helpers.js';

const expectError = (code: ErrorCode, pattern: RegExp) => (e: unknown) => {
  assert.ok(isSdliveError(e, code), `expected ${code}, got ${String(e)}`);
  assert.match(e.message, pattern);
  return true;
};

/** A UNet stand-in with chosen inputs: enough for dialect detection, which reads only metadata. */
function unetWith(inputs: [string, 'float32' | 'int64', Dim[]][], sampleShape: Dim[] = ['batch', 4, 'h', 'w']): Uint8Array {
  const g = new GraphBuilder('unet', 1);
  const sample = g.input('sample', 'float32', sampleShape);
  for (const [name, type, shape] of inputs) g.input(name, type, shape);
  g.output(g.op('Relu', [sample]), 'out_sample', 'float32', sampleShape);
  return g.toBytes(17);
}

const UNET_BASE: [string, 'float32' | 'int64', Dim[]][] = [['timestep', 'float32', ['batch']], ['encoder_hidden_states', 'float32', ['batch', 77, 1024]]];

/**
 * webgpu with no Vulkan driver, whatever this machine has (CI installs lavapipe): the loader's probe child and the
 * adapter check read VK_ICD_FILENAMES, so webgpu fails to start here as on a machine without a GPU driver.
 */
async function withoutVulkan<T>(run: () => Promise<T>): Promise<T> {
  const saved = process.env.VK_ICD_FILENAMES;
  process.env.VK_ICD_FILENAMES = NO_VULKAN_DRIVER.VK_ICD_FILENAMES;
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
    else process.env.VK_ICD_FILENAMES = saved;
  }
}

describe('execution providers', () => {
  it('tries webgpu, logs why it failed, ends on cpu', async () => {
    const { log, records } = arrayLogger();
    const started = Date.now();
    const m = await withoutVulkan(() => loadSdModels(resolveModelDir('builtin:tiny'), { providers: ['webgpu', 'cpu'], log }));
    await m.dispose();
    assert.equal(m.provider, 'cpu');
    const failed = records.find((r) => r.provider === 'webgpu' && r.level === 20);
    assert.ok(failed && typeof failed.reason === 'string' && failed.reason.length > 0, 'webgpu failure logged with its reason');
    assert.ok(records.some((r) => r.msg === 'execution provider: cpu'));
    assert.ok(Date.now() - started < 10_000);
  });

  it('skips providers this build lacks, naming the platform', async () => {
    const { log, records } = arrayLogger();
    const m = await loadSdModels(resolveModelDir('builtin:tiny'), { providers: ['coreml', 'dml', 'cpu'], log });
    await m.dispose();
    assert.equal(m.provider, 'cpu');
    const coreml = records.find((r) => r.provider === 'coreml');
    assert.match(String(coreml?.reason), new RegExp(`not in this onnxruntime-node build for ${process.platform}`));
  });

  it('cuda without its provider libraries says how to install them', async () => {
    const { log, records } = arrayLogger();
    const m = await loadSdModels(resolveModelDir('builtin:tiny'), { providers: ['cuda', 'cpu'], log });
    await m.dispose();
    if (m.provider === 'cuda') return;
    const cuda = records.find((r) => r.provider === 'cuda');
    assert.match(String(cuda?.reason), process.platform === 'linux' && process.arch === 'x64' ? /ONNXRUNTIME_NODE_INSTALL=cuda12/ : /not in this onnxruntime-node build/);
  });

  it('throws SDL_ERR_PROVIDER listing every failure when none starts', async () => {
    await assert.rejects(withoutVulkan(() => loadSdModels(resolveModelDir('builtin:tiny'), { providers: ['webgpu', 'coreml'] })), expectError('SDL_ERR_PROVIDER', /webgpu: .+; coreml: not in this/));
  });
});

describe('broken model folders', () => {
  it('a missing folder', async () => {
    await assert.rejects(loadSdModels('/nonexistent/model'), expectError('SDL_ERR_MODEL_LOAD', /\/nonexistent\/model does not exist/));
  });

  it('a missing unet names the file', async () => {
    const dir = copyOfTiny('sd-turbo');
    rmSync(join(dir, 'unet'), { recursive: true });
    await assert.rejects(loadSdModels(dir), expectError('SDL_ERR_MODEL_LOAD', /missing .*unet\/model\.onnx/));
  });

  it('corrupt onnx bytes name the file, after the working provider loaded the others', async () => {
    const dir = copyOfTiny('sd-turbo');
    writeFileSync(join(dir, 'vae_decoder/model.onnx'), Buffer.from('this is not a protobuf'));
    await assert.rejects(withoutVulkan(() => loadSdModels(dir, { providers: ['webgpu', 'cpu'] })), expectError('SDL_ERR_MODEL_LOAD', /cannot load .*vae_decoder\/model\.onnx with cpu: .*other providers: webgpu/));
  });

  it('malformed JSON beside the models names the file', async () => {
    const dir = copyOfTiny('sd-turbo');
    writeFileSync(join(dir, 'vae_decoder/config.json'), '{"scaling_factor": ');
    await assert.rejects(loadSdModels(dir), expectError('SDL_ERR_MODEL_LOAD', /vae_decoder\/config\.json is not valid JSON/));
    writeFileSync(join(dir, 'vae_decoder/config.json'), '{}');
    writeFileSync(join(dir, 'tokenizer/special_tokens_map.json'), 'nope');
    await assert.rejects(loadSdModels(dir), expectError('SDL_ERR_MODEL_LOAD', /tokenizer\/special_tokens_map\.json is not valid JSON/));
  });

  it('a missing tokenizer and a malformed sdlive.json', async () => {
    const dir = copyOfTiny('sd15');
    writeFileSync(join(dir, 'sdlive.json'), '{"vae_range":"sideways"}');
    await assert.rejects(loadSdModels(dir), expectError('SDL_ERR_MODEL_LOAD', /sdlive\.json: vae_range/));
    rmSync(join(dir, 'tokenizer/merges.txt'));
    await assert.rejects(loadSdModels(dir), expectError('SDL_ERR_MODEL_LOAD', /tokenizer.*neither tokenizer\.json nor vocab\.json \+ merges\.txt/));
  });
});

describe('dialects the loader cannot serve', () => {
  const cases: [string, Uint8Array, RegExp, object?][] = [
    ['an SDXL UNet without text_encoder_2/', unetWith([...UNET_BASE, ['text_embeds', 'float32', ['batch', 1280]], ['time_ids', 'float32', ['batch', 6]]]), /unet\/model\.onnx: is an SDXL UNet .*needs text_encoder_2\/model\.onnx and tokenizer_2\//],
    ['a UNet input sdlive does not feed (an IP-Adapter image embedding)', unetWith([...UNET_BASE, ['image_embeds', 'float32', ['batch', 1024]]]), /input image_embeds is not supported/],
    ['ControlNet residual inputs without their down-block set', unetWith([...UNET_BASE, ['mid_block_additional_residual', 'float32', ['batch', 1280, 8, 8]]]), /residuals mid_block_additional_residual: expected down_block_\* ones and exactly one mid_block_\* one/],
    ['a UNet without encoder_hidden_states', unetWith([UNET_BASE[0]!]), /missing input\(s\) encoder_hidden_states/],
    ['a rank-2 timestep', unetWith([['timestep', 'float32', ['batch', 1]], UNET_BASE[1]!]), /timestep has rank 2/],
    ['a fixed 64x64 export asked for 768x512', unetWith(UNET_BASE, [1, 4, 64, 64]), /fixed to 64x64 .*768x512 needs 64x96/, { width: 768, height: 512 }],
    ['a text width mismatch', unetWith([UNET_BASE[0]!, ['encoder_hidden_states', 'float32', ['batch', 77, 768]]]), /768 wide but the text encoder gives 1024/],
  ];
  for (const [what, unet, pattern, opts] of cases) {
    it(what, async () => {
      const dir = copyOfTiny('sd-turbo');
      writeFileSync(join(dir, 'unet/model.onnx'), unet);
      await assert.rejects(loadSdModels(dir, opts), expectError('SDL_ERR_MODEL_DIALECT', pattern));
    });
  }

  it('a fixed-size batch-1 export with an int64 [1] timestep (ORT web style) runs slots one by one', async () => {
    const dir = copyOfTiny('sd-turbo');
    writeFileSync(join(dir, 'unet/model.onnx'), unetWith([['timestep', 'int64', [1]], ['encoder_hidden_states', 'float32', [1, 77, 1024]]], [1, 4, 64, 64]));
    const m = await loadSdModels(dir);
    try {
      assert.equal(m.dialect.batchedTimestep, false);
      const x = wave([2, 4, 64, 64]);
      const out = await m.unet({ sample: x, timestep: [999, 999], conditioning: { encoder_hidden_states: wave([2, 77, 1024]) } });
      assert.deepEqual(out.data, x.data.map((v) => Math.max(0, v)));
    } finally {
      await m.dispose();
    }
  });
});

describe('SdModels usage errors', () => {
  it('rejects mismatched batches and calls after dispose with SDL_ERR_PIPELINE', async () => {
    const m = await loadSdModels(resolveModelDir('builtin:tiny'), { width: 256, height: 256 });
    await assert.rejects(m.unet({ sample: wave([2, 4, 32, 32]), timestep: [999], conditioning: { encoder_hidden_states: wave([2, 77, 1024]) } }), expectError('SDL_ERR_PIPELINE', /batch 2 with 1 timesteps/));
    await assert.rejects(m.encodeText(new Int32Array(10), 1), expectError('SDL_ERR_PIPELINE', /10 ids for batch 1/));
    await m.dispose();
    await m.dispose();
    await assert.rejects(m.vaeDecode(wave([1, 4, 32, 32])), expectError('SDL_ERR_PIPELINE', /disposed/));
  });
});
