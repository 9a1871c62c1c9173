import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import pino from 'pino';
import type { Frame } from '../../src/io/frame.js';
import { openSink, openSource } from '../../src/io/registry.js';
import { renderTestPattern } from '../../src/io/test-pattern.js';
import type { FrameSource } from '../../src/io/transport.js';
import { silentLogger } from '../../src/log.js';
import { requiresFfmpeg } from '../helpers/requires.js';

const skip = requiresFfmpeg();
const dir = mkdtempSync(join(tmpdir(), 'sdlive-ffmpeg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const W = 96;
const H = 64;
const FPS = 30;
const ctx = { log: silentLogger, width: W, height: H, fps: FPS };

function meanAbsDiff(a: Frame, b: Frame): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / ((a.data.length / 4) * 3);
}

/** Every distinct frame a source delivers until it reports the input ended or the time is up. */
async function collect(source: FrameSource, ms: number, until: () => boolean = () => false): Promise<Frame[]> {
  const frames: Frame[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end && !until()) {
    const f = source.latest();
    if (f && f !== frames.at(-1)) frames.push(f);
    await sleep(4);
  }
  return frames;
}

const written = Array.from({ length: 30 }, (_, i) => renderTestPattern(W, H, i * 3, FPS));

/** Writes every test frame, at `fps` (a video file is timed by the wall clock) or as fast as ffmpeg takes them. */
async function writeAll(spec: string, fps = 0): Promise<void> {
  const sink = await openSink(spec, ctx);
  const start = performance.now();
  for (const [i, f] of written.entries()) {
    await sleep(start + (fps ? (i * 1000) / fps : 0) - performance.now());
    sink.write(f);
  }
  await sink.close();
  assert.equal(sink.stats().frames, written.length);
}

test('ffmpeg round trip: test pattern -> ffmpeg -> mp4 -> ffmpeg -> frames', { skip, timeout: 60_000 }, async () => {
  const file = join(dir, 'round.mp4');
  await writeAll(`file:${file}`, FPS);
  const probe = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,nb_read_frames', '-of', 'csv=p=0', file]).toString().trim();
  assert.equal(probe, `${W},${H},30`);

  const source = await openSource(`file:${file}?loop=0`, ctx);
  const frames = await collect(source, 10_000, () => (source as { ended?: boolean }).ended === true);
  await source.close();
  assert.ok(frames.length >= 20, `got ${frames.length} of 30 frames`);
  for (const f of frames) {
    assert.equal(f.width, W);
    const diffs = written.map((w) => meanAbsDiff(f, w));
    const best = Math.min(...diffs);
    // libx264 ultrafast at its default quality: 1-3 levels on key frames, 7-8.5 on P frames of this pattern.
    assert.ok(best < 10, `a decoded frame is ${best.toFixed(1)} levels from every written frame`);
    assert.ok(Math.max(...diffs) > 3 * best + 10, 'frames are told apart (the comparison can fail)');
  }
});

test('a recording written faster than real time reads back frame for frame', { skip, timeout: 30_000 }, async () => {
  // Its frames are microseconds apart: decoding must not fill that up to a constant rate.
  const file = join(dir, 'burst.mp4');
  await writeAll(`file:${file}`);
  const source = await openSource(`file:${file}?re=0&loop=0`, ctx);
  await collect(source, 10_000, () => (source as { ended?: boolean }).ended === true);
  await source.close();
  assert.ok(source.stats().frames >= 25 && source.stats().frames <= 30, `${source.stats().frames} frames decoded from 30`);
});

test('image sequence out and in is lossless; a still image loops', { skip, timeout: 60_000 }, async () => {
  const seq = join(dir, 'seq');
  execFileSync('mkdir', ['-p', seq]);
  await writeAll(`file:${seq}/f%03d.png`);
  assert.equal(readdirSync(seq).length, 30);

  const source = await openSource(`file:${seq}/f%03d.png?loop=0`, ctx);
  const frames = await collect(source, 10_000, () => (source as { ended?: boolean }).ended === true);
  await source.close();
  assert.ok(frames.length >= 20, `got ${frames.length} frames`);
  for (const f of frames) assert.ok(written.some((w) => Buffer.compare(w.data, f.data) === 0), 'PNG frames come back bit-exact');

  const still = await openSource(`file:${seq}/f001.png`, ctx);
  const stills = await collect(still, 700);
  await still.close();
  assert.ok(stills.length >= 5, 'a still image is repeated at the frame rate');
  assert.equal(Buffer.compare(stills.at(-1)!.data, written[0]!.data), 0);
});

test('ffmpeg letterboxes to the pipeline size on its side', { skip, timeout: 30_000 }, async () => {
  const file = join(dir, 'wide.png');
  await writeAll(`file:${join(dir, 'wide%d.png')}`);
  execFileSync('cp', [join(dir, 'wide1.png'), file]);
  const square = await openSource(`file:${file}`, { ...ctx, width: 64, height: 64 });
  await collect(square, 5000, () => square.latest() !== undefined);
  const f = square.latest();
  await square.close();
  assert.ok(f);
  assert.equal(f.width, 64);
  assert.equal(f.height, 64);
  const row = (y: number) => f.data.subarray(y * 64 * 4, (y + 1) * 64 * 4);
  assert.ok(row(0).every((v, i) => (i % 4 === 3 ? v === 255 : v < 20)), 'top band is black');
  assert.ok(row(20).some((v, i) => i % 4 !== 3 && v > 150), 'the picture is in the middle');
});

test('a killed ffmpeg is restarted and frames keep coming; the last frame is held meanwhile', { skip: skip || process.platform !== 'linux', timeout: 30_000 }, async () => {
  const file = join(dir, 'loop.mp4');
  await writeAll(`file:${file}`, FPS);
  const source = await openSource(`file:${file}`, ctx);
  try {
    await collect(source, 5000, () => source.stats().frames > 5);
    const pids = execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg']).toString().trim().split('\n');
    for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
    await sleep(100);
    const held = source.latest();
    assert.ok(held, 'the last frame is held while ffmpeg is down');
    const before = source.stats().frames;
    await collect(source, 8000, () => source.stats().frames > before + 5);
    assert.ok(source.stats().frames > before + 5, 'frames resumed after the restart');
  } finally {
    await source.close();
  }
});

test('a sink whose ffmpeg dies is restarted; write() never throws or waits meanwhile', { skip: skip || process.platform !== 'linux', timeout: 30_000 }, async () => {
  const sink = await openSink('ffmpeg:udp://127.0.0.1:9?pkt_size=1316', ctx);
  const frame = written[0]!;
  try {
    // A write() that waited for ffmpeg would fill the wall time; one that returns at once takes a sliver of it.
    const pump = async (ms: number) => {
      let inWrite = 0;
      const start = performance.now();
      for (const end = start + ms; performance.now() < end; await sleep(20)) {
        const t0 = performance.now();
        sink.write(frame);
        inWrite += performance.now() - t0;
      }
      assert.ok(inWrite < (performance.now() - start) / 4, `write() took ${inWrite.toFixed(0)} ms of ${ms} ms`);
    };
    await pump(1500);
    const before = sink.stats().frames;
    assert.ok(before > 10, `ffmpeg took ${before} frames`);
    for (const pid of execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg']).toString().trim().split('\n')) process.kill(Number(pid), 'SIGKILL');
    await pump(300);
    assert.ok(sink.stats().drops > 0, 'frames are dropped while ffmpeg is down');
    await pump(2500);
    assert.equal(sink.stats().connected, true);
    assert.ok(sink.stats().frames > before + 20, 'frames flow again after the restart');
  } finally {
    await sink.close();
  }
});

const probeDuration = (file: string): number =>
  Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]).toString());

