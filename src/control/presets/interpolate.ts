import { normalizeWeights } from '../../pipelines/streamdiffusion/blend.js';
import type { ParamSpec } from '../../schema/param-spec.js';
import type { PresetParams } from './fields.js';

/** Where discrete values (enums, booleans, texts, lists of another length) switch during a morph. */
const SWITCH_AT = 0.5;

const lerp = (a: number, b: number, t: number) => a + (b - a) * t;

type Entry = Record<string, unknown>;

/** The entries of a scalar-or-list value (a prompt string is one entry at weight 1), with the shares blending gives them. */
function normalisedEntries(value: unknown, main: string, weight: string): { key: unknown; w: number }[] {
  const list: Entry[] = Array.isArray(value) ? (value as Entry[]) : [{ [main]: value, [weight]: 1 }];
  const shares = normalizeWeights(list.map((e) => e[weight] as number));
  return list.map((e, i) => ({ key: e[main], w: shares[i]! }));
}

/**
 * A crossfade of two weighted lists as ONE list: the old entries at (1 - t) of their share, the new ones at t of
 * theirs, an entry in both (same text or seed) at the sum. Undefined when the union is longer than the schema allows.
 */
function crossfade(spec: ParamSpec, a: unknown, b: unknown, t: number): Entry[] | undefined {
  const { main, fields } = spec.entry!;
  const weight = fields.find((f) => f.key !== main && f.kind === 'number')!.key;
  const merged = new Map<unknown, number>();
  for (const [value, share] of [[a, 1 - t], [b, t]] as const) {
    for (const e of normalisedEntries(value, main, weight)) merged.set(e.key, (merged.get(e.key) ?? 0) + e.w * share);
  }
  if (spec.maxItems !== undefined && merged.size > spec.maxItems) return undefined;
  return [...merged].map(([key, w]) => ({ [main]: key, [weight]: w }));
}

/** One parameter's value a fraction `t` of the way from `a` to `b` (exactly `a` at 0 and `b` at 1). */
export function valueBetween(spec: ParamSpec, a: unknown, b: unknown, t: number): unknown {
  if (t <= 0) return a;
  if (t >= 1) return b;
  const discrete = t < SWITCH_AT ? a : b;
  switch (spec.kind) {
    case 'number': return lerp(a as number, b as number, t);
    case 'integer': return Math.round(lerp(a as number, b as number, t));
    case 'int_list': {
      const [x, y] = [a as number[], b as number[]];
      return x.length === y.length ? x.map((v, i) => Math.round(lerp(v, y[i]!, t))) : discrete;
    }
    case 'prompt':
    case 'seed': return crossfade(spec, a, b, t) ?? discrete;
    default: return discrete;
  }
}

/** Every parameter of `to` a fraction `t` of the way from the values in `from`. */
export function morphPatch(specs: ReadonlyMap<string, ParamSpec>, from: PresetParams, to: PresetParams, t: number): Record<string, unknown> {
  return Object.fromEntries(Object.entries(to).map(([key, b]) => [key, valueBetween(specs.get(key)!, from[key], b, t)]));
}
