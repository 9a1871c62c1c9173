import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { SdliveError } from '../errors.js';
import type { ChoiceSet } from '../schema/param.js';
import { paramSpecs, type ParamSpec } from '../schema/param-spec.js';
import { deepFreeze } from '../util/deep-freeze.js';
import { didYouMeanSuffix } from '../util/did-you-mean.js';

/** Who moved a parameter: shown in logs and used to avoid echoing feedback to its own sender. */
export type ChangeSource = 'config' | 'osc' | 'midi' | 'http' | 'web' | 'preset' | 'cli' | 'engine' | (string & {});

/** Sources on this machine (the config file, the command line, the engine itself); every other source is remote. */
const LOCAL_SOURCES: ReadonlySet<ChangeSource> = new Set(['config', 'cli', 'engine']);

/** The choice sets a schema's `remoteChoices` metadata names, by name. */
export type ChoiceSets = Readonly<Record<string, ChoiceSet>>;

export interface ParamChange<P> {
  keys: (keyof P & string)[];
  previous: Readonly<P>;
  current: Readonly<P>;
  source: ChangeSource;
  /** True when a load-time parameter moved: the pipeline must be reloaded. */
  reload: boolean;
}

export type SetResult<P> = { ok: true; current: Readonly<P> } | { ok: false; error: SdliveError };

/** A rejected parameter value as one line naming the field (the first zod issue). */
export function paramError(error: z.ZodError): SdliveError {
  const issue = error.issues[0]!;
  const field = issue.path.join('.');
  return new SdliveError('SDL_ERR_PARAM', `${field || '(root)'}: ${issue.message}`, field);
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The one place runtime parameter changes go through. Every change is validated against the whole schema
 * (so cross-field rules hold), then published as a new frozen snapshot: a frame reads one snapshot, so a prompt
 * and its weight never tear. A rejected change leaves the last good state untouched.
 */
export class ParameterStore<S extends z.ZodType> extends EventEmitter<{ change: [ParamChange<z.output<S>>] }> {
  readonly specs: readonly ParamSpec[];
  private readonly byKey: ReadonlyMap<string, ParamSpec>;
  private current: Readonly<z.output<S>>;

  constructor(readonly schema: S, initial: unknown = {}, private readonly choices: ChoiceSets = {}) {
    super();
    this.specs = paramSpecs(schema);
    this.byKey = new Map(this.specs.map((s) => [s.key, s]));
    const parsed = schema.safeParse(initial);
    if (!parsed.success) throw paramError(parsed.error);
    this.current = deepFreeze(parsed.data);
  }

  get snapshot(): Readonly<z.output<S>> {
    return this.current;
  }

  spec(key: string): ParamSpec | undefined {
    return this.byKey.get(key);
  }

  get<K extends keyof z.output<S>>(key: K): z.output<S>[K] {
    return this.current[key];
  }

  set(key: string, value: unknown, source: ChangeSource): SetResult<z.output<S>> {
    return this.update({ [key]: value }, source);
  }

  /** Applies several fields at once: all or nothing. */
  update(patch: Record<string, unknown>, source: ChangeSource): SetResult<z.output<S>> {
    for (const key of Object.keys(patch)) {
      if (!this.byKey.has(key)) {
        return { ok: false, error: new SdliveError('SDL_ERR_UNKNOWN_PARAM', `unknown parameter "${key}"${didYouMeanSuffix(key, [...this.byKey.keys()])}`, key) };
      }
    }
    if (!LOCAL_SOURCES.has(source)) {
      const refused = this.remoteRefusal(patch);
      if (refused) return { ok: false, error: refused };
    }
    const parsed = this.schema.safeParse({ ...(this.current as object), ...patch });
    if (!parsed.success) return { ok: false, error: paramError(parsed.error) };
    const previous = this.current;
    const next = parsed.data as z.output<S>;
    const keys = Object.keys(patch).filter((k) => !sameValue(previous[k as keyof typeof previous], next[k as keyof typeof next])) as (keyof z.output<S> & string)[];
    if (keys.length === 0) return { ok: true, current: previous };
    this.current = deepFreeze(next);
    const reload = keys.some((k) => this.byKey.get(k)?.phase === 'load');
    this.emit('change', { keys, previous, current: this.current, source, reload });
    return { ok: true, current: this.current };
  }

  /** The names a remote source may choose from for this parameter, when its schema limits them (ParamMeta.remoteChoices). */
  choiceNames(key: string): readonly string[] | undefined {
    const setName = this.byKey.get(key)?.remoteChoices;
    return setName === undefined ? undefined : (this.choices[setName]?.names() ?? []);
  }

  /**
   * A remote value for a field with `remoteChoices` must be one of that set's names; for a list, each entry's
   * main field (a LoRA's name) not already chosen. Keeping what is set is fine (a LoRA given as a path rescaled).
   */
  private remoteRefusal(patch: Record<string, unknown>): SdliveError | undefined {
    for (const [key, value] of Object.entries(patch)) {
      const spec = this.byKey.get(key)!;
      const current = this.current[key as keyof typeof this.current];
      if (spec.remoteChoices === undefined || sameValue(value, current)) continue;
      const set = this.choices[spec.remoteChoices];
      const kept = new Set(chosenNames(spec, current));
      for (const name of chosenNames(spec, value).filter((n) => !kept.has(n))) {
        const reason = set ? set.refusal(name) : 'cannot be set over the network on this engine';
        if (reason) return new SdliveError('SDL_ERR_PARAM', `${key}: ${reason}`, key);
      }
    }
    return undefined;
  }
}

/** The names a value chooses: itself, or the main field of each entry of a list (ParamSpec.entry). */
function chosenNames(spec: ParamSpec, value: unknown): string[] {
  if (!Array.isArray(value)) return [String(value)];
  const main = spec.entry?.main;
  return value.map((e: unknown) => String(main !== undefined && e !== null && typeof e === 'object' ? (e as Record<string, unknown>)[main] : e));
}
