import { ERROR_CODES, SdliveError, type ErrorCode } from '../errors.js';
import type { Frame } from '../io/frame.js';
import type { Transfers } from '../models/sd-models.js';
import type { PipelineRequirements, StageTimings } from '../pipelines/pipeline.js';

/*
 * The inference worker protocol. One worker thread holds one loaded pipeline; a reload starts a second
 * worker and the engine swaps when it is ready.
 *
 *   main thread (PipelineHost)                          pipeline worker (pipeline-worker.ts)
 *   ───────────────────────────                         ───────────────────────────────────
 *   load   {pipeline, module?, params, logLevel} ──▶    look the definition up by name, definition.load()
 *          ◀── ready {requirements, provider?}  |  load-failed {error}
 *   frame  {id, frames (buffers transferred), params, outputs?, reset?} ─▶ pipeline.reset?() if reset, then
 *                                                        pipeline.process(frames, params)
 *          ◀── result {id, frames (transferred), stages, ms, warmup?}  |  frame-failed {id, error}
 *          ◀── log {line}  (any time: a pino JSON line, re-logged through the main thread's logger)
 *   dispose ──▶                                          pipeline.dispose()
 *          ◀── disposed                                  the thread exits
 *
 * - At most one `frame` is in flight per worker (latest-frame-wins lives on the main side, so nothing queues).
 * - `provider`: the execution provider the pipeline's sessions run on (Pipeline.provider), when it has one;
 *   `skippedProviders`: those tried before it, each with why it could not start (skippedProviders() in providers.ts).
 * - `reset`: drop the pipeline's cross-frame state before this frame (after a streak of non-finite results).
 * - `warmup`: the result is warm-up output (ProcessResult.warmup), not a picture to show or count.
 * - `params` is the store's frozen snapshot taken once for the frame: a prompt and its weight never tear.
 * - Frame pixels cross as transferred ArrayBuffers; each side sends a buffer it owns (no copies on arrival).
 * - `spare` hands the input frames' buffers back with the result (a pipeline does not keep its input frames
 *   past process()): the host copies the next input frames into them instead of allocating a megabyte a frame.
 * - Output frames the pipeline wrote into buffers from the worker's OutputPool are transferred without a copy;
 *   `outputs` gives such buffers back once the main thread no longer needs them (no sink reads them any more).
 * - An unknown code is a bug: the worker throws, which ends it ("this should not happen").
 * - A worker that dies (uncaught error, exit) becomes an 'error' event on the host; the engine restarts a
 *   worker with the last parameters that loaded and holds the last good frame meanwhile.
 */

export interface WireError {
  code?: string;
  message: string;
}

export type ToWorker =
  | { code: 'load'; pipeline: string; module?: string; params: unknown; logLevel: string }
  | { code: 'frame'; id: number; frames: Frame[]; params: unknown; outputs?: ArrayBuffer[]; reset?: boolean }
  | { code: 'dispose' };

export type FromWorker =
  | { code: 'ready'; requirements: PipelineRequirements; provider?: string; skippedProviders?: string[] }
  | { code: 'load-failed'; error: WireError }
  | { code: 'result'; id: number; frames: Frame[]; stages: StageTimings; ms: number; spare: ArrayBuffer[]; warmup?: boolean; transfers?: Transfers }
  | { code: 'frame-failed'; id: number; error: WireError }
  | { code: 'log'; line: string }
  | { code: 'disposed' };

/** The buffers to transfer with a message carrying these frames (each frame must own its whole buffer). */
export function transferList(frames: readonly Frame[]): ArrayBuffer[] {
  return frames.map((f) => f.data.buffer as ArrayBuffer);
}

/** A copy of a frame that owns its whole buffer, safe to transfer. */
export function ownedCopy(frame: Frame): Frame {
  return { width: frame.width, height: frame.height, timestamp: frame.timestamp, data: frame.data.slice() };
}

export function toWireError(e: unknown): WireError {
  return e instanceof SdliveError ? { code: e.code, message: e.message } : { message: e instanceof Error ? e.message : String(e) };
}

export function fromWireError(w: WireError): Error {
  return w.code && w.code in ERROR_CODES ? new SdliveError(w.code as ErrorCode, w.message) : new Error(w.message);
}
