import { EventEmitter } from 'node:events';
import { freemem } from 'node:os';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { errorLine, isSdliveError, SdliveError } from '../errors.js';
import type { Frame } from '../io/frame.js';
import { fitFrame } from '../io/resize.js';
import { openSink } from '../io/registry.js';
import type { FrameSink, FrameSource, IoStats } from '../io/transport.js';
import { rateLimited, type Logger } from '../log.js';
import type { EngineParams } from '../pipelines/engine-params.js';
import type { Transfers } from '../models/sd-models.js';
import type { PipelineDefinition } from '../pipelines/pipeline.js';
import { OutputFader } from './fader.js';
import { FpsMeter } from './fps-meter.js';
import { EngineOutputs, type SinkStats } from './outputs.js';
import { ParameterStore } from './parameter-store.js';
import { PipelineHost } from './pipeline-host.js';
import { unloadsFirst, type ReloadStrategy } from './reload-strategy.js';
import { StageStats, type StageSummary } from './stage-stats.js';
import { ownedCopy } from './worker-protocol.js';

/** Consecutive failures of one kind after which the pipeline counts as failing and its provider is given up. */
export const FAIL_STREAK = 5;
/** Consecutive non-finite results after which the stream state (latent buffer, stock noise) is reset. */
export const NONFINITE_STREAK = 3;
/** Live sinks get a frame at least every 1.5 frame periods; the period's fps is clamped to this range. */
const CADENCE_FPS = { min: 2, max: 60, initial: 30 };


export interface EngineOptions {
  definition: PipelineDefinition;
  store: ParameterStore<PipelineDefinition['schema']>;
  source: FrameSource;
  /** ControlNet control images (config control_input): its latest frame goes with the next input frame. */
  controlSource?: FrameSource;
  sinks: FrameSink[];
  /** Opens an output added while running (default: the transport registry at the pipeline's size). */
  openSink?: (spec: string) => Promise<FrameSink>;
  log: Logger;
  /** Stop after this many fresh pipeline frames (for scripts and tests); only fresh frames reach the sinks then. */
  maxFrames?: number;
  /** Module URL exporting extra pipelines by name for the worker (test fakes stay out of the registry). */
  pipelineModule?: string;
}

/** fps_cap and paused are in every registered pipeline's schema (the registry merges EngineParams in). */
type BaseParams = Partial<EngineParams> & { width?: number; height?: number; execution_providers?: readonly string[]; reload_strategy?: ReloadStrategy };

/** Frame-time changes to the stored parameters (modulators), see Engine.overlayParams. */
export type FrameOverlay = (stored: Readonly<Record<string, unknown>>) => Readonly<Record<string, unknown>>;

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
  /** The execution provider the loaded model runs on, when its pipeline reports one. */
  provider: string | null;
  /** Providers given up because every frame failed on them, in order; `next`: what the engine fell back to. */
  failedProviders: FailedProvider[];
  /** Providers passed over when the model loaded, each with why it could not start. */
  skippedProviders: string[];
}

export interface FailedProvider {
  provider: string;
  error: string;
  next: string | null;
}

/** The failures since the last good result, all of one kind (code). */
export interface FailStreak {
  code: string;
  frames: number;
  error: string;
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
  /** Stream Batch warm-up results: not shown, counted or recorded. */
  warmupFrames: number;
  /** Consecutive failed frames of one kind; null while frames succeed. */
  failStreak: FailStreak | null;
  /** Stream state resets after non-finite streaks. */
  resets: { count: number; lastReason: string | null; lastAgoMs: number | null };
  /** Since the last fresh frame, ms; null before the first. */
  lastFrameAgeMs: number | null;
  /** Since start(), ms (0 before). */
  uptimeMs: number;
  /** Since the first model loaded and the engine began waiting for frames, ms; null before. */
  sinceReadyMs: number | null;
  stages: Record<string, StageSummary>;
  queues: { inflight: number; inputWaiting: number };
  model: ModelStatus;
  memory: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
  /** `control`: the control_input source, where one is open. */
  io: { source: IoStats & { spec: string }; control?: IoStats & { spec: string }; sinks: SinkStats[] };
}

