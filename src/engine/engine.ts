import { EventEmitter } from 'node:events';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { errorLine, isSdliveError } from '../errors.js';
import type { Frame } from '../io/frame.js';
import { fitFrame } from '../io/resize.js';
import type { FrameSink, FrameSource, IoStats } from '../io/transport.js';
import { rateLimited, type Logger } from '../log.js';
import type { PipelineDefinition } from '../pipelines/pipeline.js';
import { FpsMeter } from './fps-meter.js';
import { ParameterStore } from './parameter-store.js';
import { PipelineHost } from './pipeline-host.js';
import { StageStats, type StageSummary } from './stage-stats.js';
import { ownedCopy } from './worker-protocol.js';

export interface EngineOptions {
  definition: PipelineDefinition;
  store: ParameterStore<PipelineDefinition['schema']>;
  source: FrameSource;
  sinks: FrameSink[];
  log: Logger;
  /** Stop after this many fresh pipeline frames (for scripts and tests); only fresh frames reach the sinks then. */
  maxFrames?: number;
  /** Module URL exporting extra pipelines by name for the worker (test fakes stay out of the registry). */
  pipelineModule?: string;
}

type BaseParams = { fps_cap?: number; paused?: boolean; width?: number; height?: number };

/** Milliseconds per stage of one fresh frame: receive, preprocess, the pipeline's own stages, pipeline, ipc, send. */
export type FrameTiming = Readonly<Record<string, number>>;

/** `waiting`: the model is loaded but the source has not produced a single frame yet. */
export type EngineState = 'starting' | 'waiting' | 'running' | 'paused' | 'stopped';

export interface ModelStatus {
  pipeline: string;
  loaded: boolean;
  /** A load or reload is under way in a second worker. */
  loading: boolean;
  width: number;
  height: number;
  loads: number;
  loadFailures: number;
  lastLoadMs: number;
  lastLoadError: string | null;
  workerRestarts: number;
}

/** What the engine reports about itself: OSC feedback, /metrics, /health and the web page all read this. */
export interface EngineMetrics {
  state: EngineState;
  /** Fresh pipeline frames delivered. */
  frameCount: number;
  fps: number;
  /** Capture-to-output delay of the last fresh frame, ms. */
  latencyMs: number;
  /** Input frames the source produced between that frame's capture and its output. */
  latencyFrames: number;
  /** Frames the pipeline failed on (any code). */
  failures: number;
  errors: Record<string, number>;
  /** Every frame written to the sinks: fresh, held (last good) or placeholder (input before the first result). */
  outputFrames: number;
  heldFrames: number;
  /** Input frames that arrived while the pipeline was busy and were skipped (latest-frame-wins). */
  droppedFrames: number;
  /** Since the last fresh frame, ms; null before the first. */
  lastFrameAgeMs: number | null;
  /** Since start(), ms (0 before). */
  uptimeMs: number;
  stages: Record<string, StageSummary>;
  queues: { inflight: number; inputWaiting: number };
  model: ModelStatus;
  memory: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
  io: { source: IoStats & { spec: string }; sinks: (IoStats & { spec: string })[] };
}

const IDLE_MS = 2;

/**
 * The frame loop on the main thread; inference runs in a worker (PipelineHost), so OSC, MIDI and HTTP stay
 * responsive. Latest-frame-wins input, one frame in flight, atomic parameter snapshots per frame, background
 * reloads with a swap, and an output that always carries a valid frame (docs/engine.md: never-black policy).
 * A 'frame' listener reads the frame during the event only: its buffer may go back to the worker afterwards.
 */
