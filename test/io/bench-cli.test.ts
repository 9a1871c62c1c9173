import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { hasFfmpeg } from '../helpers/requires.js';

/** fps, mean and p95 of one `sdlive bench-io` row, by its label. */
function row(out: string, label: string): { fps: number; mean?: number; p95?: number } {
  const line = out.split('\n').find((l) => l.trimStart().startsWith(label));
  assert.ok(line, `a "${label}" row in:\n${out}`);
  const m = /(\d+) fps(?:\s+([\d.]+) ms mean, ([\d.]+) ms p95)?$/.exec(line);
  assert.ok(m, `numbers in "${line}"`);
  return { fps: Number(m[1]), mean: m[2] === undefined ? undefined : Number(m[2]), p95: m[3] === undefined ? undefined : Number(m[3]) };
}

test('sdlive bench-io --size 512 --frames 10 prints every path with plausible figures and exits 0', { timeout: 120_000 }, async () => {
  const r = await runCli(['bench-io', '--size', '512', '--frames', '10'], { timeoutMs: 110_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^512x512, 10 frames$/m);
  const timed = ['shm write (memcpy into the ring)', 'shm read (other process, copy out)', 'shm write -> read, 2 processes, paced', 'resize 1024 -> 512 (fitFrame)'];
  const ffmpeg = ['ffmpeg rawvideo pipe round trip, paced'];
  const throughputOnly = ['ffmpeg encode mp4 (libx264 ultrafast)', 'ffmpeg decode mp4 to RGBA'];
  const withFfmpeg = hasFfmpeg();
  if (withFfmpeg) timed.push(...ffmpeg);
  else assert.match(r.stdout, /ffmpeg: skipped, ffmpeg not found/);
  for (const label of timed) {
    const { fps, mean, p95 } = row(r.stdout, label);
    assert.ok(fps > 0 && fps < 1e7, `${label}: ${fps} fps`);
    // A 1 MB frame takes well under a millisecond to copy; 10 s would mean a hang, not a slow machine.
    assert.ok(mean !== undefined && mean > 0 && mean < 10_000, `${label}: mean ${mean} ms`);
    assert.ok(p95 !== undefined && p95 > 0 && p95 < 10_000, `${label}: p95 ${p95} ms`);
  }
  for (const label of withFfmpeg ? throughputOnly : []) assert.ok(row(r.stdout, label).fps > 0, label);
});

test('sdlive bench-io refuses a frame count too small to measure', async () => {
  const r = await runCli(['bench-io', '--frames', '5']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /--frames 5: expected an integer >= 10/);
});