const IDLE_MS = 2;
type Input = { frame: Frame; sourceCount: number; receiveMs: number };
type Size = { width: number; height: number };

/**
 * The frame loop on the main thread; inference runs in a worker (PipelineHost), so OSC, MIDI and HTTP stay
 * responsive. Latest-frame-wins input, one frame in flight, atomic parameter snapshots per frame, background
 * reloads with a swap, and an output that always carries a valid frame (docs/engine.md: never-black policy).
 * A 'frame' listener reads the frame during the event only: its buffer may go back to the worker afterwards.
 * 'failing': the pipeline fails every frame and no execution provider is left to fall back to.
 */
export class Engine extends EventEmitter<{ frame: [Frame]; timing: [FrameTiming, Transfers | undefined]; done: []; failing: [Error] }> {
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
  private readyAt = 0;
  private pendingSteps = 0;
  private reloads = 0;
  /** What the last load added to resident memory (reload_strategy auto). */
  private modelBytes: number | undefined;
  private inflight = 0;
  private streak: FailStreak = { code: '', frames: 0, error: '' };
  private resetPending = false;
  private sendMs = 0;
  private crashStreak = 0;
  /** What the sinks carry now (fresh, held or the input) before blackout/fade, when, and whether that was a cadence repeat. */
  private shown: { frame: Frame; at: number; repeat: boolean } | undefined;
  /** The frame last written, blackout/fade applied. */
  private sent: Frame | undefined;
  private readonly fader = new OutputFader();
  private cadenceTimer: NodeJS.Timeout | undefined;
  private outputFps = CADENCE_FPS.initial;
  private failedProviders: FailedProvider[] = [];
  private readonly fpsMeter = new FpsMeter();
  private readonly stageStats = new StageStats();
  private readonly warn: ReturnType<typeof rateLimited>;
  private readonly counts = { output: 0, held: 0, dropped: 0, warmup: 0, failures: 0, loads: 0, loadFailures: 0, restarts: 0 };
  private readonly errors: Record<string, number> = {};
  private readonly resets = { count: 0, lastReason: null as string | null, lastAt: 0 };
  private latency = { ms: 0, frames: 0 };
  /** The latest inputs given to the pipeline: an output carrying an older one's timestamp (Stream Batch) is matched here. */
  private readonly sentInputs: { timestamp: number; sourceCount: number }[] = [];
  private lastControl: Frame | undefined;
  private load = { ms: 0, error: null as string | null };
  private overlay: FrameOverlay | undefined;

  /** The outputs; `outputs.add(spec)` and `outputs.remove(spec | index)` change them while running. */
  readonly outputs: EngineOutputs;

  constructor(private readonly opts: EngineOptions) {
    super();
    this.outputs = new EngineOutputs(opts.sinks, opts.openSink ?? ((spec) => openSink(spec, this.transportContext())), opts.log);
    this.warn = rateLimited(opts.log);
    opts.store.on('change', (c) => {
      if (c.source === 'engine') return;
      // The operator names the providers again: each gets a fresh chance.
      if ((c.keys as readonly string[]).includes('execution_providers')) this.failedProviders = [];
      if (c.reload && this.running) void this.reload();
    });
  }

  get store(): ParameterStore<PipelineDefinition['schema']> {
    return this.opts.store;
  }

  /** The newest input frame as the source has it (for previews). */
  get input(): Frame | undefined {
    return this.opts.source.latest();
  }

  /** Some output is a recording: stopping writes its queued frames first. */
  get recording(): boolean {
    return this.outputs.recording;
  }

  /** No sink reads a frame after write() returns, so replaced output buffers can go back to the worker. */
  private get recycleOutputs(): boolean {
    return !this.outputs.retainsFrames;
  }

