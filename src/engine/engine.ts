import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorLine } from '../errors.js';
import type { Frame } from '../io/frame.js';
import { fitFrame } from '../io/resize.js';
import type { FrameSink, FrameSource } from '../io/transport.js';
import type { Logger } from '../log.js';
import type { Pipeline, PipelineDefinition, PipelineRequirements } from '../pipelines/pipeline.js';
import { ParameterStore } from './parameter-store.js';

export interface EngineOptions {
  definition: PipelineDefinition;
  store: ParameterStore<PipelineDefinition['schema']>;
  source: FrameSource;
  sinks: FrameSink[];
  log: Logger;
  /** Stop after this many output frames (for scripts and tests). */
  maxFrames?: number;
}

type BaseParams = { fps_cap?: number; paused?: boolean };

/** What the engine reports about itself: OSC feedback, /metrics, /health and the web page all read this. */
export interface EngineMetrics {
  frameCount: number;
  fps: number;
  /** Capture-to-output delay of the last output frame, ms. */
  latencyMs: number;
  failures: number;
}

/**
 * The frame loop: newest input frame -> pipeline -> every sink. The output always carries the last good
 * frame; a failed step is logged and the loop goes on.
 */
export class Engine extends EventEmitter<{ frame: [Frame]; done: [] }> {
  private pipeline: Pipeline<unknown> | undefined;
  private requirements: PipelineRequirements | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private lastGood: Frame | undefined;
  private failures = 0;
  private fps = 0;
  private lastOutputAt = 0;
  private latencyMs = 0;
  frameCount = 0;

  constructor(private readonly opts: EngineOptions) {
    super();
  }

  get store(): ParameterStore<PipelineDefinition['schema']> {
    return this.opts.store;
  }

  async start(): Promise<void> {
    this.pipeline = await this.opts.definition.load(this.opts.store.snapshot, { log: this.opts.log });
    this.requirements = this.pipeline.prepare();
    this.opts.log.info({ pipeline: this.opts.definition.name, ...this.requirements }, 'pipeline loaded');
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let next = performance.now();
    while (this.running) {
      const params = this.opts.store.snapshot as BaseParams;
      const input = this.opts.source.latest();
      if (params.paused || !input) {
        await sleep(10);
        continue;
      }
      await this.step(input, params);
      if (this.opts.maxFrames !== undefined && this.frameCount >= this.opts.maxFrames) {
        this.running = false;
        this.emit('done');
        break;
      }
      next = params.fps_cap ? Math.max(next + 1000 / params.fps_cap, performance.now()) : performance.now();
      await sleep(Math.max(0, next - performance.now()));
    }
  }

  private async step(input: Frame, params: BaseParams): Promise<void> {
    const { width, height } = this.requirements!;
    try {
      const [out] = await this.pipeline!.process([fitFrame(input, width, height)], params);
      if (out) this.lastGood = out;
    } catch (e) {
      if (this.failures++ === 0) this.opts.log.error({ err: errorLine(e) }, 'pipeline step failed; holding the last good frame');
    }
    if (!this.lastGood) return;
    for (const sink of this.opts.sinks) sink.write(this.lastGood);
    const now = performance.now();
    if (this.lastOutputAt) this.fps = 0.9 * this.fps + 0.1 * (1000 / Math.max(1e-3, now - this.lastOutputAt));
    this.lastOutputAt = now;
    this.latencyMs = now - input.timestamp;
    this.frameCount++;
    this.emit('frame', this.lastGood);
  }

  metrics(): EngineMetrics {
    return { frameCount: this.frameCount, fps: this.fps, latencyMs: this.latencyMs, failures: this.failures };
  }

  /** Stops the loop, closes the source, flushes the sinks, releases the pipeline. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.opts.source.close();
    await Promise.all(this.opts.sinks.map((s) => s.close()));
    await this.pipeline?.dispose();
  }
}
