import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inputArgs, outputArgs } from '../../io/ffmpeg/args.js';
import { ffmpegBinary } from '../../io/ffmpeg/process.js';
import { parseTarget } from '../../io/spec-target.js';
import { renderTestPattern } from '../../io/test-pattern.js';
import { latencySummary, type Timing } from './stats.js';

const PACE_FPS = 60;

export interface FfmpegBench {
  /** Raw RGBA through an ffmpeg pipe and back at 60 fps: the delay the pipes and ffmpeg's queue add. */
  pipeRoundTrip: Timing;
  /** Encoding to H.264 (libx264 ultrafast, as file:out.mp4 does). */
  encodeMp4: Timing;
  /** Decoding that file back to RGBA at full speed (file: input without -re). */
  decodeMp4: Timing;
}

function ffmpeg(args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(ffmpegBinary(), args);
  child.stderr.resume();
  return child;
}

/** Calls onFrame for every complete frame of `bytes` on a stream. */
function frames(child: ChildProcessWithoutNullStreams, bytes: number, onFrame: () => void): void {
  let filled = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    filled += chunk.length;
    while (filled >= bytes) {
      filled -= bytes;
      onFrame();
    }
  });
}

/**
 * Raw RGBA through ffmpeg and back, paced at 60 fps: the delay of frame i is the time from writing it to
 * reading output frame i, so ffmpeg's own queueing counts (it holds a few frames; one-in-flight would stall).
 */
async function pipeRoundTrip(size: number, count: number): Promise<Timing> {
  const bytes = size * size * 4;
  const child = ffmpeg(['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${size}x${size}`, '-i', 'pipe:0', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1']);
  const frame = renderTestPattern(size, size, 0, 30).data;
  const sentAt: number[] = [];
  const delays: number[] = [];
  frames(child, bytes, () => delays.push(performance.now() - sentAt[delays.length]!));
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    while (performance.now() < t0 + (i * 1000) / PACE_FPS) await new Promise((r) => setTimeout(r, 1));
    sentAt.push(performance.now());
    if (!child.stdin.write(frame)) await once(child.stdin, 'drain');
  }
  child.stdin.end();
  await once(child, 'exit');
  // The last frames are flushed by the end of input, not by the stream: leave them out.
  return { fps: (delays.length * 1000) / (performance.now() - t0), latencyMs: latencySummary(delays.slice(0, -8)) };
}

async function encode(file: string, size: number, count: number): Promise<Timing> {
  const child = ffmpeg(outputArgs(parseTarget(file, []), size, size, 30));
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    if (!child.stdin.write(renderTestPattern(size, size, i, 30).data)) await once(child.stdin, 'drain');
  }
  child.stdin.end();
  await once(child, 'exit');
  return { fps: (count * 1000) / (performance.now() - t0) };
}

async function decode(file: string, size: number): Promise<Timing> {
  const child = ffmpeg(inputArgs(parseTarget(`${file}?re=0&loop=0`, ['re', 'loop']), size, size, 30).args);
  let n = 0;
  const t0 = performance.now();
  frames(child, size * size * 4, () => n++);
  await once(child, 'exit');
  return { fps: (n * 1000) / (performance.now() - t0) };
}

export async function benchFfmpeg(size: number, count: number): Promise<FfmpegBench> {
  const dir = mkdtempSync(join(tmpdir(), 'sdlive-bench-'));
  try {
    const file = join(dir, 'bench.mp4');
    const pipe = await pipeRoundTrip(size, count);
    const enc = await encode(file, size, count);
    return { pipeRoundTrip: pipe, encodeMp4: enc, decodeMp4: await decode(file, size) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
