import { pipelineState } from '../app.js';
import type { EngineConfig } from '../config.js';
import { SdliveError } from '../errors.js';
import { OutputPool } from '../engine/output-pool.js';
import type { Logger } from '../log.js';
import { setSessionHook } from '../models/providers.js';
import type { Transfers } from '../models/sd-models.js';
import type { Pipeline, ProcessResult } from '../pipelines/pipeline.js';
import { BenchSource, machine, runEngineBench, type EngineTimings } from './engine.js';
import { replay, SessionRecorder, type RawTimings, type RecordedRun } from './raw-sessions.js';

/** One configuration of the matrix: the runtime parameters it sets over the configured ones. */
export interface BenchRowSpec {
  name: string;
  params: Record<string, unknown>;
}

/** The row that runs the parameters exactly as configured (--set, config file): nothing set over them. */
export const CONFIGURED_ROW = 'configured';

const img2img = (t_index_list: number[], cfg_type = 'none') => ({ mode: 'img2img', t_index_list, num_inference_steps: 50, cfg_type, guidance_scale: 1.2 });

/** StreamDiffusion's matrix (issue #10): Stream Batch of 1, 2 and 4 steps, txt2img 1 step, and the three cfg types. */
export const STREAMDIFFUSION_MATRIX: readonly BenchRowSpec[] = [
  { name: 'img2img-t1', params: img2img([32]) },
  { name: 'img2img-t2', params: img2img([32, 45]) },
  { name: 'img2img-t4', params: img2img([16, 24, 32, 45]) },
  { name: 'txt2img-t1', params: { ...img2img([0]), mode: 'txt2img' } },
  { name: 'img2img-t2-self', params: img2img([32, 45], 'self') },
  { name: 'img2img-t2-full', params: img2img([32, 45], 'full') },
];

/** The rows `--only` names (comma-separated), or the whole matrix; pipelines without one run as configured. */
export function benchRows(pipeline: string, only?: readonly string[]): BenchRowSpec[] {
  const matrix = pipeline === 'streamdiffusion' ? STREAMDIFFUSION_MATRIX : [];
  const known = [...matrix, { name: CONFIGURED_ROW, params: {} }];
  if (!only) return matrix.length ? [...matrix] : [known.at(-1)!];
  return only.map((name) => {
    const row = known.find((r) => r.name === name);
    if (!row) throw new SdliveError('SDL_ERR_CONFIG', `--only: no row "${name}" for ${pipeline} (rows: ${known.map((r) => r.name).join(', ')})`, 'only');
    return row;
  });
}

/** The UNet calls one frame made: how many, and the batch of the first (its 4-D input's first dimension). */
export interface UnetCalls {
  calls: number;
  batch: number;
}

/** The same frame's onnxruntime runs replayed on the same sessions with nothing around them. */
export interface RawReport extends RawTimings {
  provider: string | null;
  /** Runs per frame, each with its session and input shapes. */
  runs: { session: string; inputs: Record<string, readonly number[]> }[];
}

export interface BenchRow extends EngineTimings {
  name: string;
  params: Record<string, unknown>;
  provider: string | null;
  unet: UnetCalls | null;
  /** The pipeline's per-frame host<->device transfer record (ProcessResult.transfers), when it reports one. */
  transfers: Transfers | null;
  raw: RawReport | null;
  /** Engine frame median / raw onnxruntime frame median: how many times the bare sessions' time a frame takes. */
  overRaw: number | null;
}

export interface BenchReport {
  pipeline: string;
  model: unknown;
  width: number;
  height: number;
  frames: number;
  warmup: number;
  machine: ReturnType<typeof machine>;
  rows: BenchRow[];
}

export interface BenchOptions {
  frames: number;
  warmup: number;
  only?: readonly string[];
}

/** Frames the in-process copy runs before the recorded one: past Stream Batch's warm-up (3 frames at 4 steps) and any prompt encode. */
const CAPTURE_LEAD = 5;

function withParams(config: EngineConfig, params: Record<string, unknown>): EngineConfig {
  return { ...config, params: { ...config.params, ...params } };
}