  private transportContext() {
    const { width = 512, height = 512 } = this.params();
    return { log: this.opts.log, width, height, fps: 30 };
  }

  /** The frame the sinks carry now (blackout and fade applied). */
  get output(): Frame | undefined {
    return this.sent ?? this.lastGood;
  }

  /**
   * Starts the loop at once (the input is shown until the first pipeline frame) and resolves when the model
   * has loaded; a failed first load stops the loop and rejects.
   */
  async start(): Promise<void> {
    this.running = true;
    this.startedAt = performance.now();
    this.loop = this.run();
    if (this.opts.maxFrames === undefined) this.keepCadence(); // a --frames run sends no repeats
    const host = this.spawn();
    try {
      await this.loadInto(host, this.opts.store.snapshot);
    } catch (e) {
      if (this.reloads > 0) return; // a reload superseded the first load and will swap in itself
      this.running = false;
      await this.loop;
      clearTimeout(this.cadenceTimer);
      throw e;
    }
    if (!this.host) this.adopt(host);
    else void host.dispose();
  }

  /** While paused, lets exactly one more frame through the pipeline. */
  step(): void {
    this.pendingSteps++;
  }

  /**
   * What each frame reads on top of the store (modulators): the store keeps what the performer set. One at a
   * time; it must not throw. Returns the function that removes it.
   */
  overlayParams(overlay: FrameOverlay): () => void {
    this.overlay = overlay;
    return () => {
      if (this.overlay === overlay) this.overlay = undefined;
    };
  }

  private params(): BaseParams {
    return this.opts.store.snapshot as BaseParams;
  }

  /** The parameters one frame runs with: the stored ones with the overlay on top (read once per frame, not while idle). */
  private frameParams(stored: BaseParams): BaseParams {
    return this.overlay ? (this.overlay(stored) as BaseParams) : stored;
  }

