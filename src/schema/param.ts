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
}

/** Attaches the UI and lifecycle metadata to a field; it travels into JSON Schema through zod's registry. */
export function param<T extends z.ZodType>(type: T, meta: ParamMeta): T {
  return type.meta({ ...meta }) as T;
}
