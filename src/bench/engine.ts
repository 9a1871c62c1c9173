import { availableParallelism, cpus, platform } from 'node:os';
import { pipelineState } from '../app.js';
import type { EngineConfig } from '../config.js';
import { Engine, type FrameTiming } from '../engine/engine.js';
import { StageStats, type StageSummary } from '../engine/stage-stats.js';
import type { Frame } from '../io/frame.js';
import { renderTestPattern } from '../io/test-pattern.js';
import { StatsCounter, type FrameSource } from '../io/transport.js';
import type { Logger } from '../log.js';
import { SESSION_STAGES } from '../pipelines/pipeline.js';

/** A new test-pattern frame on every call, so the engine never waits for input: it measures the pipeline. */
export class BenchSource implements FrameSource {
  readonly spec = 'bench:pattern';
  private readonly patterns: Frame[];
  private readonly counter = new StatsCounter();

  constructor(width: number, height: number) {
    this.patterns = Array.from({ length: 8 }, (_, i) => renderTestPattern(width, height, i * 4, 30));
  }

  latest(): Frame {
    this.counter.record(0);
    return { ...this.patterns[this.counter.frames % this.patterns.length]!, timestamp: performance.now() };
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {}
}

export interface Quantiles {
  median: number;
  p95: number;
}

/** What one configuration measured through the real engine (inference worker, latest-frame-wins loop, no sinks). */
export interface EngineTimings {
  fps: number;
  frameMs: Quantiles;
  stages: Record<string, Quantiles>;
  /** Median per-frame sum of the session stages (SESSION_STAGES), as the pipeline times them. */
  sessionMs: number;
  /** (frame time - session time) / frame time, medians; null when the pipeline reports no session stage. */
  overhead: number | null;
  /** (frame time - time inside the pipeline's process()) / frame time: what the engine itself adds (IPC, copies, loop). */
  engineOverhead: number;
}

/** timings: one per measured frame, each with `frame`, the wall time since the previous frame. */
export function summarize(timings: readonly FrameTiming[]): EngineTimings {
  const stats = new StageStats(Math.max(1, timings.length));
  for (const t of timings) stats.recordAll({ ...t, session: SESSION_STAGES.reduce((sum, s) => sum + (t[s] ?? 0), 0) });
  const { frame, session, ...stages } = stats.summary();
  const pick = (s: StageSummary | undefined) => ({ median: s?.median ?? 0, p95: s?.p95 ?? 0 });
  const sessionMs = session?.median ?? 0;
  const frameMs = pick(frame);
  const hasSessions = SESSION_STAGES.some((s) => s in stages);
  return {
    fps: frameMs.median ? 1000 / frameMs.median : 0,
    frameMs,
    stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, pick(v)])),
    sessionMs,
    overhead: hasSessions && frameMs.median ? (frameMs.median - sessionMs) / frameMs.median : null,
    engineOverhead: frameMs.median ? (frameMs.median - (stages.pipeline?.median ?? 0)) / frameMs.median : 0,
  };
}


export function machine() {
  return { platform: `${platform()}-${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), date: new Date().toISOString() };
}

/**
 * Runs the config's pipeline through a new Engine on generated frames: `warmup` frames unmeasured, then `frames`
 * measured. Rejects when the pipeline fails every frame with no provider left to fall back to.
 */
export async function runEngineBench(config: EngineConfig, log: Logger, { frames, warmup }: { frames: number; warmup: number }): Promise<EngineTimings & { provider: string | null }> {
  const { definition, store, width, height } = pipelineState(config);
  const engine = new Engine({ definition, store, source: new BenchSource(width, height), sinks: [], log, maxFrames: warmup + frames });
  const timings: FrameTiming[] = [];
  const times: number[] = [];
  engine.on('timing', (t) => {
    timings.push(t);
    times.push(performance.now());
  });
  const done = new Promise<void>((resolve, reject) => {
    engine.once('done', resolve);
    engine.once('failing', reject);
  });
  let provider: string | null = null;
  try {
    await engine.start();
    await done;
    provider = engine.metrics().model.provider;
  } finally {
    await engine.stop();
  }
  const measured = timings.map((t, i) => ({ ...t, frame: i > 0 ? times[i]! - times[i - 1]! : NaN })).slice(warmup);
  return { ...summarize(measured), provider };
}
