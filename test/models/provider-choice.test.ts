import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../../src/models/onnx/graph-builder.js';
import { createSession, openSessions, providerConfig, sessionOptions } from '../../src/models/providers.js';
import { detectWebgpuAdapter, type AdapterKind, type WebgpuAdapter } from '../../src/models/webgpu-adapter.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { arrayLogger } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sdlive-providers-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const modelFile = join(dir, 'relu.onnx');
{
  const g = new GraphBuilder('relu', 1);
  g.output(g.op('Relu', [g.input('x', 'float32', [2])]), 'y', 'float32', [2]);
  writeFileSync(modelFile, g.toBytes(17));
}

const DEFAULT_ORDER = StreamDiffusionParams.parse({}).execution_providers;

/** A fake adapter at the detection boundary, counting how often it is asked. */
function fakeAdapter(kind: AdapterKind): { adapter: () => WebgpuAdapter; calls: () => number } {
  let calls = 0;
  return { adapter: () => (calls++, { kind, drivers: kind === 'cpu' ? ['libvulkan_lvp.so'] : ['libGLX_nvidia.so.0'] }), calls: () => calls };
}

const skipRecords = (records: { msg: string }[]) => records.filter((r) => /webgpu skipped: CPU-type adapter/.test(r.msg));

test('the default order skips webgpu on a CPU-type adapter, logs it once, and ends on cpu', async () => {
  const { log, records } = arrayLogger();
  const fake = fakeAdapter('cpu');
  const opened = await openSessions({ m: modelFile }, DEFAULT_ORDER, log, { webgpuAdapter: fake.adapter });
  await opened.sessions.m.release();
  assert.equal(opened.provider, 'cpu');
  assert.equal(skipRecords(records).length, 1);
  const chosen = records.find((r) => r.msg === 'execution provider: cpu') as { skipped?: string[] } | undefined;
  assert.ok(chosen?.skipped?.some((s) => /^webgpu: skipped: its adapter is a CPU rasteriser, not a GPU \(Vulkan drivers: libvulkan_lvp\.so\)/.test(s)), JSON.stringify(chosen));
});

test('webgpu listed first is asked for by name: a CPU-type adapter is not skipped (nor even looked up)', async () => {
  const { log, records } = arrayLogger();
  const fake = fakeAdapter('cpu');
  const opened = await openSessions({ m: modelFile }, ['webgpu', 'cpu'], log, { webgpuAdapter: fake.adapter });
  await opened.sessions.m.release();
  assert.equal(fake.calls(), 0);
  assert.deepEqual(skipRecords(records), []);
});

test('a GPU adapter is never skipped in the default order', async () => {
  const { log, records } = arrayLogger();
  const fake = fakeAdapter('gpu');
  const opened = await openSessions({ m: modelFile }, DEFAULT_ORDER, log, { webgpuAdapter: fake.adapter });
  await opened.sessions.m.release();
  assert.equal(fake.calls(), 1);
  assert.deepEqual(skipRecords(records), []);
});

/** ICD manifests as the Vulkan loader reads them, in a folder of their own. */
function icdFolder(name: string, libraries: string[]): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  libraries.forEach((lib, i) => writeFileSync(join(folder, `${i}.json`), JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: lib, api_version: '1.3.0' } })));
  writeFileSync(join(folder, 'notes.txt'), 'not a manifest');
  return folder;
}

test('adapter type from the Vulkan ICD manifests: lavapipe or SwiftShader alone is a CPU, a GPU driver with its device makes it a GPU', () => {
  const linux = (env: NodeJS.ProcessEnv, gpuDevice = true) => detectWebgpuAdapter({ HOME: dir, ...env }, 'linux', () => gpuDevice);
  const lavapipe = icdFolder('lvp', ['/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so']);
  assert.deepEqual(linux({ VK_ICD_FILENAMES: join(lavapipe, '0.json') }), { kind: 'cpu', drivers: ['libvulkan_lvp.so'] });
  assert.equal(linux({ VK_DRIVER_FILES: icdFolder('swiftshader', ['./libvk_swiftshader.so']) }).kind, 'cpu');
  const mixed = icdFolder('mixed', ['libvulkan_lvp.so', 'libGLX_nvidia.so.0']);
  assert.deepEqual(linux({ VK_ICD_FILENAMES: mixed }), { kind: 'gpu', drivers: ['libvulkan_lvp.so', 'libGLX_nvidia.so.0'] });
  // Mesa's package installs every driver (intel, radeon, lavapipe...): without a GPU device only lavapipe can run.
  const mesa = icdFolder('mesa', ['libvulkan_intel.so', 'libvulkan_radeon.so', 'libvulkan_lvp.so']);
  assert.deepEqual(linux({ VK_ICD_FILENAMES: mesa }, false), { kind: 'cpu', drivers: ['libvulkan_intel.so', 'libvulkan_radeon.so', 'libvulkan_lvp.so'], noGpuDevice: true });
  assert.equal(linux({ VK_ICD_FILENAMES: mesa }, true).kind, 'gpu');
  assert.equal(linux({ VK_ICD_FILENAMES: join(dir, 'absent') }).kind, 'none');
  // Without the override variables the loader's search path: XDG_DATA_DIRS/vulkan/icd.d among others.
  icdFolder(join('share', 'vulkan', 'icd.d'), ['libvulkan_radeon.so']);
  const none = join(dir, 'none');
  const searched = linux({ XDG_DATA_DIRS: join(dir, 'share'), XDG_CONFIG_DIRS: none, XDG_DATA_HOME: none, XDG_CONFIG_HOME: none });
  assert.ok(searched.drivers.includes('libvulkan_radeon.so'), JSON.stringify(searched));
  assert.equal(detectWebgpuAdapter({}, 'win32').kind, 'unknown');
});

test('provider options are built as onnxruntime-node parses them: deviceId for cuda/tensorrt/dml, preferredLayout for webgpu', () => {
  const options = { deviceId: 1, webgpuLayout: 'NHWC' as const };
  assert.deepEqual(providerConfig('cuda', options), { name: 'cuda', deviceId: 1 });
  assert.deepEqual(providerConfig('tensorrt', options), { name: 'tensorrt', deviceId: 1 });
  assert.deepEqual(providerConfig('dml', options), { name: 'dml', deviceId: 1 });
  assert.deepEqual(providerConfig('webgpu', options), { name: 'webgpu', preferredLayout: 'NHWC' });
  assert.equal(providerConfig('cpu', options), 'cpu');
  assert.equal(providerConfig('coreml', options), 'coreml');
  assert.equal(providerConfig('cuda'), 'cuda');
  assert.deepEqual(sessionOptions('webgpu', options).executionProviders, [{ name: 'webgpu', preferredLayout: 'NHWC' }]);
});

test('a real cpu session with every provider option set runs (cpu ignores them)', async () => {
  const session = await createSession(modelFile, sessionOptions('cpu', { deviceId: 3, webgpuLayout: 'NHWC' }));
  const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2), [2]) });
  await session.release();
  assert.deepEqual(Array.from(y!.data as Float32Array), [0, 2]);
});

test('device_id and webgpu_layout are load-time schema fields with the defaults onnxruntime uses', () => {
  const p = StreamDiffusionParams.parse({});
  assert.equal(p.device_id, 0);
  assert.equal(p.webgpu_layout, 'NCHW');
  assert.throws(() => StreamDiffusionParams.parse({ webgpu_layout: 'NWHC' }));
  assert.throws(() => StreamDiffusionParams.parse({ device_id: -1 }));
});
