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

/** No fresh frame yet: still loading, a silent input (stalled after the stall window), or the first frame in flight. */
function beforeFirstFrame(m: EngineMetrics): [HealthStatus, string] {
  if (m.state === 'waiting') {
    return m.uptimeMs > stallAfterMs(m)
      ? ['stalled', `model loaded; no input frames for ${Math.round(m.uptimeMs / 1000)} s from ${m.io.source.spec}`]
      : ['starting', 'model loaded; waiting for the first input frame'];
  }
  if (m.model.lastLoadError) return ['starting', `model failed to load: ${m.model.lastLoadError}`];
  return ['starting', m.model.loaded ? 'model loaded; processing the first frame' : 'waiting for the model and the first frame'];
}

function judge(m: EngineMetrics): [HealthStatus, string] {
  if (m.state === 'stopped') return ['stopped', 'the engine has stopped'];
  if (m.state === 'paused') return ['paused', 'paused by the operator; the last frame is held'];
  if (m.lastFrameAgeMs === null) return beforeFirstFrame(m);
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
