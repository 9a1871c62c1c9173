import type { ParamSpec } from '../../schema/param-spec.js';
import { clamp01, type OscArg } from './values.js';

export type Params = Readonly<Record<string, unknown>>;
export type Patch = Record<string, unknown>;

/** The 0..1 view of an address, for /sdlive/norm/..., MIDI controls and hosts that only send 0..1. */
export interface UnitView {
  get(p: Params): number;
  patch(p: Params, x: number): Patch;
  /** For linear views: the native values at 0 and 1 (the parameter's norm range, else its schema range). */
  readonly range?: readonly [number, number];
}

/** One OSC address of the control surface, derived from a parameter of the schema. */
export interface ControlAddress {
  /** Full OSC address, e.g. /sdlive/prompts/1/weight. */
  readonly path: string;
  /** Address relative to the root, used by mapping files and learn: delta, prompts/1/weight, norm/delta. */
  readonly target: string;
  readonly spec: ParamSpec;
  /** OSC type tag of one value, as OSCQuery's TYPE reports it. */
  readonly type: 'f' | 'i' | 's' | 'T';
  /** Whether the value is a list of `type` (TYPE repeats it per item). */
  readonly list?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly description: string;
  readonly unit?: string;
  /** Accepts "+", "-", "*" relative changes. */
  readonly numeric: boolean;
  /** False for action addresses that have no value to read. */
  readonly readable: boolean;
  read(p: Params): OscArg[];
  /** The store patch these arguments ask for; throws ControlError when they cannot mean anything. */
  write(p: Params, args: readonly OscArg[]): Patch;
  readonly unitView?: UnitView;
}

/** Linear 0..1 view of a bounded number. */
export function linearView(min: number, max: number, get: (p: Params) => number, set: (p: Params, v: number) => Patch): UnitView {
  return {
    range: [min, max],
    get: (p) => (max === min ? 0 : clamp01((get(p) - min) / (max - min))),
    patch: (p, x) => set(p, min + clamp01(x) * (max - min)),
  };
}

/** 0..1 split into equal bins, one per choice (enum values, booleans). */
export function binView(count: number, get: (p: Params) => number, set: (p: Params, index: number) => Patch): UnitView {
  return {
    get: (p) => (count <= 1 ? 0 : get(p) / (count - 1)),
    patch: (p, x) => set(p, Math.min(count - 1, Math.floor(clamp01(x) * count))),
  };
}
