function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** ` (did you mean "x"?)` for a likely typo, else ''; `decorate` shapes the suggestion (e.g. adds the ':' of a scheme). */
export function didYouMeanSuffix(name: string, candidates: readonly string[], decorate = (hint: string) => hint): string {
  const hint = didYouMean(name, candidates);
  return hint ? ` (did you mean "${decorate(hint)}"?)` : '';
}

/** The closest candidate to a mistyped name, if one is close enough to be a likely typo. */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(2, Math.ceil(name.length * 0.4)) ? best.c : undefined;
}
