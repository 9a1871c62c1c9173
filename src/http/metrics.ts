export type MetricLabels = Record<string, string | number>;

/** One Prometheus metric family; `name` is given without the `sdlive_` prefix. */
export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'summary';
  help: string;
  samples: readonly [MetricLabels, number][];
}

export type MetricsContributor = () => readonly MetricFamily[];

/** Metric families that plugins (OSC, MIDI, ...) add to `/metrics` next to the engine's own, read at each scrape. */
export class MetricsRegistry {
  private readonly contributors = new Set<MetricsContributor>();

  /** Adds a contributor; returns the function that removes it. */
  add(contributor: MetricsContributor): () => void {
    this.contributors.add(contributor);
    return () => this.contributors.delete(contributor);
  }

  families(): MetricFamily[] {
    return [...this.contributors].flatMap((c) => c());
  }
}
