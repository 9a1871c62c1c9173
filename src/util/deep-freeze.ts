/** Freezes `o` and everything reachable from it, so no nested field of a shared value can be changed in place. */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.values(o).forEach(deepFreeze);
    Object.freeze(o);
  }
  return o;
}
