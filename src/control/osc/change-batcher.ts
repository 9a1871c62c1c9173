/**
 * Collects changed parameter keys and hands them over once per event-loop turn, so a bundle that moves fifty
 * values produces one round of feedback, not fifty.
 */
export class ChangeBatcher {
  private readonly pending = new Set<string>();
  private scheduled = false;

  constructor(private readonly flush: (keys: ReadonlySet<string>) => void) {}

  add(keys: readonly string[]): void {
    for (const k of keys) this.pending.add(k);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = new Set(this.pending);
      this.pending.clear();
      this.flush(batch);
    });
  }
}
