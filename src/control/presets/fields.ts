import { z } from 'zod';
import { paramSpecs, type ParamSpec } from '../../schema/param-spec.js';
import { didYouMeanSuffix } from '../../util/did-you-mean.js';

/** A preset's parameters: a partial set of the pipeline's runtime values. */
export type PresetParams = Readonly<Record<string, unknown>>;

/** What is wrong with a preset's parameters: the path inside them (`delta`, `prompt.0.weight`) and why. */
export interface ParamsProblem {
  path: string;
  message: string;
}


/** A field's type without its default: in a partial preset a missing key stays missing. */
function withoutDefault(type: z.ZodType): z.ZodType {
  return type instanceof z.ZodDefault ? (type.unwrap() as z.ZodType) : type;
}

const pathOf = (path: readonly PropertyKey[]) => path.map(String).join('.');

/**
 * Which parameters a preset may hold, derived from the pipeline's schema: its runtime parameters, less the engine's
 * show controls (`show` in their metadata: fps_cap, paused, morph, tempo, blackout and fade are not a look; modulators
 * are). Validation goes through the schema's own field types.
 */
export class PresetFields {
  readonly keys: readonly string[];
  private readonly byKey: ReadonlyMap<string, ParamSpec>;
  private readonly partial: z.ZodType;
  private readonly defaults: Record<string, unknown>;

  constructor(private readonly schema: z.ZodType) {
    if (!(schema instanceof z.ZodObject)) throw new Error('presets need a pipeline schema that is a zod object');
    const all = paramSpecs(schema);
    this.byKey = new Map(all.map((s) => [s.key, s]));
    this.keys = all.filter((s) => s.phase === 'runtime' && !s.show).map((s) => s.key);
    const shape = schema.shape as Record<string, z.ZodType>;
    this.partial = z.strictObject(Object.fromEntries(this.keys.map((k) => [k, withoutDefault(shape[k]!).optional()])));
    this.defaults = Object.fromEntries(all.filter((s) => s.default !== undefined).map((s) => [s.key, s.default]));
  }

  /** Why this key cannot be in a preset, or undefined when it can. */
  private keyProblem(key: string): string | undefined {
    const spec = this.byKey.get(key);
    if (!spec) return `unknown parameter "${key}"${didYouMeanSuffix(key, this.keys)}`;
    if (spec.phase === 'load') return `${key} is a load-time parameter (it reloads the model): presets hold runtime parameters only`;
    if (spec.show) return `${key} is a show control, not part of a look: presets leave it alone`;
    return undefined;
  }

  /**
   * The preset's parameters as the schema reads them (entry defaults filled in), or the first problem: a key that
   * is not a preset field, a value out of its range, or a combination the schema refuses on top of the defaults.
   */
  check(params: Record<string, unknown>): { params: PresetParams } | { problem: ParamsProblem } {
    for (const key of Object.keys(params)) {
      const message = this.keyProblem(key);
      if (message) return { problem: { path: key, message } };
    }
    const parsed = this.partial.safeParse(params);
    if (!parsed.success) return { problem: { path: pathOf(parsed.error.issues[0]!.path), message: parsed.error.issues[0]!.message } };
    const whole = this.schema.safeParse({ ...this.defaults, ...(parsed.data as object) });
    if (!whole.success) return { problem: { path: pathOf(whole.error.issues[0]!.path), message: whole.error.issues[0]!.message } };
    return { params: parsed.data as PresetParams };
  }

  /** The preset fields of a full parameter state (what `preset/save` stores). */
  pick(state: Readonly<Record<string, unknown>>): PresetParams {
    return Object.fromEntries(this.keys.filter((k) => k in state).map((k) => [k, state[k]]));
  }
}
