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

const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Serves the last value of the same shape while a new one is still being computed: a value ready within the
 * current turn (a cached prompt) is taken at once; a slower one (a text encoder run) replaces the old one from
 * the first call after it is ready. A computation that fails after the old value was served is reported by the
 * next call, once.
 */
export class ServeWhilePending<V> {
  private served: { shape: string; value: V } | undefined;
  private failure: { pending: Promise<V>; error: unknown } | undefined;

  async get(pending: Promise<V>, shape: unknown): Promise<V> {
    const key = JSON.stringify(shape);
    const failure = this.failure;
    this.failure = undefined;
    if (failure && failure.pending !== pending) throw failure.error;
    const old = this.served?.shape === key ? this.served : undefined;
    const value = old ? await Promise.race([pending, nextMacrotask().then(() => old.value)]) : await pending;
    if (old && value === old.value) pending.catch((error: unknown) => (this.failure = { pending, error }));
    else this.served = { shape: key, value };
    return value;
  }
}