  private async run(): Promise<void> {
    let next = performance.now();
    while (this.running) {
      const stored = this.params();
      const paused = stored.paused === true && this.pendingSteps === 0;
      const input = paused ? undefined : this.takeInput();
      if (!input) {
        await sleep(IDLE_MS);
        continue;
      }
      if (stored.paused) this.pendingSteps--;
      const params = this.frameParams(stored);
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
  private takeInput(): Input | undefined {
    const t0 = performance.now();
    const frame = this.opts.source.latest();
    if (!frame || frame === this.lastInput) return undefined;
    const sourceCount = this.opts.source.stats().frames;
    if (this.lastInput) this.counts.dropped += Math.max(0, sourceCount - this.lastSourceCount - 1);
    this.lastInput = frame;
    this.lastSourceCount = sourceCount;
    return { frame, sourceCount, receiveMs: performance.now() - t0 };
  }

  private async process({ frame: input, sourceCount, receiveMs }: Input, params: BaseParams): Promise<void> {
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
    this.sentInputs.push({ timestamp: input.timestamp, sourceCount });
    if (this.sentInputs.length > 8) this.sentInputs.shift();
    try {
      const reset = this.resetPending;
      this.resetPending = false;
      const result = await host.process([frame, ...this.takeControl(size)], params, reset);
      const out = result.frames.at(-1);
      if (!out) return;
      if (result.warmup) return this.warmingUp(host, out, input, size);
      // A pipeline stage named like an engine stage (preprocess) adds to it.
      for (const [stage, ms] of Object.entries(result.stages)) timing[stage] = (timing[stage] ?? 0) + ms;
      Object.assign(timing, { pipeline: result.ms, ipc: performance.now() - t1 - result.ms });
      // Latency runs from the capture of the input this output is the result of, not of the latest one.
      const captured = this.sentInputs.find((s) => s.timestamp === out.timestamp) ?? { timestamp: input.timestamp, sourceCount };
      this.fresh({ ...out, timestamp: captured.timestamp }, captured.sourceCount);
      timing.send = this.sendMs;
      this.stageStats.recordAll(timing);
      this.emit('timing', timing, result.transfers);
    } catch (e) {
      if (!this.running) return; // the worker was ended by stop()
      this.failed(e);
      this.send(this.lastGood ?? this.placeholder(input, size), false);
    } finally {
      this.inflight--;
    }
  }

  /** The control source's latest frame, fitted and copied, when it is one not sent yet (the pipeline holds the last). */
  private takeControl(size: Size): Frame[] {
    const control = this.opts.controlSource?.latest();
    if (!control || control === this.lastControl) return [];
    this.lastControl = control;
    const fitted = fitFrame(control, size.width, size.height);
    return [fitted !== control ? fitted : ownedCopy(control)];
  }

  /** The input standing in for pipeline output; `frame` went to the worker (its buffer is gone here). */
  private placeholder(input: Frame, size: Size): Frame {
    const fitted = fitFrame(input, size.width, size.height);
    // Kept for cadence repeats: the source may reuse its own buffer.
    return fitted === input ? ownedCopy(input) : fitted;
  }

  /** Stream Batch warm-up output is no picture yet: the sinks keep what they had (the input before any result). */
  private warmingUp(host: PipelineHost, out: Frame, input: Frame, size: Size): void {
    this.recovered();
    this.counts.warmup++;
    if (this.recycleOutputs) host.recycleOutput(out);
    this.send(this.lastGood ?? this.placeholder(input, size), false);
  }

  private fresh(frame: Frame, sourceCount: number): void {
    this.recovered();
    const previous = this.lastGood;
    this.lastGood = frame;
    const now = performance.now();
    this.lastFreshAt = now;
    this.fpsMeter.tick(now);
    this.outputFps = this.fpsMeter.fps(now) || this.outputFps;
    this.latency = { ms: now - frame.timestamp, frames: this.opts.source.stats().frames - sourceCount };
    this.frameCount++;
    this.send(frame, true);
    // The frame it replaces is read by nobody now (sinks copied it, the preview reads the current one).
    if (previous && previous.data !== frame.data && this.recycleOutputs) this.host?.recycleOutput(previous);
  }

  /** A good result (fresh or warm-up) ends a failure streak; a provider with nothing to fall back to is fine again. */
  private recovered(): void {
    this.crashStreak = 0;
    if (this.streak.frames === 0) return;
    this.opts.log.warn({ failedFrames: this.streak.frames }, 'pipeline recovered');
    this.failedProviders = this.failedProviders.filter((f) => f.next !== null);
    this.streak = { code: '', frames: 0, error: '' };
  }

  private failed(e: unknown): void {
    const code = isSdliveError(e) ? e.code : 'other';
    const error = errorLine(e);
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    this.counts.failures++;
    this.streak = { code, frames: this.streak.code === code ? this.streak.frames + 1 : 1, error };
    if (this.streak.frames === 1) this.opts.log.error({ err: error }, 'pipeline step failed; holding the last good frame');
    else this.warn('pipeline-failing', 'pipeline still failing; holding the last good frame', { failedFrames: this.streak.frames, err: error });
    if (code === 'SDL_ERR_NONFINITE' && this.streak.frames === NONFINITE_STREAK) this.resetStream();
    else if (code !== 'SDL_ERR_NONFINITE' && code !== 'SDL_ERR_WORKER' && this.streak.frames === FAIL_STREAK) this.fallBack();
  }

  /** The next frame starts the stream afresh (residual CFG can diverge: then every step is non-finite). */
  private resetStream(): void {
    this.resetPending = true;
    this.resets.count++;
    this.resets.lastAt = performance.now();
    this.resets.lastReason = `${NONFINITE_STREAK} non-finite results in a row: ${this.streak.error}`;
    const fields = { resets: this.resets.count, err: this.streak.error };
    if (this.resets.count === 1) this.opts.log.warn(fields, 'stream state reset (latent buffer, stock noise) after non-finite results');
    else this.warn('stream-reset', 'stream state reset again after non-finite results', fields);
  }

  /** Every frame fails on the provider in use: reload on the next one in execution_providers, if there is one. */
  private fallBack(): void {
    const provider = this.host?.provider;
    const listed = (this.loadedParams as BaseParams | undefined)?.execution_providers ?? [];
    if (!provider || !listed.includes(provider) || this.failedProviders.some((f) => f.provider === provider)) return this.giveUp(provider);
    const next = listed.slice(listed.indexOf(provider) + 1).find((p) => !this.givenUp(p)) ?? null;
    this.failedProviders.push({ provider, error: this.streak.error, next });
    if (!next) return this.giveUp(provider);
    this.opts.log.error({ provider, next, err: this.streak.error }, `execution provider ${provider} fails every frame; falling back to ${next}`);
    void this.reload();
  }

  /** Left behind for another provider (one that failed with nothing to fall back to stays in use). */
  private givenUp(provider: string): boolean {
    return this.failedProviders.some((f) => f.provider === provider && f.next !== null);
  }

  private giveUp(provider: string | undefined): void {
    const on = provider ? ` on ${provider}` : '';
    const e = new SdliveError('SDL_ERR_PIPELINE', `the pipeline fails every frame (${FAIL_STREAK} in a row${on}) and no execution provider is left to fall back to: ${this.streak.error}`);
    this.opts.log.error({ err: errorLine(e) }, 'pipeline failing; holding the last good frame');
    this.emit('failing', e);
  }

  private send(frame: Frame, fresh: boolean, repeat = false): void {
    // A run with maxFrames (--frames N) writes exactly N pipeline frames: no placeholders or held repeats.
    if (!fresh && this.opts.maxFrames !== undefined) return;
    const t0 = performance.now();
    // Repeats are faded again, so a fade moves on while the picture is held.
    const out = this.fader.apply(frame, this.params(), () => this.opts.source.latest(), !this.recycleOutputs);
    this.outputs.write(out, fresh);
    this.sendMs = performance.now() - t0;
    this.counts.output++;
    if (!fresh) this.counts.held++;
    this.shown = { frame, at: performance.now(), repeat };
    this.sent = out;
    this.emit('frame', out);
  }

  /**
   * Live sinks keep their cadence whatever the loop waits for (no input, a slow or hung step, pause): when
   * nothing went out for 1.5 frame periods, and then every period, the frame they carry goes out again.
   */
  private keepCadence(): void {
    const now = performance.now();
    const fps = Math.min(CADENCE_FPS.max, Math.max(CADENCE_FPS.min, this.params().fps_cap || this.outputFps));
    const shown = this.shown;
    const due = shown ? shown.at + (shown.repeat ? 1 : 1.5) * (1000 / fps) : now + 1000 / fps;
    if (shown && now >= due) this.send(shown.frame, false, true);
    if (!this.running) return;
    this.cadenceTimer = setTimeout(() => this.keepCadence(), Math.max(1, due - now));
    this.cadenceTimer.unref();
  }

  private spawn(): PipelineHost {
    const host = new PipelineHost(this.opts.log);
    host.on('error', (e) => this.crashed(host, e));
    return host;
  }

  /** The load-time parameters as loaded: providers given up are left out of execution_providers (unless none would be left). */
  private withoutFailedProviders(params: unknown): unknown {
    const listed = (params as BaseParams).execution_providers;
    const kept = listed?.filter((p) => !this.givenUp(p));
    return kept?.length && kept.length < listed!.length ? { ...(params as object), execution_providers: kept } : params;
  }

  private async loadInto(host: PipelineHost, params: unknown): Promise<void> {
    const t0 = performance.now();
    const rss0 = process.memoryUsage().rss;
    this.loader = host;
    try {
      await host.load({ pipeline: this.opts.definition.name, module: this.opts.pipelineModule, params: this.withoutFailedProviders(params), logLevel: this.opts.log.level });
      this.modelBytes = Math.max(0, process.memoryUsage().rss - rss0);
      this.counts.loads++;
      this.load = { ms: performance.now() - t0, error: null };
      this.loadedParams = params;
      this.opts.log.info({ pipeline: this.opts.definition.name, ...host.requirements, provider: host.provider, ms: Math.round(this.load.ms) }, 'pipeline loaded');
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
    this.lastControl = undefined; // a new pipeline holds no control frame yet: it gets the latest again
    this.readyAt ||= performance.now();
    void old?.dispose();
  }

  /** Loads the new load-time parameters in a second worker while the current one keeps serving. */
  private async reload(): Promise<void> {
    const seq = ++this.reloads;
    void this.loader?.terminate();
    if (this.host && this.unloadsFirst()) {
      await this.unload();
      if (seq !== this.reloads || !this.running) return;
    }
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

  private unloadsFirst(): boolean {
    const strategy = (this.opts.store.snapshot as BaseParams).reload_strategy;
    return unloadsFirst(strategy, { provider: this.host?.provider, modelBytes: this.modelBytes, freeBytes: freemem() });
  }

  /** Releases the running model before a reload loads the next one; the outputs hold the last frame meanwhile. */
  private async unload(): Promise<void> {
    const old = this.host;
    this.host = undefined;
    this.opts.log.info({ provider: old?.provider, modelBytes: this.modelBytes, freeBytes: freemem() }, 'unloading the running model before the reload; holding the last frame');
    await old?.dispose();
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
    const now = performance.now();
    return {
      state: !this.running ? (this.loop ? 'stopped' : 'starting') : !this.host ? 'starting' : params.paused ? 'paused' : this.lastInput ? 'running' : 'waiting',
      frameCount: this.frameCount,
      fps: this.fpsMeter.fps(now),
      latencyMs: this.latency.ms,
      latencyFrames: this.latency.frames,
      failures: this.counts.failures,
      errors: { ...this.errors },
      outputFrames: this.counts.output,
      heldFrames: this.counts.held,
      droppedFrames: this.counts.dropped,
      warmupFrames: this.counts.warmup,
      failStreak: this.streak.frames > 0 ? { ...this.streak } : null,
      resets: { count: this.resets.count, lastReason: this.resets.lastReason, lastAgoMs: this.resets.count ? now - this.resets.lastAt : null },
      lastFrameAgeMs: this.lastFreshAt ? now - this.lastFreshAt : null,
      uptimeMs: this.startedAt ? now - this.startedAt : 0,
      sinceReadyMs: this.readyAt ? now - this.readyAt : null,
      stages: this.stageStats.summary(),
      queues: { inflight: this.inflight, inputWaiting: this.opts.source.latest() !== this.lastInput ? 1 : 0 },
      model: {
        pipeline: this.opts.definition.name, loaded: this.host !== undefined, loading: this.loader !== undefined,
        width: req?.width ?? 0, height: req?.height ?? 0,
        loads: this.counts.loads, loadFailures: this.counts.loadFailures, lastLoadMs: this.load.ms, lastLoadError: this.load.error,
        workerRestarts: this.counts.restarts,
        provider: this.host?.provider ?? null,
        failedProviders: this.failedProviders.map((f) => ({ ...f })),
        skippedProviders: [...(this.host?.skippedProviders ?? [])],
      },
      memory: { rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers },
      io: {
        source: { spec: this.opts.source.spec, ...this.opts.source.stats() },
        ...(this.opts.controlSource ? { control: { spec: this.opts.controlSource.spec, ...this.opts.controlSource.stats() } } : {}),
        sinks: this.outputs.stats(),
      },
    };
  }

  /** Stops the loop, releases the workers, closes the source, flushes the sinks. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    clearTimeout(this.cadenceTimer);
    // Not the loop first: a step that never returns ends only when its worker is disposed (bounded, PipelineHost).
    await Promise.all([this.loop, this.loader?.terminate(), this.host?.dispose()]);
    this.host = undefined;
    await this.opts.source.close();
    await this.opts.controlSource?.close();
    await this.outputs.closeAll();
  }
}
