import { FAIL_STREAK, type EngineMetrics } from './engine.js';

export type HealthStatus = 'ok' | 'degraded' | 'paused' | 'starting' | 'failing' | 'stalled' | 'stopped';

export interface Health {
  status: HealthStatus;
  /** 200 while the show is served (ok, degraded, paused), 503 otherwise. */
  httpStatus: 200 | 503;
  reason: string;
  fps: number;
  lastFrameAgeMs: number | null;
  model: EngineMetrics['model'];
  resets: EngineMetrics['resets'];
}

/** A stream state reset keeps /health "degraded" this long: the picture restarted, maybe it will again. */
export const RESET_DEGRADED_MS = 10_000;

/** No fresh frame for this long counts as stalled: 2 s, or 4 median frame times for slow models. */
export function stallAfterMs(m: EngineMetrics): number {
  return Math.max(2000, 4 * (m.stages.pipeline?.median ?? 0));
}

/** No fresh frame yet: still loading, a silent input (stalled a stall window after the load), or the first frame in flight. */
function beforeFirstFrame(m: EngineMetrics): [HealthStatus, string] {
  if (m.state === 'waiting') {
    const waited = m.sinceReadyMs ?? 0;
    return waited > stallAfterMs(m)
      ? ['stalled', `model loaded; no input frames for ${Math.round(waited / 1000)} s from ${m.io.source.spec}`]
      : ['starting', 'model loaded; waiting for the first input frame'];
  }
  if (m.model.lastLoadError) return ['starting', `model failed to load: ${m.model.lastLoadError}`];
  return ['starting', m.model.loaded ? 'model loaded; processing the first frame' : 'waiting for the model and the first frame'];
}

/** What happens about a pipeline failing on every frame: a provider fallback under way, failed, or none left. */
function fallbackNote(m: EngineMetrics): string {
  const given = m.model.failedProviders.find((f) => f.provider === m.model.provider);
  if (!given) return '';
  if (!given.next) return '; no execution provider left to fall back to';
  return m.model.loading ? `; falling back to ${given.next}` : `; the fallback to ${given.next} failed: ${m.model.lastLoadError ?? 'unknown'}`;
}

function failing(m: EngineMetrics): string | undefined {
  const s = m.failStreak;
  if (!s || s.frames < FAIL_STREAK) return undefined;
  const on = m.model.provider ? ` on ${m.model.provider}` : '';
  const afterReset = s.code === 'SDL_ERR_NONFINITE' && m.resets.count ? ', even after a stream state reset' : '';
  return `the pipeline fails every frame (${s.frames} in a row${on}${afterReset}): ${s.error}${fallbackNote(m)}`;
}

/** Frames flow, but not as configured: a failed reload, a provider fallback, a recent stream state reset. */
function degraded(m: EngineMetrics): string | undefined {
  if (m.model.lastLoadError) return `the last reload failed; the previous model keeps running: ${m.model.lastLoadError}`;
  const given = m.model.failedProviders.filter((f) => f.provider !== m.model.provider);
  if (given.length) return `running on the fallback provider ${m.model.provider}: ${given.map((f) => `${f.provider} failed every frame (${f.error})`).join('; ')}`;
  const { count, lastAgoMs, lastReason } = m.resets;
  if (lastAgoMs !== null && lastAgoMs < RESET_DEGRADED_MS) {
    return `stream state reset ${count} time${count === 1 ? '' : 's'}, the last ${(lastAgoMs / 1000).toFixed(1)} s ago, after ${lastReason}`;
  }
  return undefined;
}

function judge(m: EngineMetrics): [HealthStatus, string] {
  if (m.state === 'stopped') return ['stopped', 'the engine has stopped'];
  if (m.state === 'paused') return ['paused', 'paused by the operator; the last frame is held'];
  const fails = failing(m);
  if (fails) return ['failing', fails];
  if (m.lastFrameAgeMs === null) return beforeFirstFrame(m);
  if (m.lastFrameAgeMs > stallAfterMs(m)) {
    const why = !m.model.loaded ? 'no model loaded (worker restarting)' : m.failures && m.heldFrames ? 'the pipeline is failing; the last good frame is held' : m.queues.inputWaiting ? 'the pipeline does not answer' : 'no new input frames';
    return ['stalled', `no fresh frame for ${Math.round(m.lastFrameAgeMs)} ms: ${why}`];
  }
  const why = degraded(m);
  return why ? ['degraded', why] : ['ok', 'frames flow'];
}

const SERVING: readonly HealthStatus[] = ['ok', 'degraded', 'paused'];

export function health(m: EngineMetrics): Health {
  const [status, reason] = judge(m);
  return { status, httpStatus: SERVING.includes(status) ? 200 : 503, reason, fps: m.fps, lastFrameAgeMs: m.lastFrameAgeMs, model: m.model, resets: m.resets };
}
