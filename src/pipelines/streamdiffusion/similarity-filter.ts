/**
 * Stochastic similarity filter (image_filter.py): the more an input resembles the last PROCESSED input, the
 * likelier it is skipped (the previous output is shown again); after max_skip_frames skips one is processed anyway.
 */
export interface SimilaritySettings {
  threshold: number;
  maxSkipFrames: number;
}

const COSINE_EPS = 1e-6;

export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < a.length; j++) {
    dot += a[j]! * b[j]!;
    na += a[j]! * a[j]!;
    nb += b[j]! * b[j]!;
  }
  return dot / Math.max(Math.sqrt(na) * Math.sqrt(nb), COSINE_EPS);
}

/** 0 at or below the threshold's distance, rising to 1 for identical inputs; 0 when threshold >= 1. */
export function skipProbability(cos: number, threshold: number): number {
  return threshold >= 1 ? 0 : Math.max(0, 1 - (1 - cos) / (1 - threshold));
}

export class SimilarityFilter {
  private previous: Float32Array | undefined;
  private skipCount = 0;

  /** `random` draws u ~ U(0,1); injectable so tests can fix it. */
  constructor(private readonly random: () => number = Math.random) {}

  /** Whether to skip this input; when it is processed it becomes the reference for the next one. */
  shouldSkip(input: Float32Array, settings: SimilaritySettings): boolean {
    if (this.previous && this.previous.length === input.length) {
      const p = skipProbability(cosineSimilarity(this.previous, input), settings.threshold);
      if (p >= this.random()) {
        if (this.skipCount <= settings.maxSkipFrames) {
          this.skipCount++;
          return true;
        }
        this.skipCount = 0;
      }
    }
    this.previous = input.slice();
    return false;
  }

  reset(): void {
    this.previous = undefined;
    this.skipCount = 0;
  }
}
