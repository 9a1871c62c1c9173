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
class BenchSource implements FrameSource {
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

export interface BenchReport {
  pipeline: string;
  model: unknown;
  width: number;
  height: number;
  frames: number;
  warmup: number;
  fps: number;
  frameMs: Pick<StageSummary, 'median' | 'p95'>;
  stages: Record<string, Pick<StageSummary, 'median' | 'p95'>>;
  /** Median per-frame sum of the session stages (text, encode, unet, decode): raw onnxruntime time. */
  sessionMs: number;
  /** (frame time - session time) / frame time, medians; null when the pipeline reports no session stage. */
  overhead: number | null;
  /** (frame time - time inside the pipeline's process()) / frame time: what the engine itself adds (IPC, copies, loop). */
  engineOverhead: number;
  machine: { platform: string; cpu: string; cores: number; date: string };
}

/** timings: one per measured frame, each with `frame`, the wall time since the previous frame. */
export function summarize(timings: readonly FrameTiming[]): Pick<BenchReport, 'fps' | 'frameMs' | 'stages' | 'sessionMs' | 'overhead' | 'engineOverhead'> {
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

/** The report as `sdlive bench` prints it. */
export function formatBenchReport(r: BenchReport): string {
  const ms = (v: number) => v.toFixed(2).padStart(9);
  const lines = [
    `sdlive bench: ${r.pipeline} ${String(r.model ?? '')} ${r.width}x${r.height}, ${r.frames} frames after ${r.warmup} warm-up (${r.machine.cpu}, ${r.machine.cores} cores)`,
    `fps            ${r.fps.toFixed(2)}`,
    `stage              median       p95  (ms)`,
    `frame          ${ms(r.frameMs.median)} ${ms(r.frameMs.p95)}`,
    ...Object.entries(r.stages).map(([k, s]) => `  ${k.padEnd(12)} ${ms(s.median)} ${ms(s.p95)}`),
    r.overhead === null
      ? 'beyond onnxruntime: n/a (the pipeline reports no session stages: text, encode, unet, decode)'
      : `beyond onnxruntime: ${(r.overhead * 100).toFixed(1)}% of the frame time (frame ${r.frameMs.median.toFixed(2)} ms, onnxruntime sessions ${r.sessionMs.toFixed(2)} ms)`,
    `engine overhead: ${(r.engineOverhead * 100).toFixed(1)}% of the frame time (outside the pipeline's process(): IPC, copies, resize, loop)`,
    ...(String(r.model).startsWith('builtin:') ? [`note: ${String(r.model)} is a tiny stand-in with random weights: its fps says nothing about a real model's (bench one with -m <folder>)`] : []),
  ];
  return lines.join('\n');
}

/** Runs the config's pipeline on generated frames: `warmup` frames unmeasured, then `frames` measured. */
export async function runEngineBench(config: EngineConfig, log: Logger, { frames, warmup }: { frames: number; warmup: number }): Promise<BenchReport> {
  const { definition, store, width, height } = pipelineState(config);
  const engine = new Engine({ definition, store, source: new BenchSource(width, height), sinks: [], log, maxFrames: warmup + frames });
  const timings: FrameTiming[] = [];
  const times: number[] = [];
  engine.on('timing', (t) => {
    timings.push(t);
    times.push(performance.now());
  });
  // A pipeline that fails every frame (and has no provider left to fall back to) would never reach `frames`.
  const done = new Promise<void>((resolve, reject) => {
    engine.once('done', resolve);
    engine.once('failing', reject);
  });
  try {
    await engine.start();
    await done;
  } finally {
    await engine.stop();
  }
  const measured = timings.map((t, i) => ({ ...t, frame: i > 0 ? times[i]! - times[i - 1]! : NaN })).slice(warmup);
  return {
    pipeline: definition.name, model: (store.snapshot as { model?: unknown }).model ?? null, width, height, frames, warmup,
    ...summarize(measured),
    machine: { platform: `${platform()}-${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), date: new Date().toISOString() },
  };
}
