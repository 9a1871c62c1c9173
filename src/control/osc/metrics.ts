import type { MetricFamily, MetricLabels } from '../../http/metrics.js';
import type { OscServer, OscStats } from './server.js';

/** The OSC listeners' counters for `/metrics`, labelled by listener (`osc`, `streamdiffusiontd`). */
export function oscMetricFamilies(listeners: ReadonlyMap<string, OscServer>): MetricFamily[] {
  const each = (f: (s: OscStats) => number): [MetricLabels, number][] => [...listeners].map(([listener, s]) => [{ listener }, f(s.stats)]);
  const failures = [...listeners].flatMap(([listener, s]) => Object.entries(s.stats.failures).map(([reason, n]): [MetricLabels, number] => [{ listener, reason }, n]));
  return [
    { name: 'osc_packets_total', type: 'counter', help: 'OSC packets received (UDP datagrams and OSCQuery WebSocket frames).', samples: each((s) => s.packets) },
    { name: 'osc_messages_total', type: 'counter', help: 'OSC messages received, bundles unpacked.', samples: each((s) => s.messages) },
    { name: 'osc_applied_total', type: 'counter', help: 'OSC messages applied to a parameter.', samples: each((s) => s.applied) },
    { name: 'osc_queries_total', type: 'counter', help: 'OSC "?" queries answered.', samples: each((s) => s.queries) },
    { name: 'osc_ignored_total', type: 'counter', help: 'OSC messages dropped by a mapping file\'s ignore patterns (a host\'s own chatter).', samples: each((s) => s.ignored) },
    { name: 'osc_failures_total', type: 'counter', help: 'OSC messages refused, by reason (answered with /sdlive/error).', samples: failures },
  ];
}

/** MIDI messages and mapping-file loads refused, for `/metrics` next to the OSC failures. */
export function controlFailureFamilies(counts: { midi: number; mappings: number }): MetricFamily[] {
  return [
    { name: 'midi_failures_total', type: 'counter', help: 'MIDI messages refused (failed binding, value rejected).', samples: [[{}, counts.midi]] },
    { name: 'mapping_failures_total', type: 'counter', help: 'Mapping-file loads and hot reloads that failed (the previous version stays active).', samples: [[{}, counts.mappings]] },
  ];
}
