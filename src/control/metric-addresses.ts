import type { EngineMetrics } from '../engine/engine.js';
import { health } from '../engine/health.js';
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

/** The metrics every engine reports; stage timings come on top, one per stage the engine names (`stageMetrics`). */
export const METRIC_ADDRESSES: readonly MetricAddress[] = [
  { target: 'fps', types: 'f', unit: 'fps', description: 'Fresh output frames per second (last 2 s)', read: (m) => [m.fps] },
  { target: 'frame_count', types: 'i', description: 'Fresh output frames since start', read: (m) => [m.frameCount] },
  { target: 'latency_ms', types: 'f', unit: 'ms', description: 'Capture-to-output delay of the last fresh frame', read: (m) => [m.latencyMs] },
  { target: 'latency_frames', types: 'i', unit: 'frames', description: 'Capture-to-output delay of the last fresh frame, in input frames', read: (m) => [m.latencyFrames] },
  { target: 'dropped_frames', types: 'i', unit: 'frames', description: 'Input frames skipped while the pipeline was busy', read: (m) => [m.droppedFrames] },
  { target: 'queue/inflight', types: 'i', description: 'Frames in the pipeline now (0 or 1)', read: (m) => [m.queues.inflight] },
  { target: 'memory_mb', types: 'f', unit: 'MiB', description: 'Resident memory (RSS) of the process', read: (m) => [m.memory.rss / MIB] },
  { target: 'health', types: 'ss', description: 'GET /health status and reason', read: (m) => healthArgs(health(m)) },
];

function healthArgs(h: ReturnType<typeof health>): OscArg[] {
  return [h.status, h.reason];
}

/** `stage/<stage>_ms` for every stage the engine reports now (receive, preprocess, text, unet, ..., send). */
export function stageMetrics(m: EngineMetrics): MetricAddress[] {
  return Object.keys(m.stages).map((stage) => ({
    target: `stage/${stage}_ms`, types: 'f', unit: 'ms', description: `Median time of the ${stage} stage over the last 240 frames`,
    read: (x) => [x.stages[stage]?.median ?? 0],
  }));
}
