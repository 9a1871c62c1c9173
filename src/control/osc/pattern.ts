import { ControlError } from '../space/values.js';

const PATTERN_CHARS = /[*?[\]{}]/;

export const isPattern = (address: string) => PATTERN_CHARS.test(address);

/** Longer patterns, or ones with more wildcards (`*`, `?`, `[...]`, each `{...}` choice), are malformed. */
export const PATTERN_LIMITS = { chars: 256, wildcards: 64 } as const;

type Token =
  | { kind: 'char'; char: string }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'class'; negate: boolean; ranges: readonly (readonly [string, string])[] }
  | { kind: 'choice'; options: readonly string[] };

/** `[a-z0-9_]` body -> ranges; a `-` at either end is a literal minus (OSC 1.0). */
function classRanges(body: string, pattern: string): [string, string][] {
  const ranges: [string, string][] = [];
  for (let i = 0; i < body.length; i++) {
    const lo = body[i]!;
    const hi = body[i + 2];
    if (body[i + 1] === '-' && hi !== undefined) {
      if (hi < lo) throw new ControlError('malformed', `range ${lo}-${hi} is reversed in ${pattern}`);
      ranges.push([lo, hi]);
      i += 2;
    } else ranges.push([lo, lo]);
  }
  if (ranges.length === 0) throw new ControlError('malformed', `empty [] in ${pattern}`);
  return ranges;
}

function closing(pattern: string, open: number, char: ']' | '}'): number {
  const end = pattern.indexOf(char, open);
  if (end < 0) throw new ControlError('malformed', `unclosed ${pattern[open]} in ${pattern}`);
  return end;
}

/** One token starting at `i` and the index after it. */
function tokenAt(pattern: string, i: number): [Token, number] {
  const c = pattern[i]!;
  if (c === '*') return [{ kind: 'star' }, i + 1];
  if (c === '?') return [{ kind: 'any' }, i + 1];
  if (c === '[') {
    const end = closing(pattern, i, ']');
    const negate = pattern[i + 1] === '!';
    return [{ kind: 'class', negate, ranges: classRanges(pattern.slice(i + (negate ? 2 : 1), end), pattern) }, end + 1];
  }
  if (c === '{') {
    const end = closing(pattern, i, '}');
    return [{ kind: 'choice', options: pattern.slice(i + 1, end).split(',') }, end + 1];
  }
  return [{ kind: 'char', char: c }, i + 1];
}

const wildcardsOf = (t: Token) => (t.kind === 'char' ? 0 : t.kind === 'choice' ? t.options.length : 1);

function tokenize(pattern: string): Token[] {
  if (pattern.length > PATTERN_LIMITS.chars) throw new ControlError('malformed', `address pattern of ${pattern.length} characters is over the limit of ${PATTERN_LIMITS.chars}`);
  const tokens: Token[] = [];
  let wildcards = 0;
  for (let i = 0; i < pattern.length;) {
    const [token, next] = tokenAt(pattern, i);
    i = next;
    wildcards += wildcardsOf(token);
    if (token.kind !== 'star' || tokens.at(-1)?.kind !== 'star') tokens.push(token);
  }
  if (wildcards > PATTERN_LIMITS.wildcards) throw new ControlError('malformed', `address pattern with ${wildcards} wildcards is over the limit of ${PATTERN_LIMITS.wildcards}`);
  return tokens;
}

const inClass = (t: Extract<Token, { kind: 'class' }>, c: string) => t.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== t.negate;

/**
 * An OSC 1.0 address pattern (`*`, `?`, `[a-z]`, `[!a]`, `{foo,bar}`), matched without backtracking: the set of
 * pattern positions reachable after each address character is tracked, so a match costs at most
 * pattern length x address length steps whatever the pattern. Wildcards never match `/`.
 */
export class OscPattern {
  private readonly tokens: readonly Token[];

  /** Throws a `malformed` ControlError for bad syntax or a pattern over PATTERN_LIMITS. */
  constructor(readonly pattern: string) {
    this.tokens = tokenize(pattern);
  }

  matches(address: string): boolean {
    const width = this.tokens.length + 1;
    const reached = new Uint8Array((address.length + 1) * width);
    const reach = (at: number, t: number) => void (reached[at * width + t] = 1);
    reach(0, 0);
    for (let at = 0; at <= address.length; at++) {
      for (let t = 0; t < this.tokens.length; t++) if (reached[at * width + t]) this.step(t, address, at, reach);
    }
    return reached[address.length * width + this.tokens.length] === 1;
  }

  /** Calls `reach(position, token)` for each state token `t` at address position `at` leads to. */
  private step(t: number, address: string, at: number, reach: (at: number, t: number) => void): void {
    const token = this.tokens[t]!;
    const c = address[at];
    if (token.kind === 'star') reach(at, t + 1);
    if (token.kind === 'choice') {
      for (const option of token.options) if (address.startsWith(option, at)) reach(at + option.length, t + 1);
      return;
    }
    if (c === undefined) return;
    if (token.kind === 'char') {
      if (c === token.char) reach(at + 1, t + 1);
    } else if (c !== '/') {
      if (token.kind === 'star') reach(at + 1, t);
      else if (token.kind === 'any' || inClass(token, c)) reach(at + 1, t + 1);
    }
  }
}
