import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summarize } from '../../src/bench/engine.js';
import type { BenchReport } from '../../src/bench/matrix.js';
import { runCli } from '../helpers/cli.js';

test('overhead is the part of the frame time outside the onnxruntime session stages (medians)', () => {
  const timings = [10, 11, 12].map((unet) => ({ frame: 20, unet, decode: 4, encode: 2, text: 0, preprocess: 0.5 }));
  const r = summarize(timings);
  assert.equal(r.sessionMs, 17);
  assert.equal(r.frameMs.median, 20);
  assert.equal(r.fps, 50);
  assert.ok(Math.abs(r.overhead! - 0.15) < 1e-9);
  assert.equal(summarize([{ frame: 20, pipeline: 19 }]).engineOverhead, 0.05);
  assert.equal(summarize([{ frame: 5, pipeline: 4 }]).overhead, null, 'no session stages: no overhead claim');
});

test('sdlive bench --json runs a pipeline headless and reports fps and per-stage medians', async () => {
  const r = await runCli(['bench', '--pipeline', 'passthrough', '--frames', '20', '--set', 'width=256', '--set', 'height=256', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { frames, rows } = JSON.parse(r.stdout) as BenchReport;
  assert.equal(frames, 20);
  assert.deepEqual(rows.map((row) => row.name), ['configured'], 'a pipeline without a matrix runs as configured');
  const report = rows[0]!;
  assert.equal(report.raw, null, 'passthrough runs no onnxruntime session');
  assert.ok(report.fps > 20, `fps ${report.fps}`);
  for (const stage of ['preprocess', 'pipeline', 'ipc', 'send']) assert.ok(stage in report.stages, stage);
  assert.ok(report.stages.pipeline!.median <= report.frameMs.median);
  assert.equal(report.overhead, null);
  assert.ok(report.engineOverhead >= 0 && report.engineOverhead < 1);
});

test('sdlive bench refuses a frame count that is not a whole number >= 1 (exit 2, no endless run)', async () => {
  for (const frames of ['abc', '0', '1.5']) {
    const r = await runCli(['bench', '--pipeline', 'passthrough', '--frames', frames], { timeoutMs: 20_000 });
    assert.equal(r.code, 2, `--frames ${frames}: ${r.stderr}`);
    assert.match(r.stderr, /--frames <n>.*whole number >= 1/);
  }
});
