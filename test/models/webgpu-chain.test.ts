import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loadSdModels } from '../../src/models/load.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { assertSameRuns, bars, params, runCases, SIZE } from '../helpers/device-path.js';
import { skipWithoutWebgpu } from '../helpers/webgpu.js';

/**
 * The device path on webgpu (lavapipe here and in CI): latents, UNet output, stream state and embeddings stay in
 * GPU buffers; checked against the CPU provider's host path (the JS step) and by counting what crosses per frame.
 */
const skip = await skipWithoutWebgpu();

const loaded: StreamDiffusion[] = [];
after(async () => {
  for (const p of loaded) await p.dispose().catch(() => undefined);
});

async function pipelineOn(provider: 'cpu' | 'webgpu', model = 'builtin:tiny'): Promise<StreamDiffusion> {
  const models = await loadSdModels(resolveModelDir(model), { width: SIZE, height: SIZE, providers: [provider] });
  const pipeline = new StreamDiffusion(models, { width: SIZE, height: SIZE });
  loaded.push(pipeline);
  assert.equal(models.provider, provider);
  return pipeline;
}

const CASES = [
  { cfg_type: 'self', t_index_list: [20] },
  { cfg_type: 'self', t_index_list: [5, 20, 30, 45] },
  { cfg_type: 'initialize', t_index_list: [18, 35] },
  { cfg_type: 'full', t_index_list: [18, 35], use_denoising_batch: false, do_add_noise: false },
  { cfg_type: 'none', t_index_list: [10, 30], mode: 'txt2img' },
];

/**
 * Tolerance: the step graphs round after every float32 op and WGSL's kernels sum in their own order, against the JS
 * step's float64 arithmetic (measured on lavapipe: 3.3e-6 of the tensor's largest value, pixels max 1 level, mean
 * 1.6e-5). 1e-5 relative and one 8-bit level are orders of magnitude below a wrong slot or coefficient.
 */
test('builtin:tiny on webgpu through the device path gives the cpu host path\'s frames and stream state: self 1/4 slots, initialize, full sequential, txt2img', { skip, timeout: 300_000 }, async () => {
  const [webgpu, cpu] = [await pipelineOn('webgpu'), await pipelineOn('cpu')];
  assert.ok(webgpu.models.device && !cpu.models.device, 'the device path is on by default on webgpu only');
  const [d, h] = [await runCases(webgpu, CASES), await runCases(cpu, CASES)];
  assertSameRuns(d, h, (i) => `${JSON.stringify(CASES[Math.floor(i / 3)])} frame ${i % 3}`, 1e-5);
});

test('on webgpu a frame moves exactly the input frame up and the output frame down, plus one-byte finite flags (each step\'s and the image\'s)', { skip, timeout: 300_000 }, async () => {
  const webgpu = await pipelineOn('webgpu');
  const frame = SIZE * SIZE * 4;
  for (const patch of CASES.filter((c) => c.mode !== 'txt2img')) {
    const p = params(patch);
    const flags = (patch.use_denoising_batch === false ? patch.t_index_list.length : 1) + 1;
    // The first frames upload what changes rarely: the embeddings, the stream state, the per-slot coefficients.
    for (let k = 0; k < 2; k++) await webgpu.process([bars(k)], p);
    for (let k = 2; k < 4; k++) {
      const { transfers } = await webgpu.process([bars(k)], p);
      assert.deepEqual(transfers, { up: { tensors: 1, bytes: frame }, down: { tensors: 1 + flags, bytes: frame + flags } }, JSON.stringify(patch));
    }
  }
  const txt2img = params({ mode: 'txt2img', cfg_type: 'none', t_index_list: [10, 30] });
  await webgpu.process([bars(5)], txt2img);
  const { transfers } = await webgpu.process([bars(6)], txt2img);
  assert.deepEqual(transfers, { up: { tensors: 0, bytes: 0 }, down: { tensors: 3, bytes: frame + 2 } }, 'txt2img uploads nothing');
});

test('an export the device path does not serve (rank-0 timestep) runs the host path on webgpu: its GPU-resident outputs come down and the frames are cpu\'s', { skip, timeout: 300_000 }, async () => {
  const [webgpu, cpu] = [await pipelineOn('webgpu', 'builtin:tiny-optimum-current'), await pipelineOn('cpu', 'builtin:tiny-optimum-current')];
  assert.equal(webgpu.models.device, undefined);
  const cases = CASES.slice(1, 3);
  const [d, h] = [await runCases(webgpu, cases), await runCases(cpu, cases)];
  assertSameRuns(d, h, (i) => `${JSON.stringify(cases[Math.floor(i / 3)])} frame ${i % 3}`, 1e-5);
});
