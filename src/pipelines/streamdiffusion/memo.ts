/**
 * A value derived from some inputs, recomputed only when those inputs change (compared as JSON). A rejected
 * promise is forgotten so the next call retries.
 */
export class Derived<V> {
  private key: string | undefined;
  private value: V | undefined;

  get(inputs: unknown, compute: () => V): V {
    const key = JSON.stringify(inputs);
    if (key !== this.key || this.value === undefined) {
      const value = compute();
      this.key = key;
      this.value = value;
      if (value instanceof Promise) value.catch(() => this.value === value && (this.key = undefined));
    }
    return this.value;
  }
}
