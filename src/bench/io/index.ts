import { spawnSync } from 'node:child_process';
import { ffmpegBinary } from '../../io/ffmpeg/process.js';
import { fitFrame } from '../../io/resize.js';
import { renderTestPattern } from '../../io/test-pattern.js';
import { benchFfmpeg, type FfmpegBench } from './ffmpeg.js';
import { benchShm, type ShmBench } from './shm.js';
import { latencySummary, type Timing } from './stats.js';

export interface BenchIoResult {
  size: number;
  frames: number;
  shm: ShmBench;
  ffmpeg: FfmpegBench | { skipped: string };
  /** fitFrame from the other benchmark size (1024 <-> 512), the engine's one resize. */
  resize: Timing;
}

/** fitFrame timed frame by frame after a warm-up (the JIT, the first allocations), so p95 is a real percentile. */
export function benchResize(size: number, frames: number): Timing {
  const other = size === 512 ? 1024 : 512;
  const src = renderTestPattern(other, other, 0, 30);
  for (let i = 0; i < 3; i++) fitFrame(src, size, size);
  const samples = Array.from({ length: frames }, () => {
    const t0 = performance.now();
    fitFrame(src, size, size);
    return performance.now() - t0;
  });
  const latencyMs = latencySummary(samples);
  return { fps: 1000 / latencyMs.mean, latencyMs };
}

export async function benchIo(size: number, frames: number): Promise<BenchIoResult> {
  const haveFfmpeg = spawnSync(ffmpegBinary(), ['-version']).status === 0;
  return {
    size,
    frames,
    shm: await benchShm(size, frames),
    ffmpeg: haveFfmpeg ? await benchFfmpeg(size, frames) : { skipped: `ffmpeg not found ("${ffmpegBinary()}")` },
    resize: benchResize(size, Math.max(5, Math.floor(frames / 10))),
  };
}

const fmt = (t: Timing) => `${t.fps.toFixed(0).padStart(6)} fps${t.latencyMs ? `   ${t.latencyMs.mean.toFixed(2)} ms mean, ${t.latencyMs.p95.toFixed(2)} ms p95` : ''}`;

/** The results as a readable table. */
export function formatBenchIo(results: BenchIoResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.size}x${r.size}, ${r.frames} frames`);
    lines.push(`  shm write (memcpy into the ring)        ${fmt(r.shm.write)}`);
    lines.push(`  shm read (other process, copy out)      ${fmt(r.shm.read)}`);
    lines.push(`  shm write -> read, 2 processes, paced    ${fmt(r.shm.endToEnd)}`);
    if ('skipped' in r.ffmpeg) lines.push(`  ffmpeg: skipped, ${r.ffmpeg.skipped}`);
    else {
      lines.push(`  ffmpeg rawvideo pipe round trip, paced  ${fmt(r.ffmpeg.pipeRoundTrip)}`);
      lines.push(`  ffmpeg encode mp4 (libx264 ultrafast)   ${fmt(r.ffmpeg.encodeMp4)}`);
      lines.push(`  ffmpeg decode mp4 to RGBA               ${fmt(r.ffmpeg.decodeMp4)}`);
    }
    lines.push(`  resize ${r.size === 512 ? 1024 : 512} -> ${r.size} (fitFrame)           ${fmt(r.resize)}`);
  }
  return lines.join('\n');
}
