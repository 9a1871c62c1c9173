import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { isSdliveError } from '../../src/errors.js';
import { ModelCatalogue } from '../../src/models/catalogue.js';
import { ControlNet, residualPorts } from '../../src/models/controlnet.js';
import { builtinControlNets, CONTROLNET_CHOICES, controlNetChoices, manifestControlNets, tinyControlNetDir } from '../../src/models/controlnet-catalogue.js';
import { HubCache } from '../../src/models/hub/cache.js';
import { loadSdModels } from '../../src/models/load.js';
import { resolveModelDir } from '../../src/models/resolve.js';
import type { SdModels } from '../../src/models/sd-models.js';
import { loadControlNets } from '../../src/pipelines/streamdiffusion/controlnet-load.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { paramSpecs } from '../../src/schema/param-spec.js';
import { controlNetGraph } from '../../src/models/tiny/controlnet-nets.js';
import { OPSET, tinyNetIo } from '../../src/models/tiny/nets.js';
import { TINY_VARIANTS } from '../../src/models/tiny/variants.js';
import { maxAbsDiff, wave } from './helpers.js';

const meta = (name: string, shape: (number | string)[] = ['batch', 320, 'h', 'w']): InferenceSession.ValueMetadata =>
  ({ name, isTensor: true, type: 'float32', shape }) as InferenceSession.ValueMetadata;

const shuffled = <T>(list: T[]): T[] => list.map((v, i) => ({ v, k: (i * 7) % list.length })).sort((a, b) => a.k - b.k).map(({ v }) => v);

test('residual inputs are found by pattern, whatever the exporter calls them, and ordered by block index', () => {
  const styles: [(i: number) => string, string][] = [
    [(i) => `down_block_additional_residual_${i}`, 'mid_block_additional_residual'],
    [(i) => `down_block_${i}_additional_residual`, 'mid_block_additional_residual'],
    [(i) => `down_block_res_samples_${i}`, 'mid_block_res_sample'],
  ];
  for (const [down, mid] of styles) {
    const list = shuffled([meta('sample'), meta('timestep', ['batch']), ...Array.from({ length: 12 }, (_, i) => meta(down(i))), meta(mid)]);
    const ports = residualPorts('unet/model.onnx', list);
    assert.deepEqual(ports?.down.map((p) => p.name), Array.from({ length: 12 }, (_, i) => down(i)));
    assert.equal(ports?.mid.name, mid);
  }
  assert.equal(residualPorts('unet/model.onnx', [meta('sample'), meta('encoder_hidden_states')]), undefined);
});

test('residual inputs with a gap, without a mid block, or of the wrong rank are refused, naming them', () => {
  const down = (ids: number[]) => ids.map((i) => meta(`down_block_additional_residual_${i}`));
  const refused = (list: InferenceSession.ValueMetadata[], pattern: RegExp) =>
    assert.throws(() => residualPorts('unet/model.onnx', list), (e) => isSdliveError(e, 'SDL_ERR_MODEL_DIALECT') && pattern.test(e.message));
  refused([...down([0, 1, 3]), meta('mid_block_additional_residual')], /indices 0, 1, 3 are not consecutive/);
  refused(down([0, 1, 2]), /exactly one mid_block/);
  refused([...down([0]), meta('mid_block_additional_residual', ['batch', 1280])], /mid_block_additional_residual has rank 2/);
});

const models: SdModels[] = [];
after(async () => {
  for (const m of models) await m.dispose();
});

async function load(name: string): Promise<SdModels> {
  const m = await loadSdModels(resolveModelDir(name), { width: 256, height: 256 });
  models.push(m);
  return m;
}

test('a UNet with residual inputs loads (they used to be refused) and says how many it takes; others take none', async () => {
  assert.equal((await load('builtin:tiny-controlnet')).dialect.controlResiduals, 12);
  assert.equal((await load('builtin:tiny')).dialect.controlResiduals, undefined);
});

test('a ControlNet file is read from its session: residual outputs, with or without conditioning_scale', async () => {
  for (const [name, takesScale] of [['builtin:controlnet-tiny', true], ['builtin:controlnet-tiny-noscale', false]] as const) {
    const net = await ControlNet.load(name, tinyControlNetDir(name), 'cpu');
    assert.equal(net.takesScale, takesScale);
    assert.equal(net.residualCount, 12);
    await net.dispose();
  }
  await assert.rejects(ControlNet.load('unet', join(resolveModelDir('builtin:tiny-controlnet'), 'unet/model.onnx'), 'cpu', { field: 'controlnet_2' }),
    (e) => isSdliveError(e, 'SDL_ERR_MODEL_DIALECT') && e.field === 'controlnet_2' && /missing input\(s\) controlnet_cond/.test(e.message));
});

const params = (patch: Record<string, unknown>) => StreamDiffusionParams.parse({ execution_providers: ['cpu'], ...patch });

