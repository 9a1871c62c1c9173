import type { MetricFamily, MetricLabels as Labels } from '../http/metrics.js';
import type { EngineMetrics } from './engine.js';
import { health, type HealthStatus } from './health.js';

const HEALTH_STATES: readonly HealthStatus[] = ['ok', 'degraded', 'paused', 'starting', 'failing', 'stalled', 'stopped'];

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Collects one metric family at a time: HELP and TYPE once, then its samples. */
class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'summary', help: string, samples: readonly [Labels, number][]): this {
    this.lines.push(`# HELP sdlive_${name} ${help}`, `# TYPE sdlive_${name} ${type}`);
    for (const [labels, value] of samples) this.lines.push(`sdlive_${name}${labelText(labels)} ${Number.isFinite(value) ? value : 0}`);
    return this;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

const one = (value: number): [Labels, number][] => [[{}, value]];

/** The engine's metrics, then the plugins' `extra` families, in the Prometheus text exposition format (version 0.0.4). */
export function prometheusText(m: EngineMetrics, extra: readonly MetricFamily[] = []): string {
  const control = m.io.control ? [{ ...m.io.control, direction: 'control' }] : [];
  const io = [{ ...m.io.source, direction: 'in' }, ...control, ...m.io.sinks.map((s) => ({ ...s, direction: 'out' }))];
  const status = health(m).status;
  const exposition = new Exposition()
    .family('up', 'gauge', '1 while the engine loop runs and a model is loaded.', one(m.model.loaded && m.state !== 'stopped' ? 1 : 0))
    .family('health', 'gauge', '1 for the current /health status.', HEALTH_STATES.map((s) => [{ status: s }, s === status ? 1 : 0]))
    .family('paused', 'gauge', '1 while paused.', one(m.state === 'paused' ? 1 : 0))
    .family('frames_total', 'counter', 'Fresh pipeline frames delivered.', one(m.frameCount))
    .family('output_frames_total', 'counter', 'Frames written to the sinks, held and placeholder frames included.', one(m.outputFrames))
    .family('held_frames_total', 'counter', 'Outputs that repeated the last good frame (or showed the input before the first result).', one(m.heldFrames))
    .family('dropped_frames_total', 'counter', 'Input frames skipped because the pipeline was busy (latest-frame-wins).', one(m.droppedFrames))
    .family('warmup_frames_total', 'counter', 'Stream Batch warm-up results (not shown, counted or recorded).', one(m.warmupFrames))
    .family('fail_streak', 'gauge', 'Consecutive frames that failed with the same error code (0 while frames succeed).', one(m.failStreak?.frames ?? 0))
    .family('stream_resets_total', 'counter', 'Stream state resets after a streak of non-finite results.', one(m.resets.count))
    .family('provider_fallbacks_total', 'counter', 'Execution providers given up because every frame failed on them.', one(m.model.failedProviders.length))
    .family('pipeline_errors_total', 'counter', 'Failed frames and worker crashes by error code.', Object.entries(m.errors).map(([code, n]) => [{ code }, n]))
    .family('fps', 'gauge', 'Fresh frames per second over the last 2 s.', one(m.fps))
    .family('latency_ms', 'gauge', 'Capture-to-output delay of the last fresh frame.', one(m.latencyMs))
    .family('latency_frames', 'gauge', 'Input frames captured between that frame and its output.', one(m.latencyFrames))
    .family('last_frame_age_ms', 'gauge', 'Time since the last fresh frame (-1 before the first).', one(m.lastFrameAgeMs ?? -1))
    .family('stage_ms', 'summary', 'Per-stage time over the recent window.', Object.entries(m.stages).flatMap(([stage, s]) => [
      [{ stage, quantile: '0.5' }, s.median] as [Labels, number], [{ stage, quantile: '0.95' }, s.p95] as [Labels, number],
    ]))
    .family('queue_depth', 'gauge', 'Frames in flight to the worker, and whether a newer input is waiting.', [[{ queue: 'inflight' }, m.queues.inflight], [{ queue: 'input_waiting' }, m.queues.inputWaiting]])
    .family('model_loads_total', 'counter', 'Model loads by result.', [[{ result: 'ok' }, m.model.loads], [{ result: 'failed' }, m.model.loadFailures]])
    .family('model_loading', 'gauge', '1 while a load or reload runs in a second worker.', one(m.model.loading ? 1 : 0))
    .family('model_load_ms', 'gauge', 'Duration of the last load attempt.', one(m.model.lastLoadMs))
    .family('worker_restarts_total', 'counter', 'Inference workers restarted after a crash.', one(m.model.workerRestarts))
    .family('memory_bytes', 'gauge', 'Process memory (all threads).', Object.entries(m.memory).map(([kind, v]) => [{ kind }, v]))
    .family('io_frames_total', 'counter', 'Frames through each transport.', io.map((s) => [{ spec: s.spec, direction: s.direction }, s.frames]))
    .family('io_drops_total', 'counter', 'Frames a transport dropped.', io.map((s) => [{ spec: s.spec, direction: s.direction }, s.drops]))
    .family('io_errors_total', 'counter', 'Transport errors.', io.map((s) => [{ spec: s.spec, direction: s.direction }, s.errors]));
  for (const f of extra) exposition.family(f.name, f.type, f.help, f.samples);
  return exposition.text();
}
