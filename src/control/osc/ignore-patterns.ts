import { OscPattern } from './pattern.js';

const CACHED_ADDRESSES = 1024;

/** The address and each leading part of it at a `/`: `/a/b/c` -> `/a`, `/a/b`, `/a/b/c`. */
function leadingParts(address: string): string[] {
  const parts: string[] = [];
  for (let i = address.indexOf('/', 1); i > 0; i = address.indexOf('/', i + 1)) parts.push(address.slice(0, i));
  parts.push(address);
  return parts;
}

/**
 * Address patterns a mapping file ignores (a host's own chatter): a pattern covers the addresses it matches
 * and everything below them, so `/composition` drops `/composition/layers/1/video/opacity`.
 */
export class IgnorePatterns {
  private readonly patterns: readonly OscPattern[];
  private readonly verdicts = new Map<string, boolean>();

  /** Throws a `malformed` ControlError for a pattern that is not one (mapping files are checked with it). */
  constructor(patterns: readonly string[]) {
    this.patterns = patterns.map((p) => new OscPattern(p));
  }

  get size(): number {
    return this.patterns.length;
  }

  covers(address: string): boolean {
    if (this.patterns.length === 0) return false;
    let verdict = this.verdicts.get(address);
    if (verdict === undefined) {
      const parts = leadingParts(address);
      verdict = this.patterns.some((p) => parts.some((part) => p.matches(part)));
      if (this.verdicts.size >= CACHED_ADDRESSES) this.verdicts.clear();
      this.verdicts.set(address, verdict);
    }
    return verdict;
  }
}