test('a recording lasts as long as the engine ran, whatever its frame rate', { skip, timeout: 30_000 }, async () => {
  // 10 fps into a 30 fps context: a variable-rate mp4 and a constant-rate MPEG-TS.
  const files = [join(dir, 'wall.mp4'), join(dir, 'wall.ts')];
  const sinks = await Promise.all(files.map((f) => openSink(`file:${f}`, ctx)));
  // Timed from the first write: ffmpeg's start-up (frames queued meanwhile share its first read time) is inside
  // the tolerance.
  const start = performance.now();
  for (let i = 0; performance.now() - start < 3000; i++) {
    for (const sink of sinks) sink.write(written[i % written.length]!);
    await sleep(start + (i + 1) * 100 - performance.now());
  }
  const wall = (performance.now() - start) / 1000;
  await Promise.all(sinks.map((s) => s.close()));
  for (const file of files) {
    const duration = probeDuration(file);
    assert.ok(Math.abs(duration - wall) < 0.25 * wall, `${file}: ${duration.toFixed(2)} s of video for ${wall.toFixed(2)} s of frames`);
  }
});

test('a recording whose ffmpeg restarts goes on in out-1.mp4; out.mp4 keeps what it holds', { skip: skip || process.platform !== 'linux', timeout: 30_000 }, async () => {
  const file = join(dir, 'show.mp4');
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) }));
  const sink = await openSink(`file:${file}`, { ...ctx, log });
  const feed = async (ms: number) => {
    for (let i = 0, t0 = performance.now(); performance.now() - t0 < ms; i++) {
      sink.write(written[i % written.length]!);
      await sleep(t0 + ((i + 1) * 1000) / FPS - performance.now());
    }
  };
  await feed(1200);
  // SIGTERM: ffmpeg finalises the mp4 and exits with an error, as when its output failed.
  for (const pid of execFileSync('pgrep', ['-P', String(process.pid), 'ffmpeg']).toString().trim().split('\n')) process.kill(Number(pid), 'SIGTERM');
  await feed(1500);
  await sink.close();
  const frames = (f: string) => Number(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', f]).toString());
  assert.ok(frames(file) >= 10, `${file} holds ${frames(file)} frames`);
  assert.ok(frames(join(dir, 'show-1.mp4')) >= 10, 'the restarted recording is in show-1.mp4');
  assert.ok(lines.some((l) => l.includes('show-1.mp4') && l.includes('new file')), lines.join(''));
});

