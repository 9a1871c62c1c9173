import { SdliveError } from '../errors.js';

/** The part of a spec after "scheme:", split into its main part and its ?key=value options. */
export interface SpecTarget {
  /** Everything before the first "?" (a name, a path or a URL without sdlive's own options). */
  readonly path: string;
  readonly options: ReadonlyMap<string, string>;
}

/**
 * Splits "name?raw=1&width=512". Options are only taken when every pair is key=value with a known key, so
 * a URL that carries its own query (srt://host:9000?mode=caller) keeps it.
 */
export function parseTarget(target: string, knownKeys: readonly string[]): SpecTarget {
  const q = target.lastIndexOf('?');
  if (q < 0) return { path: target, options: new Map() };
  const pairs = target.slice(q + 1).split('&').map((p) => p.split('=') as [string, string | undefined]);
  if (!pairs.every(([k, v]) => v !== undefined && knownKeys.includes(k))) return { path: target, options: new Map() };
  return { path: target.slice(0, q), options: new Map(pairs.map(([k, v]) => [k, decodeURIComponent(v!)])) };
}

export function intOption(target: SpecTarget, key: string, fallback: number): number {
  const raw = target.options.get(key);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `option ${key}=${raw}: expected a positive integer`);
  return n;
}

/** An on/off option: "0" and "false" are off, any other value on, and an absent one is `fallback`. */
export function flagOption(target: SpecTarget, key: string, fallback = false): boolean {
  const raw = target.options.get(key);
  if (raw === undefined) return fallback;
  return raw !== '0' && raw !== 'false';
}
