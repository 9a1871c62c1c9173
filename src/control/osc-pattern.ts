const PATTERN_CHARS = /[*?[\]{}]/;

export const isPattern = (address: string) => PATTERN_CHARS.test(address);

/** Compiles an OSC 1.0 address pattern (`*`, `?`, `[a-z]`, `[!a]`, `{foo,bar}`) to an anchored RegExp. */
export function patternToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) throw new Error(`unclosed [ in ${pattern}`);
      const body = pattern.slice(i + 1, end);
      const negate = body.startsWith('!');
      out += `[${negate ? '^' : ''}${(negate ? body.slice(1) : body).replace(/[\\^\]]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) throw new Error(`unclosed { in ${pattern}`);
      out += `(?:${pattern.slice(i + 1, end).split(',').map(escapeRegExp).join('|')})`;
      i = end;
    } else out += escapeRegExp(c);
  }
  return new RegExp(`^${out}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