export class Engine extends EventEmitter<{ frame: [Frame]; timing: [FrameTiming]; done: [] }> {
  frameCount = 0;
  private host: PipelineHost | undefined;
  private loader: PipelineHost | undefined;
  private loadedParams: unknown;
  private running = false;
  private stopping: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private lastInput: Frame | undefined;
  private lastSourceCount = 0;
  private lastGood: Frame | undefined;
  private lastFreshAt = 0;
  private startedAt = 0;
  private pendingSteps = 0;
  private reloads = 0;
  private inflight = 0;
  private failStreak = 0;
  private sendMs = 0;
  private crashStreak = 0;
  private readonly fpsMeter = new FpsMeter();
  private readonly stageStats = new StageStats();
  private readonly warn: ReturnType<typeof rateLimited>;
  private readonly counts = { output: 0, held: 0, dropped: 0, failures: 0, loads: 0, loadFailures: 0, restarts: 0 };
  private readonly errors: Record<string, number> = {};
  private latency = { ms: 0, frames: 0 };
  private load = { ms: 0, error: null as string | null };

  /** No sink reads a frame after write() returns, so replaced output buffers can go back to the worker. */
  private readonly recycleOutputs: boolean;

  constructor(private readonly opts: EngineOptions) {
    super();
    this.recycleOutputs = !opts.sinks.some((s) => s.retainsFrames);
    this.warn = rateLimited(opts.log);
    opts.store.on('change', (c) => {
      if (c.reload && this.running && c.source !== 'engine') void this.reload();
    });
  }

  get store(): ParameterStore<PipelineDefinition['schema']> {
    return this.opts.store;
  }

  /** The newest input frame as the source has it (for previews). */
  get input(): Frame | undefined {
    return this.opts.source.latest();
  }

  /** The frame the sinks carry now. */
  get output(): Frame | undefined {
    return this.lastGood;
  }

  /**
   * Starts the loop at once (the input is shown until the first pipeline frame) and resolves when the model
   * has loaded; a failed first load stops the loop and rejects.
   */
  async start(): Promise<void> {
    this.running = true;
    this.startedAt = performance.now();
    this.loop = this.run();
    const host = this.spawn();
    try {
      await this.loadInto(host, this.opts.store.snapshot);
    } catch (e) {
      if (this.reloads > 0) return; // a reload superseded the first load and will swap in itself
      this.running = false;
      await this.loop;
      throw e;
    }
    if (!this.host) this.adopt(host);
    else void host.dispose();
  }

  /** While paused, lets exactly one more frame through the pipeline. */
  step(): void {
    this.pendingSteps++;
  }

  private params(): BaseParams {
    return this.opts.store.snapshot as BaseParams;
  }

  private async run(): Promise<void> {
    let next = performance.now();
    while (this.running) {
      const params = this.params();
      const paused = params.paused === true && this.pendingSteps === 0;
      const input = paused ? undefined : this.takeInput();
      if (!input) {
        await sleep(IDLE_MS);
        continue;
      }
      if (params.paused) this.pendingSteps--;
      await this.process(input, params);
      if (this.opts.maxFrames !== undefined && this.frameCount >= this.opts.maxFrames) {
        this.running = false;
        this.emit('done');
        break;
      }
      if (!params.fps_cap) {
        await setImmediate(); // let control in between frames without a timer's 1 ms floor
        continue;
      }
      next = Math.max(next + 1000 / params.fps_cap, performance.now());
      await sleep(next - performance.now());
    }
  }

  /** The newest frame if it is one not seen yet; frames that came and went meanwhile count as dropped. */
  private takeInput(): { frame: Frame; sourceCount: number; receiveMs: number } | undefined {
    const t0 = performance.now();
    const frame = this.opts.source.latest();
    if (!frame || frame === this.lastInput) return undefined;
    const sourceCount = this.opts.source.stats().frames;
    if (this.lastInput) this.counts.dropped += Math.max(0, sourceCount - this.lastSourceCount - 1);
    this.lastInput = frame;
    this.lastSourceCount = sourceCount;
    return { frame, sourceCount, receiveMs: performance.now() - t0 };
  }

