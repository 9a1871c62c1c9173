import { GraphBuilder } from '../../src/models/onnx/graph-builder.js';
import { createSession, sessionOptions } from '../../src/models/providers.js';

async function webgpuStarts(): Promise<string | false> {
  try {
    const g = new GraphBuilder('probe', 1);
    g.output(g.op('Relu', [g.input('x', 'float32', [1])]), 'y', 'float32', [1]);
    await (await createSession(g.toBytes(17), sessionOptions('webgpu'))).release();
    return false;
  } catch (e) {
    return `no webgpu adapter (${String(e).split('\n')[0]}); on Debian: apt-get install -t bookworm-backports mesa-vulkan-drivers`;
  }
}

/**
 * The `skip` of webgpu tests: they run wherever a webgpu adapter exists (CI installs lavapipe, a Vulkan driver on
 * the CPU); under CI=true they never skip: a missing adapter fails them instead of hiding the path.
 */
export const skipWithoutWebgpu = (): Promise<string | false> => (process.env.CI === 'true' ? Promise.resolve(false) : webgpuStarts());
