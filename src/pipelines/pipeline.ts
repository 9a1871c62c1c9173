import type { z } from 'zod';
import type { Frame } from '../io/frame.js';
import type { Logger } from '../log.js';

/** What a loaded pipeline needs from the engine: input frames of this size, this many at a time. */
export interface PipelineRequirements {
  width: number;
  height: number;
  batch: number;
}

export interface PipelineContext {
  log: Logger;
}

/** A loaded pipeline: models resident, ready for frames. Created only by its definition's load(). */
export interface Pipeline<P> {
  /** Derived per-load facts; cheap, call any time. */
  prepare(): PipelineRequirements;
  /**
   * One step of the stream: `requirements.batch` frames in (already at the requested size), frames out.
   * Runtime parameters are read from `params` on every call; nothing is reloaded for them.
   */
  process(frames: readonly Frame[], params: Readonly<P>): Promise<Frame[]>;
  /** Releases sessions and buffers. The pipeline is unusable afterwards. */
  dispose(): Promise<void>;
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

export type PipelineParams<D extends PipelineDefinition> = z.output<D['schema']>;