function unetCalls(runs: readonly RecordedRun[]): UnetCalls | null {
  const unet = runs.filter((r) => r.session === 'unet');
  const sample = unet[0] && Object.values(unet[0].inputs).find((dims) => dims.length === 4);
  return sample ? { calls: unet.length, batch: sample[0]! } : null;
}

/**
 * A second copy of the pipeline, loaded in this thread with every session wrapped by a SessionRecorder: it runs
 * each row's parameters, records one steady frame's session runs and replays them (the raw onnxruntime figure).
 */
class RawCapture {
  private constructor(
    private readonly recorder: SessionRecorder,
    private readonly pipeline: Pipeline<unknown>,
    private readonly source: BenchSource,
    private readonly outputs: OutputPool,
  ) {}

  static async open(config: EngineConfig, log: Logger): Promise<RawCapture> {
    const { definition, store, width, height } = pipelineState(config);
    const recorder = new SessionRecorder();
    // Output frames go into reused buffers, as in the inference worker: no fresh megabyte per replayed run.
    const outputs = new OutputPool();
    setSessionHook(recorder.hook);
    try {
      return new RawCapture(recorder, await definition.load(store.snapshot, { log, outputBuffers: outputs }), new BenchSource(width, height), outputs);
    } finally {
      setSessionHook(undefined);
    }
  }

  async measure(config: EngineConfig, { frames, warmup }: BenchOptions): Promise<Pick<BenchRow, 'unet' | 'transfers' | 'raw'>> {
    const params = pipelineState(config).store.snapshot;
    const pipeline = this.pipeline;
    for (let i = 0; i < CAPTURE_LEAD; i++) await this.frame(params);
    this.recorder.runs.length = 0;
    this.recorder.recording = true;
    const result = await this.frame(params).finally(() => (this.recorder.recording = false));
    const runs = [...this.recorder.runs];
    const transfers = result.transfers ?? null;
    if (!runs.length) return { unet: null, transfers, raw: null };
    const raw = { ...(await replay(runs, frames, warmup)), provider: pipeline.provider ?? null, runs: runs.map(({ session, inputs }) => ({ session, inputs })) };
    return { unet: unetCalls(runs), transfers, raw };
  }

  async close(): Promise<void> {
    await this.pipeline.dispose();
  }

  private async frame(params: Parameters<Pipeline<unknown>['process']>[1]): Promise<ProcessResult> {
    const result = await this.pipeline.process([this.source.latest()], params);
    this.outputs.give(result.map((f) => f.data.buffer as ArrayBuffer));
    return result;
  }
}

/**
 * Every row through one Engine and, right after it while the engine is paused (the two never compete for the
 * device), the row's session runs replayed raw in this process: both figures from the same run, minutes apart at most.
 */
export async function runBench(config: EngineConfig, log: Logger, options: BenchOptions): Promise<BenchReport> {
  const { definition, store, width, height } = pipelineState(config);
  const specs = benchRows(definition.name, options.only);
  const configs = specs.map((spec) => withParams(config, spec.params));
  const measured: Pick<BenchRow, 'unet' | 'transfers' | 'raw'>[] = [];
  let capture: RawCapture | undefined;
  // The engine's first row comes first: a pipeline that fails every frame stops the bench before a second copy loads.
  const engineRuns = await runEngineBench(configs, log, options, async (i) => {
    capture ??= await RawCapture.open(configs[0]!, log);
    measured.push(await capture.measure(configs[i]!, options));
  }).finally(() => capture?.close());
  const rows = specs.map((spec, i): BenchRow => {
    const engine = engineRuns[i]!;
    const rawMedian = measured[i]!.raw?.frame.median;
    return { name: spec.name, params: spec.params, ...engine, ...measured[i]!, overRaw: rawMedian ? engine.frameMs.median / rawMedian : null };
  });
  const model = (store.snapshot as { model?: unknown }).model ?? null;
  return { pipeline: definition.name, model, width, height, frames: options.frames, warmup: options.warmup, machine: machine(), rows };
}
