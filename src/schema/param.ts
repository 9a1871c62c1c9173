import { z } from 'zod';

/** When a change takes effect: `load` reloads models and resets state, `runtime` applies on the next frame. */
export type ParamPhase = 'load' | 'runtime';

/** The native values at the two ends of a parameter's 0..1 control (`/sdlive/norm/...`, MIDI knobs, Resolume's 0..1). */
export interface NormRange {
  min: number;
  max: number;
}

/** What the single value of a "scalar or weighted list" parameter is. */
export type WeightedListKind = 'prompt' | 'seed' | 'lora';

export interface ParamMeta {
  label: string;
  group: string;
  order: number;
  phase: ParamPhase;
  description: string;
  unit?: string;
  /**
   * Remote sources (OSC, HTTP, WebSocket, MIDI) may only set one of the names in this choice set (ChoiceSet,
   * given to the ParameterStore by name); the config file and the command line may set any valid value.
   */
  remoteChoices?: string;
  /** The range a 0..1 control covers when the schema's own range is too wide for a knob (default: the schema range). */
  norm?: NormRange;
  /** Required for a union of a scalar and a list of entry objects: what the scalar is. */
  kind?: WeightedListKind;
  /** A show control (transport, tempo, the outputs' fade), not part of a look: presets leave it alone. */
  show?: true;
}

/** A remoteChoices set no store is given: remote sources cannot change the field (a folder on this machine, say). */
export const LOCAL_ONLY = 'local-only';

/** Named values a remote source may choose from, e.g. the models the engine knows. */
export interface ChoiceSet {
  names(): readonly string[];
  /** Why `value` cannot be chosen (unknown, or known but not available), or undefined when it can. */
  refusal(value: string): string | undefined;
}

/** The 0..1 control range of a list entry's number field (a prompt's weight), attached like param() metadata. */
export function normRange<T extends z.ZodType>(type: T, norm: NormRange): T {
  return type.meta({ norm }) as T;
}

/** Attaches the UI and lifecycle metadata to a field; it travels into JSON Schema through zod's registry. */
export function param<T extends z.ZodType>(type: T, meta: ParamMeta): T {
  return type.meta({ ...meta }) as T;
}
