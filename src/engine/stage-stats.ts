/** Summary of one stage over the recent window, ms. */
export interface StageSummary {
  last: number;
  median: number;
  p95: number;
  count: number;
}

/** The q-quantile (0..1) of ascending samples, nearest rank; 0 when there are none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The last `size` samples per stage name (a fixed ring, so memory never grows with run time). */
export class StageStats {
  private readonly windows = new Map<string, { samples: number[]; next: number; last: number }>();

  constructor(private readonly size = 240) {}

  record(stage: string, ms: number): void {
    if (!Number.isFinite(ms)) return;
    let w = this.windows.get(stage);
    if (!w) this.windows.set(stage, (w = { samples: [], next: 0, last: 0 }));
    w.samples[w.next] = ms;
    w.next = (w.next + 1) % this.size;
    w.last = ms;
  }

  recordAll(stages: Readonly<Record<string, number>>): void {
    for (const [stage, ms] of Object.entries(stages)) this.record(stage, ms);
  }

  summary(): Record<string, StageSummary> {
    return Object.fromEntries([...this.windows].map(([stage, w]) => {
      const sorted = [...w.samples].sort((a, b) => a - b);
      return [stage, { last: w.last, median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), count: sorted.length }];
    }));
  }

  clear(): void {
    this.windows.clear();
  }
}
