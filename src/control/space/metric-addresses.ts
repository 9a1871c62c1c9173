import type { EngineMetrics } from '../../engine/engine.js';
import { health } from '../../engine/health.js';
import type { OscArg } from './values.js';

/** One engine metric as an OSC address below the root: sent by the heartbeat, listed by OSCQuery. */
export interface MetricAddress {
  /** Below the root: `fps`, `stage/unet_ms`. */
  target: string;
  /** OSC type tags, one per argument (`ss` for health). */
  types: string;
  description: string;
  unit?: string;
  read(m: EngineMetrics): OscArg[];
}

const MIB = 1024 * 1024;

/** What the last frames did. */
const FRAME_METRICS: readonly MetricAddress[] = [
  { target: 'fps', types: 'f', unit: 'fps', description: 'Fresh output frames per second (last 2 s)', read: (m) => [m.fps] },
  { target: 'frame_count', types: 'i', description: 'Fresh output frames since start', read: (m) => [m.frameCount] },
  { target: 'latency_ms', types: 'f', unit: 'ms', description: 'Capture-to-output delay of the last fresh frame', read: (m) => [m.latencyMs] },
  { target: 'latency_frames', types: 'i', unit: 'frames', description: 'Capture-to-output delay of the last fresh frame, in input frames', read: (m) => [m.latencyFrames] },
  { target: 'dropped_frames', types: 'i', unit: 'frames', description: 'Input frames skipped while the pipeline was busy', read: (m) => [m.droppedFrames] },
];

/** The engine's state now. */
const STATE_METRICS: readonly MetricAddress[] = [
  { target: 'queue/inflight', types: 'i', description: 'Frames in the pipeline now (0 or 1)', read: (m) => [m.queues.inflight] },
  { target: 'memory_mb', types: 'f', unit: 'MiB', description: 'Resident memory (RSS) of the process', read: (m) => [m.memory.rss / MIB] },
  { target: 'health', types: 'ss', description: 'GET /health status and reason', read: (m) => {
    const h = health(m);
    return [h.status, h.reason];
  } },
];

/** The metrics every engine reports (OSCQuery's metric nodes); the heartbeat adds the stage timings. */
export const METRIC_ADDRESSES: readonly MetricAddress[] = [...FRAME_METRICS, ...STATE_METRICS];

/** What one heartbeat sends: the metrics, with a `stage/<stage>_ms` for every stage the engine reports now. */
export function heartbeatMetrics(m: EngineMetrics): MetricAddress[] {
  return [...FRAME_METRICS, ...stageMetrics(m), ...STATE_METRICS];
}

/** `stage/<stage>_ms` for every stage the engine reports now (receive, preprocess, text, unet, ..., send). */
function stageMetrics(m: EngineMetrics): MetricAddress[] {
  return Object.keys(m.stages).map((stage) => ({
    target: `stage/${stage}_ms`, types: 'f', unit: 'ms', description: `Median time of the ${stage} stage over the last 240 frames`,
    read: (x) => [x.stages[stage]?.median ?? 0],
  }));
}