test('a ControlNet on a UNet without residual inputs, or of another family, is refused naming the slot', async () => {
  await assert.rejects(loadControlNets(params({ controlnet_1: 'builtin:controlnet-tiny' }), await load('builtin:tiny')),
    (e) => isSdliveError(e, 'SDL_ERR_MODEL_DIALECT') && e.field === 'controlnet_1' && /takes no ControlNet residuals/.test(e.message));
  const nine = { ...(await load('builtin:tiny-controlnet')) } as SdModels;
  Object.assign(nine, { dialect: { ...nine.dialect, controlResiduals: 9 } });
  await assert.rejects(loadControlNets(params({ controlnet_3: 'builtin:controlnet-tiny' }), nine),
    (e) => isSdliveError(e, 'SDL_ERR_MODEL_DIALECT') && e.field === 'controlnet_3' && /gives 12 down residuals, the UNet takes 9/.test(e.message));
  Object.assign(nine, { dialect: { ...nine.dialect, controlResiduals: 12, textWidth: 1024 } });
  await assert.rejects(loadControlNets(params({ controlnet_1: 'builtin:controlnet-tiny' }), nine),
    (e) => isSdliveError(e, 'SDL_ERR_MODEL_DIALECT') && e.field === 'controlnet_1' && /takes 768-wide text embeddings, the model gives 1024/.test(e.message));
  await assert.rejects(loadControlNets(params({ controlnet_2: './no/such/controlnet' }), await load('builtin:tiny-controlnet')),
    (e) => isSdliveError(e, 'SDL_ERR_MODEL_LOAD') && e.field === 'controlnet_2');
});

test('ControlNet slots are parameters: the model a load one limited to known names, scale/enabled/source runtime ones', () => {
  const specs = new Map(paramSpecs(StreamDiffusionParams).map((s) => [s.key, s]));
  for (const n of [1, 2, 3]) {
    assert.equal(specs.get(`controlnet_${n}`)?.phase, 'load');
    assert.equal(specs.get(`controlnet_${n}`)?.remoteChoices, CONTROLNET_CHOICES);
    assert.deepEqual(['scale', 'enabled', 'source'].map((k) => specs.get(`controlnet_${n}_${k}`)?.phase), ['runtime', 'runtime', 'runtime']);
  }
  assert.deepEqual(specs.get('controlnet_1_source')?.values, ['control_input', 'canny', 'input']);
  const store = new ParameterStore(StreamDiffusionParams, {}, { [CONTROLNET_CHOICES]: controlNetChoices(new ModelCatalogue([builtinControlNets])) });
  const set = (patch: Record<string, unknown>) => store.update(patch, 'osc');
  assert.equal(set({ controlnet_1: 'no-such-controlnet' }).ok, false);
  const changes: boolean[] = [];
  store.on('change', (c: { reload: boolean }) => changes.push(c.reload));
  assert.equal(set({ controlnet_1: 'builtin:controlnet-tiny' }).ok, true);
  assert.equal(set({ controlnet_1_scale: 0.4, controlnet_1_source: 'canny' }).ok, true);
  assert.equal(set({ controlnet_1: 'none' }).ok, true);
  assert.deepEqual(changes, [true, false, true], 'a model change reloads, a scale or source change does not');
});

test('a manifest with a controlnet part is a known ControlNet once its files are in the hub cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdlive-cn-'));
  writeFileSync(join(dir, 'cn.json'), JSON.stringify({
    name: 'cn-canny', source: 'x', export: 'x', params: {}, parts: { controlnet: { repo: 'owner/controlnets', folder: 'canny', files: ['model.onnx'] } },
  }));
  const catalogue = new ModelCatalogue([manifestControlNets(dir, new HubCache(join(dir, 'hub')))]);
  assert.deepEqual(catalogue.names(), ['cn-canny']);
  assert.match(catalogue.refusal('cn-canny') ?? '', /not fetched yet/);
});

test('a static-batch ControlNet export (batch 2) runs 3 slots as 2 + 1 padded and gives what the dynamic one gives', async () => {
  const io = tinyNetIo(TINY_VARIANTS.controlnet);
  const fixed = { ...io, unetSample: { ...io.unetSample, shape: [2, 4, 'h', 'w'] }, unetTimestep: { ...io.unetTimestep, shape: [2] } };
  const file = join(mkdtempSync(join(tmpdir(), 'sdlive-cn-static-')), 'model.onnx');
  writeFileSync(file, controlNetGraph(fixed, { scaleInput: true }).toBytes(OPSET));
  const [dynamic, statik] = [await ControlNet.load('dynamic', tinyControlNetDir('builtin:controlnet-tiny'), 'cpu'), await ControlNet.load('static', file, 'cpu')];
  const inputs = { sample: wave([3, 4, 8, 8]), timestep: [999, 599, 99], encoderHiddenStates: wave([3, 77, 768], 1), image: wave([3, 3, 64, 64], 2), scale: 0.8 };
  const [a, b] = [await dynamic.run(inputs), await statik.run(inputs)];
  [...a.down, a.mid].forEach((t, k) => {
    const other = [...b.down, b.mid][k]!;
    assert.deepEqual(other.dims, t.dims);
    assert.ok(maxAbsDiff(t, other) < 1e-5, `residual ${k}`);
  });
  await dynamic.dispose();
  await statik.dispose();
});
