import { quantile } from '../../engine/stage-stats.js';

export interface Timing {
  /** Frames per second. */
  fps: number;
  /** Mean and 95th percentile of the added latency per frame, ms. */
  latencyMs?: { mean: number; p95: number };
}

export function latencySummary(samples: number[]): { mean: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / Math.max(1, sorted.length);
  return { mean, p95: quantile(sorted, 0.95) };
}

/** A child of this Node, with the same loader flags (tsx in development), running a sibling module. */
export function siblingModule(base: string, name: string): string {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base).pathname;
}
