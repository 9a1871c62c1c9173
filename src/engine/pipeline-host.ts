import { EventEmitter } from 'node:events';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { SdliveError } from '../errors.js';
import type { Frame } from '../io/frame.js';
import { relayLogLine, silentLogger, type Logger } from '../log.js';
import type { Transfers } from '../models/sd-models.js';
import type { PipelineRequirements, StageTimings } from '../pipelines/pipeline.js';
import { fromWireError, ownedCopy, transferList, type FromWorker, type ToWorker } from './worker-protocol.js';

/** The worker module next to this one: .js once compiled, .ts under tsx. */
const WORKER_URL = new URL(`./pipeline-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * Node 20 does not run `--import tsx` hooks inside workers, so under tsx a small bootstrap registers tsx in
 * the worker first and then imports the TypeScript module.
 */
function startWorker(): Worker {
  // A worker's own process.env never reaches native code; onnxruntime's providers read variables (ORT_TENSORRT_*) from the real one.
  if (!WORKER_URL.pathname.endsWith('.ts')) return new Worker(WORKER_URL, { env: SHARE_ENV });
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); });`, { eval: true, env: SHARE_ENV });
}
const DISPOSE_TIMEOUT_MS = 1000;

/** Resolves when `p` settles or after `ms`, whichever comes first (a hung frame or thread never holds shutdown up). */
function atMost(p: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([p, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}

export interface LoadSpec {
  pipeline: string;
  /** Module URL exporting extra `pipelines` by name (test fakes); the registry is always searched too. */
  module?: string;
  params: unknown;
  logLevel: string;
}

export interface WorkerResult {
  frames: Frame[];
  stages: StageTimings;
  /** Time inside process() on the worker, ms. */
  ms: number;
  /** Warm-up output (ProcessResult.warmup): not a picture to show, count or record. */
  warmup: boolean;
  /** Host<->device transfers of the call (ProcessResult.transfers), where the pipeline counts them. */
  transfers?: Transfers;
}

interface Pending {
  resolve(r: WorkerResult): void;
  reject(e: Error): void;
}

/**
 * The main-thread side of one pipeline worker (see worker-protocol.ts). A worker that dies emits 'error'
 * once and fails whatever was pending; it is never reused.
 */
export class PipelineHost extends EventEmitter<{ error: [Error] }> {
  requirements: PipelineRequirements | undefined;
  /** The execution provider the loaded pipeline runs on, when it reports one. */
  provider: string | undefined;
  /** The providers tried before `provider`, each with why it did not start. */
  skippedProviders: string[] = [];
  private readonly worker = startWorker();
  private readonly pending = new Map<number, Pending>();
  private loaded: { resolve(r: PipelineRequirements): void; reject(e: Error): void } | undefined;
  private disposed: (() => void) | undefined;
  private nextId = 0;
  private lastFrame: Promise<void> = Promise.resolve();
  private dead = false;
  /** Input buffers the worker handed back, for the next copies (see ownedInput). */
  private readonly spares: ArrayBuffer[] = [];
  /** Output buffers the engine is done with, going back to the worker with the next frame. */
  private readonly doneOutputs: ArrayBuffer[] = [];

  /** `log`: where the worker's log lines go. */
  constructor(private readonly log: Logger = silentLogger) {
    super();
    this.worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    this.worker.on('error', (e) => this.die(new SdliveError('SDL_ERR_WORKER', `inference worker crashed: ${e.message}`)));
    this.worker.on('exit', (code) => this.die(new SdliveError('SDL_ERR_WORKER', `inference worker exited (code ${code})`)));
  }

  load(spec: LoadSpec): Promise<PipelineRequirements> {
    return new Promise((resolve, reject) => {
      this.loaded = { resolve, reject };
      this.send({ code: 'load', ...spec });
    });
  }

  /** A copy of `frame` that owns its buffer, ready to transfer: into a buffer the worker handed back when one fits. */
  ownedInput(frame: Frame): Frame {
    const i = this.spares.findIndex((b) => b.byteLength === frame.data.byteLength);
    if (i < 0) return ownedCopy(frame);
    const data = new Uint8Array(this.spares.splice(i, 1)[0]!);
    data.set(frame.data);
    return { width: frame.width, height: frame.height, timestamp: frame.timestamp, data };
  }

  /** Gives an output frame's buffer back to the worker for a later output; the caller no longer reads it. */
  recycleOutput(frame: Frame): void {
    const { buffer, byteOffset, byteLength } = frame.data;
    const whole = byteLength > 0 && byteOffset === 0 && byteLength === buffer.byteLength;
    if (whole && !this.doneOutputs.includes(buffer as ArrayBuffer) && this.doneOutputs.length < 4) this.doneOutputs.push(buffer as ArrayBuffer);
  }

  /**
   * Runs one step on the worker; the frames' buffers are transferred (the caller gives up these frames).
   * `reset` drops the pipeline's cross-frame state first.
   */
  process(frames: Frame[], params: unknown, reset = false): Promise<WorkerResult> {
    if (this.dead) return Promise.reject(new SdliveError('SDL_ERR_WORKER', 'inference worker is gone'));
    const id = this.nextId++;
    const result = new Promise<WorkerResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const outputs = this.doneOutputs.splice(0);
      this.worker.postMessage({ code: 'frame', id, frames, params, outputs, reset } satisfies ToWorker, [...transferList(frames), ...outputs]);
    });
    this.lastFrame = result.then(() => undefined, () => undefined);
    return result;
  }

  /** Lets the frame in flight finish, disposes the pipeline, ends the thread (each step forcibly after 1 s). */
  async dispose(): Promise<void> {
    if (this.dead) return;
    await atMost(this.lastFrame, DISPOSE_TIMEOUT_MS);
    if (!this.dead) {
      const disposed = new Promise<void>((resolve) => (this.disposed = resolve));
      this.send({ code: 'dispose' });
      await atMost(disposed, DISPOSE_TIMEOUT_MS);
    }
    await this.terminate();
  }

  /** Ends the thread now (a superseded load, shutdown); pending work fails quietly. */
  async terminate(): Promise<void> {
    this.dead = true;
    this.removeAllListeners('error');
    this.failPending(new SdliveError('SDL_ERR_WORKER', 'inference worker terminated'));
    // A thread stuck in a native call ends only when the call returns: shutdown does not wait for it, nor does exit.
    this.worker.unref();
    await atMost(this.worker.terminate(), DISPOSE_TIMEOUT_MS);
  }

  private send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.code) {
      case 'ready':
        this.requirements = msg.requirements;
        this.provider = msg.provider;
        this.skippedProviders = msg.skippedProviders ?? [];
        return this.loaded?.resolve(msg.requirements);
      case 'load-failed':
        return this.loaded?.reject(fromWireError(msg.error));
      case 'result':
        this.spares.splice(0, this.spares.length, ...msg.spare);
        return this.settle(msg.id, (p) => p.resolve({ frames: msg.frames, stages: msg.stages, ms: msg.ms, warmup: msg.warmup === true, ...(msg.transfers ? { transfers: msg.transfers } : {}) }));
      case 'frame-failed':
        return this.settle(msg.id, (p) => p.reject(fromWireError(msg.error)));
      case 'log':
        return relayLogLine(this.log, msg.line);
      case 'disposed':
        return this.disposed?.();
      default:
        this.die(new SdliveError('SDL_ERR_WORKER', `unknown message code from the worker: ${JSON.stringify((msg as { code: unknown }).code)}`));
    }
  }

  private settle(id: number, fn: (p: Pending) => void): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (p) fn(p);
  }

  private failPending(e: Error): void {
    this.loaded?.reject(e);
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private die(e: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.failPending(e);
    void this.worker.terminate();
    if (this.listenerCount('error')) this.emit('error', e);
  }
}
