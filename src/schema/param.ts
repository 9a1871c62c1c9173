import { z } from 'zod';

/** When a change takes effect: `load` reloads models and resets state, `runtime` applies on the next frame. */
export type ParamPhase = 'load' | 'runtime';

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
}

/** Named values a remote source may choose from, e.g. the models the engine knows. */
export interface ChoiceSet {
  names(): readonly string[];
  /** Why `value` cannot be chosen (unknown, or known but not available), or undefined when it can. */
  refusal(value: string): string | undefined;
}

/** Attaches the UI and lifecycle metadata to a field; it travels into JSON Schema through zod's registry. */
export function param<T extends z.ZodType>(type: T, meta: ParamMeta): T {
  return type.meta({ ...meta }) as T;
}
