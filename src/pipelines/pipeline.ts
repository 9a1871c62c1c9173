import type { z } from 'zod';
import type { Frame } from '../io/frame.js';
import type { Logger } from '../log.js';
import type { Transfers } from '../models/sd-models.js';

/** What a loaded pipeline needs from the engine: input frames of this size, this many at a time. */
export interface PipelineRequirements {
  width: number;
  height: number;
  batch: number;
}

export interface PipelineContext {
  log: Logger;
  /** Output buffers the engine hands over without a copy (see OutputBuffers); absent outside the worker. */
  outputBuffers?: OutputBuffers;
}

/**
 * Buffers a pipeline may write its output frames into. A frame whose data is a whole buffer from take() is
 * handed to the engine as it is (no copy): the pipeline must not read or write it after returning it.
 */
export interface OutputBuffers {
  take(byteLength: number): Uint8Array;
}

/**
 * Milliseconds per stage of one process() call. Session stages use the names 'text', 'encode', 'unet',
 * 'decode', 'to_tensor' / 'to_frame' for the pixel processor graphs and 'feedback' for the image feedback graph (time inside onnxruntime's run());
 * other names ('preprocess', 'postprocess', ...) are the pipeline's own work. The engine and `sdlive bench`
 * report them.
 */
export type StageTimings = Readonly<Record<string, number>>;

/** Session stages: their sum is the raw onnxruntime time the engine's overhead is measured against ('step': the device path's step graphs). */
export const SESSION_STAGES = ['text', 'encode', 'unet', 'decode', 'to_tensor', 'to_frame', 'feedback', 'step'] as const;

/**
 * What process() returns: the output frames (a plain Frame[] is fine), optionally with the stage timings.
 * A result that is not finite (NaN/Inf in a tensor) must never become a frame: throw
 * SdliveError('SDL_ERR_NONFINITE') instead; the engine holds the last good frame and counts it.
 * `warmup`: the frames are not real pictures yet (Stream Batch's first n-1 outputs come from zeroed buffers);
 * the engine keeps showing what it showed before and does not count or record them.
 * `transfers`: host<->device tensors and bytes during this call (SdModels.takeTransfers), for `sdlive bench`.
 */
export type ProcessResult = Frame[] & { stages?: StageTimings; warmup?: boolean; transfers?: Transfers };

/** A loaded pipeline: models resident, ready for frames. Created only by its definition's load(). */
export interface Pipeline<P> {
  /** Derived per-load facts; cheap, call any time. */
  prepare(): PipelineRequirements;
  /**
   * One step of the stream: `requirements.batch` frames in (already at the requested size), frames out.
   * Runtime parameters are read from `params` on every call; nothing is reloaded for them.
   */
  process(frames: readonly Frame[], params: Readonly<P>): Promise<ProcessResult>;
  /** Releases sessions and buffers. The pipeline is unusable afterwards. */
  dispose(): Promise<void>;
  /** The execution provider its sessions run on, when it has any: the engine falls back from one that fails every frame. */
  readonly provider?: string;
  /** Drops the state carried across frames (the engine calls it after a streak of non-finite results). */
  reset?(): void;
}

/**
 * A kind of pipeline: its parameter schema (the single source for OSC, OSCQuery, mappings and the web page)
 * and how to load it from the load-time parameters.
 */
export interface PipelineDefinition<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly schema: S;
  load(params: Readonly<z.output<S>>, ctx: PipelineContext): Promise<Pipeline<z.output<S>>>;
}