  private async process({ frame: input, sourceCount, receiveMs }: { frame: Frame; sourceCount: number; receiveMs: number }, params: BaseParams): Promise<void> {
    const host = this.host;
    const size = host?.requirements ?? { width: params.width ?? input.width, height: params.height ?? input.height };
    const t0 = performance.now();
    const fitted = fitFrame(input, size.width, size.height);
    // A resized frame is already a fresh buffer; the source's own frame is copied (it is transferred to the worker).
    const frame = fitted !== input ? fitted : host ? host.ownedInput(input) : ownedCopy(input);
    const timing: Record<string, number> = { receive: receiveMs, preprocess: performance.now() - t0 };
    if (!host) return this.send(this.lastGood ?? frame, false);
    const t1 = performance.now();
    this.inflight++;
    try {
      const result = await host.process([frame], params);
      const out = result.frames.at(-1);
      if (!out) return;
      // A pipeline stage named like an engine stage (preprocess) adds to it.
      for (const [stage, ms] of Object.entries(result.stages)) timing[stage] = (timing[stage] ?? 0) + ms;
      Object.assign(timing, { pipeline: result.ms, ipc: performance.now() - t1 - result.ms });
      this.fresh({ ...out, timestamp: input.timestamp }, sourceCount);
      timing.send = this.sendMs;
      this.stageStats.recordAll(timing);
      this.emit('timing', timing);
    } catch (e) {
      this.failed(e);
      // `frame` went to the worker (its buffer is gone here): before any good frame, show the input again.
      this.send(this.lastGood ?? fitFrame(input, size.width, size.height), false);
    } finally {
      this.inflight--;
    }
  }

  private fresh(frame: Frame, sourceCount: number): void {
    if (this.failStreak > 0) this.opts.log.warn({ failedFrames: this.failStreak }, 'pipeline recovered');
    this.failStreak = 0;
    this.crashStreak = 0;
    const previous = this.lastGood;
    this.lastGood = frame;
    const now = performance.now();
    this.lastFreshAt = now;
    this.fpsMeter.tick(now);
    this.latency = { ms: now - frame.timestamp, frames: this.opts.source.stats().frames - sourceCount };
    this.frameCount++;
    this.send(frame, true);
    // The frame it replaces is read by nobody now (sinks copied it, the preview reads the current one).
    if (previous && previous.data !== frame.data && this.recycleOutputs) this.host?.recycleOutput(previous);
  }

  private failed(e: unknown): void {
    const code = isSdliveError(e) ? e.code : 'other';
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    this.counts.failures++;
    if (this.failStreak++ === 0) this.opts.log.error({ err: errorLine(e) }, 'pipeline step failed; holding the last good frame');
    else this.warn('pipeline-failing', 'pipeline still failing; holding the last good frame', { failedFrames: this.failStreak, err: errorLine(e) });
  }

  private send(frame: Frame, fresh: boolean): void {
    // A run with maxFrames (--frames N) writes exactly N pipeline frames: no placeholders or held repeats.
    if (!fresh && this.opts.maxFrames !== undefined) return;
    const t0 = performance.now();
    for (const sink of this.opts.sinks) sink.write(frame);
    this.sendMs = performance.now() - t0;
    this.counts.output++;
    if (!fresh) this.counts.held++;
    this.emit('frame', frame);
  }

  private spawn(): PipelineHost {
    const host = new PipelineHost();
    host.on('error', (e) => this.crashed(host, e));
    return host;
  }

  private async loadInto(host: PipelineHost, params: unknown): Promise<void> {
    const t0 = performance.now();
    this.loader = host;
    try {
      await host.load({ pipeline: this.opts.definition.name, module: this.opts.pipelineModule, params, logLevel: this.opts.log.level });
      this.counts.loads++;
      this.load = { ms: performance.now() - t0, error: null };
      this.loadedParams = params;
      this.opts.log.info({ pipeline: this.opts.definition.name, ...host.requirements, ms: Math.round(this.load.ms) }, 'pipeline loaded');
    } catch (e) {
      if (this.loader === host) {
        this.counts.loadFailures++;
        this.load = { ms: performance.now() - t0, error: errorLine(e) };
      }
      void host.terminate();
      throw e;
    } finally {
      if (this.loader === host) this.loader = undefined;
    }
  }

  /** Swaps a loaded worker in; the previous one finishes its frame in flight, then is disposed. */
  private adopt(host: PipelineHost): void {
    const old = this.host;
    this.host = host;
    void old?.dispose();
  }

