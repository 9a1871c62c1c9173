import type { EngineMetrics } from './engine.js';

export type HealthStatus = 'ok' | 'paused' | 'starting' | 'stalled' | 'stopped';

export interface Health {
  status: HealthStatus;
  /** 200 when frames flow (or the operator paused), 503 otherwise. */
  httpStatus: 200 | 503;
  reason: string;
  fps: number;
  lastFrameAgeMs: number | null;
  model: EngineMetrics['model'];
}

/** No fresh frame for this long counts as stalled: 2 s, or 4 median frame times for slow models. */
export function stallAfterMs(m: EngineMetrics): number {
  return Math.max(2000, 4 * (m.stages.pipeline?.median ?? 0));
}

function judge(m: EngineMetrics): [HealthStatus, string] {
  if (m.state === 'stopped') return ['stopped', 'the engine has stopped'];
  if (m.state === 'paused') return ['paused', 'paused by the operator; the last frame is held'];
  if (m.lastFrameAgeMs === null) return ['starting', m.model.lastLoadError ? `model failed to load: ${m.model.lastLoadError}` : 'waiting for the model and the first frame'];
  if (m.lastFrameAgeMs > stallAfterMs(m)) {
    const why = !m.model.loaded ? 'no model loaded (worker restarting)' : m.failures && m.heldFrames ? 'the pipeline is failing; the last good frame is held' : m.queues.inputWaiting ? 'the pipeline does not answer' : 'no new input frames';
    return ['stalled', `no fresh frame for ${Math.round(m.lastFrameAgeMs)} ms: ${why}`];
  }
  return ['ok', 'frames flow'];
}

export function health(m: EngineMetrics): Health {
  const [status, reason] = judge(m);
  return { status, httpStatus: status === 'ok' || status === 'paused' ? 200 : 503, reason, fps: m.fps, lastFrameAgeMs: m.lastFrameAgeMs, model: m.model };
}
