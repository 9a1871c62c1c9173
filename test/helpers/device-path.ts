import assert from 'node:assert/strict';
import type { StreamDiffusion } from '../../src/pipelines/streamdiffusion/pipeline.js';
import { StreamDiffusionParams } from '../../src/pipelines/streamdiffusion/schema.js';
import { barsFrame } from './bars.js';

/** The device path against the host path: the same frames through both, compared frame by frame (CPU and webgpu tests). */
export const SIZE = 64;

/**
 * Float32 rounding only: the graph rounds after every op, the JS step once per value (it computes in float64),
 * and the residual's factors reach ~1e2, so the bound is relative to the tensor's largest value (measured on the
 * CPU provider: 2.1e-6 over the whole tiny-model matrix; 5e-6 leaves headroom for other CPUs' kernels). A wrong
 * slot, coefficient or layout differs by whole units.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, relative = 5e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 0;
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    max = Math.max(max, Math.abs(actual[i]! - expected[i]!));
  }
  assert.ok(max <= relative * scale + 1e-6, `${what}: max difference ${max} (largest value ${scale})`);
}

export const bars = (k: number) => barsFrame(SIZE, k, 6);

export const params = (patch: Record<string, unknown>) => StreamDiffusionParams.parse({ model: 'builtin:tiny', execution_providers: ['cpu'], seed: 3, guidance_scale: 1.4, delta: 0.7, ...patch });

export interface Seen {
  pixels: Uint8Array;
  buffer: Float32Array;
  stock: Float32Array;
}

/** Each case from a fresh stream: three frames, the output pixels and the stream state after each. */
export async function runCases(pipeline: StreamDiffusion, cases: readonly Record<string, unknown>[]): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (const patch of cases) {
    pipeline.reset();
    for (let k = 0; k < 3; k++) {
      const [frame] = await pipeline.process([bars(k)], params(patch));
      const state = (await pipeline.inspectState())!;
      seen.push({ pixels: Uint8Array.from(frame!.data), buffer: Float32Array.from(state.latentBuffer.data), stock: Float32Array.from(state.stockNoise.data) });
    }
  }
  return seen;
}

export function assertSameRuns(device: Seen[], host: Seen[], what: (i: number) => string, relative?: number): void {
  assert.equal(device.length, host.length);
  host.forEach((h, i) => {
    assertClose(device[i]!.buffer, h.buffer, `${what(i)}: latent buffer`, relative);
    assertClose(device[i]!.stock, h.stock, `${what(i)}: stock noise`, relative);
    // x0 within float32 rounding turns a byte at a .5 boundary by one level, no more.
    const worst = h.pixels.reduce((m, v, j) => Math.max(m, Math.abs(v - device[i]!.pixels[j]!)), 0);
    assert.ok(worst <= 1, `${what(i)}: pixels differ by ${worst} levels`);
  });
}