/** Log lines, and the env var SDLIVE_FFMPEG set for the duration of `body`. */
async function withFfmpegBinary(binary: string, body: (log: pino.Logger) => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(chunk.toString()), cb()) }));
  const saved = process.env.SDLIVE_FFMPEG;
  process.env.SDLIVE_FFMPEG = binary;
  try {
    await body(log);
  } finally {
    if (saved === undefined) delete process.env.SDLIVE_FFMPEG;
    else process.env.SDLIVE_FFMPEG = saved;
  }
  return lines;
}

test('a missing ffmpeg is one clear warning for the whole outage, never a false "reconnected"', { timeout: 20_000 }, async () => {
  const lines = await withFfmpegBinary(join(dir, 'no-such-ffmpeg'), async (log) => {
    const source = await openSource('ffmpeg:udp://127.0.0.1:9', { ...ctx, log });
    await sleep(6000);
    assert.equal(source.latest(), undefined);
    assert.equal(source.stats().connected, false);
    await source.close();
  });
  const warnings = lines.filter((l) => l.includes('ffmpeg not found'));
  assert.equal(warnings.length, 1, lines.join(''));
  assert.match(warnings[0]!, /apt-get install ffmpeg/);
  assert.ok(!lines.some((l) => l.includes('reconnected')), lines.join(''));
});

test('an ffmpeg that fails soon after starting backs off (output to 5 s, live input to 1 s): one warning, no "reconnected"', { skip: process.platform === 'win32', timeout: 20_000 }, async () => {
  // Like an unreachable rtsp:// input or a refused output: ffmpeg starts, then exits with an error.
  const calls = join(dir, 'calls.txt');
  const fake = join(dir, 'failing-ffmpeg.sh');
  writeFileSync(fake, `#!/bin/sh\necho "$@" >> '${calls}'\nsleep 0.2\necho 'Connection refused' >&2\nexit 1\n`, { mode: 0o755 });
  const lines = await withFfmpegBinary(fake, async (log) => {
    const source = await openSource('ffmpeg:rtsp://127.0.0.1:19554/live', { ...ctx, log });
    const sink = await openSink('ffmpeg:udp://127.0.0.1:9', { ...ctx, log });
    for (const end = performance.now() + 6000; performance.now() < end; await sleep(50)) sink.write(written[0]!);
    await Promise.all([source.close(), sink.close()]);
  });
  const started = readFileSync(calls, 'utf8').trim().split('\n');
  // After 0.2 s runs, the output waits 0.5, 1, 2, 4 s: 4 or 5 starts in 6 s (12 with a fixed 0.5 s). The input
  // waits 0.5 s, then 1 s each time: 5 or 6 starts (about 30 with no back-off). A loaded machine starts each one
  // late, so the lower bounds leave room below; a missing retry gives 1.
  for (const [spec, min, max] of [['udp://', 2, 5], ['rtsp://', 3, 7]] as const) {
    const n = started.filter((l) => l.includes(spec)).length;
    assert.ok(n >= min && n <= max, `${spec}: ${n} starts in 6 s`);
    const warnings = lines.filter((l) => l.includes(spec) && l.includes('transport lost'));
    assert.equal(warnings.length, 1, lines.join(''));
    assert.match(warnings[0]!, /Connection refused/);
  }
  assert.ok(!lines.some((l) => l.includes('reconnected')), lines.join(''));
});

test('file: input that does not exist is a spec error at start-up', async () => {
  await assert.rejects(openSource(join(dir, 'nope.mp4').replace(/^/, 'file:'), ctx), /no such file/);
});