  /** Loads the new load-time parameters in a second worker while the current one keeps serving. */
  private async reload(): Promise<void> {
    const seq = ++this.reloads;
    void this.loader?.terminate();
    const host = this.spawn();
    try {
      await this.loadInto(host, this.opts.store.snapshot);
    } catch (e) {
      if (seq !== this.reloads || !this.running) return;
      this.opts.log.error({ err: errorLine(e) }, this.host ? 'reload failed; the previous model keeps running' : 'reload failed; restarting the last model that loaded');
      this.revertLoadParams();
      if (!this.host) void this.restart();
      return;
    }
    if (this.running) this.adopt(host);
    else void host.dispose();
  }

  /** Puts the load-time parameters back to what is loaded, so OSC, OSCQuery and the page show what runs. */
  private revertLoadParams(): void {
    const loaded = this.loadedParams as Record<string, unknown> | undefined;
    if (!loaded) return;
    const keys = this.opts.store.specs.filter((s) => s.phase === 'load').map((s) => s.key);
    this.opts.store.update(Object.fromEntries(keys.map((k) => [k, loaded[k]])), 'engine');
  }

  /** A dead worker: hold the last good frame and restart with the last parameters that loaded (with back-off). */
  private async crashed(host: PipelineHost, e: Error): Promise<void> {
    this.errors.SDL_ERR_WORKER = (this.errors.SDL_ERR_WORKER ?? 0) + 1;
    if (host !== this.host || !this.running) return;
    this.host = undefined;
    this.counts.restarts++;
    const delay = Math.min(5000, 200 * 2 ** this.crashStreak++);
    this.opts.log.error({ err: errorLine(e), restartInMs: delay }, 'inference worker died; holding the last good frame and restarting it');
    await sleep(delay);
    // A reload under way will swap in itself, or restart from here if it fails.
    if (!this.loader) await this.restart();
  }

  private async restart(): Promise<void> {
    if (!this.running || this.host) return;
    const next = this.spawn();
    try {
      await this.loadInto(next, this.loadedParams);
      if (this.running && !this.host) this.adopt(next);
      else void next.dispose();
    } catch (err) {
      this.opts.log.error({ err: errorLine(err) }, 'inference worker restart failed');
    }
  }

  metrics(): EngineMetrics {
    const params = this.params();
    const mem = process.memoryUsage();
    const req = this.host?.requirements;
    return {
      state: !this.running ? (this.loop ? 'stopped' : 'starting') : !this.host ? 'starting' : params.paused ? 'paused' : this.lastInput ? 'running' : 'waiting',
      frameCount: this.frameCount,
      fps: this.fpsMeter.fps(performance.now()),
      latencyMs: this.latency.ms,
      latencyFrames: this.latency.frames,
      failures: this.counts.failures,
      errors: { ...this.errors },
      outputFrames: this.counts.output,
      heldFrames: this.counts.held,
      droppedFrames: this.counts.dropped,
      lastFrameAgeMs: this.lastFreshAt ? performance.now() - this.lastFreshAt : null,
      uptimeMs: this.startedAt ? performance.now() - this.startedAt : 0,
      stages: this.stageStats.summary(),
      queues: { inflight: this.inflight, inputWaiting: this.opts.source.latest() !== this.lastInput ? 1 : 0 },
      model: {
        pipeline: this.opts.definition.name, loaded: this.host !== undefined, loading: this.loader !== undefined,
        width: req?.width ?? 0, height: req?.height ?? 0,
        loads: this.counts.loads, loadFailures: this.counts.loadFailures, lastLoadMs: this.load.ms, lastLoadError: this.load.error,
        workerRestarts: this.counts.restarts,
      },
      memory: { rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers },
      io: { source: { spec: this.opts.source.spec, ...this.opts.source.stats() }, sinks: this.opts.sinks.map((s) => ({ spec: s.spec, ...s.stats() })) },
    };
  }

  /** Stops the loop, releases the workers, closes the source, flushes the sinks. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.all([this.loader?.terminate(), this.host?.dispose()]);
    this.host = undefined;
    await this.opts.source.close();
    await Promise.all(this.opts.sinks.map((s) => s.close()));
  }
}
