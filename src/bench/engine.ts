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

/** What the figures were measured on. */
export function machine() {
  return { platform: `${platform()}-${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), date: new Date().toISOString() };
}

type EngineRun = EngineTimings & { provider: string | null };

/** Collects the next `count` fresh-frame timings, each with `frame`: the wall time since the previous one. */
function nextTimings(engine: Engine, count: number): Promise<FrameTiming[]> {
  return new Promise((resolve, reject) => {
    const timings: FrameTiming[] = [];
    let last = NaN;
    const onTiming = (t: FrameTiming) => {
      const now = performance.now();
      timings.push({ ...t, frame: now - last });
      last = now;
      if (timings.length < count) return;
      settle();
      resolve(timings);
    };
    // A pipeline that fails every frame (and has no provider left to fall back to) would never reach `count`.
    const onFailing = (e: Error) => {
      settle();
      reject(e);
    };
    const settle = () => {
      engine.off('timing', onTiming);
      engine.off('failing', onFailing);
    };
    engine.on('timing', onTiming);
    engine.once('failing', onFailing);
  });
}

/**
 * Runs each configuration in turn through one real Engine on generated frames (the model loads once; the
 * configurations differ in runtime parameters only): after each change, the frame possibly in flight and
 * `warmup` more are not measured, then `frames` are. After each, the engine pauses while `paused(i)` runs.
 */
export async function runEngineBench(
  configs: readonly EngineConfig[],
  log: Logger,
  { frames, warmup }: { frames: number; warmup: number },
  paused: (i: number) => Promise<void> = async () => {},
): Promise<EngineRun[]> {
  const { definition, store, width, height } = pipelineState(configs[0]!);
  const engine = new Engine({ definition, store, source: new BenchSource(width, height), sinks: [], log });
  const runs: EngineRun[] = [];
  try {
    await engine.start();
    for (const [i, config] of configs.entries()) {
      const changed = store.update(pipelineState(config).store.snapshot as Record<string, unknown>, 'cli');
      if (!changed.ok) throw changed.error;
      const timings = await nextTimings(engine, 1 + warmup + frames);
      runs.push({ ...summarize(timings.slice(1 + warmup)), provider: engine.metrics().model.provider });
      store.update({ paused: true }, 'cli');
      await paused(i);
    }
  } finally {
    await engine.stop();
  }
  return runs;
}
