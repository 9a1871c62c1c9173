import { z } from 'zod';
import { SdliveError } from '../../src/errors.js';
import type { Frame } from '../../src/io/frame.js';
import { param } from '../../src/schema/param.js';
import type { Pipeline, PipelineDefinition, ProcessResult } from '../../src/pipelines/pipeline.js';

/*
 * Test-only pipelines, loaded by the worker through EngineOptions.pipelineModule (never registered in src/).
 * `mode` drives failures from the test: 'ok', 'nan' (SDL_ERR_NONFINITE), 'throw', 'crash' (kills the worker),
 * 'hang' (a step that never returns). The fake "runs on" the first of its execution_providers, and every frame
 * fails there with a plain Error (as onnxruntime's run() throws) when that is `fail_provider`.
 */

const loadTime = <T extends z.ZodType>(t: T, key: string) => param(t, { label: key, group: 'Model', order: 0, phase: 'load', description: key });

export const FakeParams = z.strictObject({
  width: loadTime(z.int().default(64), 'width'),
  height: loadTime(z.int().default(64), 'height'),
  load_ms: loadTime(z.int().min(0).default(0), 'load_ms'),
  fail_load: loadTime(z.boolean().default(false), 'fail_load'),
  execution_providers: loadTime(z.array(z.string()).min(1).default(['cpu']), 'execution_providers'),
  fail_provider: z.string().default(''),
  gain: z.number().min(0).max(4).default(1),
  // A prompt and its weight: process() checks they come from the same snapshot (weight = text length).
  prompt: z.strictObject({ text: z.string(), weight: z.number() }).default({ text: 'a', weight: 1 }),
  block_ms: z.int().min(0).default(0),
  mode: z.enum(['ok', 'nan', 'throw', 'crash', 'hang']).default('ok'),
  fps_cap: z.number().default(0),
  paused: z.boolean().default(false),
});
export type FakeParams = z.output<typeof FakeParams>;

/** Blocks this thread synchronously, as an onnxruntime run() does. */
function blockFor(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function scaled(frame: Frame, gain: number, loadWidth: number, data: Uint8Array): Frame {
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : Math.min(255, Math.round(frame.data[i]! * gain));
  // The first pixel's red carries the loaded width / 4, so a test can tell which model produced a frame.
  data[0] = loadWidth / 4;
  return { ...frame, data };
}

export const fake: PipelineDefinition<typeof FakeParams> = {
  name: 'fake',
  description: 'Scales pixels by gain; blocks its thread for block_ms per frame; fails on demand.',
  schema: FakeParams,
  async load(params, ctx): Promise<Pipeline<FakeParams>> {
    // Output buffers from the engine when it offers them; a recycled one still holds an earlier frame (alpha 255).
    const take = (n: number) => ctx.outputBuffers?.take(n) ?? new Uint8Array(n);
    blockFor(params.load_ms);
    if (params.fail_load) throw new SdliveError('SDL_ERR_MODEL_LOAD', 'fake model refuses to load');
    // A host loaded straight with raw params (no schema defaults) runs on cpu.
    const provider = (params.execution_providers as readonly string[] | undefined)?.[0] ?? 'cpu';
    let resets = 0;
    return {
      provider,
      reset: () => void resets++,
      prepare: () => ({ width: params.width, height: params.height, batch: 1 }),
      async process(frames, p): Promise<ProcessResult> {
        if (p.prompt.weight !== p.prompt.text.length) throw new SdliveError('SDL_ERR_PIPELINE', 'torn parameter snapshot');
        if (p.mode === 'crash') process.exit(3);
        if (p.mode === 'hang') await new Promise(() => undefined);
        if (p.fail_provider === provider) throw new Error(`[WebGPU] Kernel "[Conv] /conv" failed on ${provider}`);
        if (p.mode === 'throw') throw new SdliveError('SDL_ERR_PIPELINE', 'injected inference error');
        if (p.mode === 'nan') throw new SdliveError('SDL_ERR_NONFINITE', 'unet output has NaN');
        const t0 = performance.now();
        blockFor(p.block_ms);
        let recycled = 0;
        const out: ProcessResult = frames.map((f) => {
          const data = take(f.data.length);
          recycled += data[3] === 255 ? 1 : 0;
          return scaled(f, p.gain, params.width, data);
        });
        out.stages = { unet: performance.now() - t0, decode: 0.5, recycled, resets };
        return out;
      },
      dispose: async () => {},
    };
  },
};

export const pipelines: Record<string, PipelineDefinition> = { fake: fake as PipelineDefinition };
export const FAKE_MODULE = import.meta.url;
