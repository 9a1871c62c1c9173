import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatBenchReport } from '../../src/bench/format.js';
import type { BenchReport, BenchRow } from '../../src/bench/matrix.js';
import { runCli } from '../helpers/cli.js';

const TINY = ['--model', 'builtin:tiny', '--ep', 'cpu', '--set', 'width=256', '--set', 'height=256'];

/** UNet batch per row as StreamDiffusion defines it: one slot per denoising step, twice that for cfg full. */
const EXPECTED_UNET_BATCH: Record<string, number> = {
  'img2img-t1': 1,
  'img2img-t2': 2,
  'img2img-t4': 4,
  'txt2img-t1': 1,
  'img2img-t2-self': 2,
  'img2img-t2-full': 4,
};

const sessionsRun = (row: BenchRow) => new Set(row.raw!.runs.map((r) => r.session));

test('sdlive bench --json: every matrix row, with the parameters the pipeline really ran and raw onnxruntime timings from real sessions', async () => {
  const r = await runCli(['bench', ...TINY, '--frames', '3', '--warmup', '1', '--json'], { timeoutMs: 150_000 });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as BenchReport;
  assert.deepEqual([report.pipeline, report.width, report.height, report.frames], ['streamdiffusion', 256, 256, 3]);
  assert.deepEqual(report.rows.map((row) => row.name), Object.keys(EXPECTED_UNET_BATCH));
  for (const row of report.rows) {
    // Read from the UNet runs the pipeline made (recorded feeds), not from the row table.
    assert.deepEqual(row.unet, { calls: 1, batch: EXPECTED_UNET_BATCH[row.name] }, row.name);
    const unetRun = row.raw!.runs.find((run) => run.session === 'unet')!;
    assert.equal(unetRun.inputs.encoder_hidden_states![0], EXPECTED_UNET_BATCH[row.name], `${row.name}: conditioning batch`);
    assert.deepEqual([row.provider, row.raw!.provider], ['cpu', 'cpu'], row.name);
    assert.ok(row.raw!.frame.median > 0 && row.raw!.sessions.unet!.median > 0 && row.raw!.sessions.vae_decoder!.median > 0, `${row.name}: raw timings`);
    assert.ok(row.overRaw !== null && Number.isFinite(row.overRaw) && row.overRaw > 0, `${row.name}: overRaw ${row.overRaw}`);
    assert.ok(row.fps > 0 && row.frameMs.median > 0, row.name);
    // On the CPU every session input goes up and every output comes down: the frame's RGBA at least, each way.
    const t = row.transfers!;
    assert.ok(t.up.tensors >= 3 && t.down.tensors >= 3 && t.up.bytes >= 256 * 256 * 4 && t.down.bytes >= 256 * 256 * 4, `${row.name}: transfers ${JSON.stringify(t)}`);
    const img2img = row.name.startsWith('img2img');
    assert.equal(sessionsRun(row).has('vae_encoder'), img2img, `${row.name}: the VAE encoder runs in img2img only (raw runs)`);
    assert.equal('encode' in row.stages, img2img, `${row.name}: the VAE encoder runs in img2img only (engine stages)`);
  }
});

test('sdlive bench --only: the named rows, "configured" with the parameters as set, shown as a table', async () => {
  const r = await runCli(['bench', ...TINY, '--set', 't_index_list=[10,20,30]', '--frames', '2', '--warmup', '1', '--only', 'img2img-t1,configured'], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const cells = (name: string) => lines.find((l) => l.startsWith(`${name} `))?.split(/\s+/);
  assert.match(lines[1]!, /^row\s+provider\s+unet\s+fps/);
  // [name, provider, unet calls x batch, fps, ...; the last cell is the transfers column]
  assert.deepEqual(cells('img2img-t1')?.slice(0, 3), ['img2img-t1', 'cpu', '1x1'], r.stdout);
  assert.deepEqual(cells('configured')?.slice(0, 3), ['configured', 'cpu', '1x3'], 'the configured t_index_list (3 steps) is what runs');
  assert.equal(lines.filter((l) => /^(img2img|txt2img)-/.test(l)).length, 1, 'only the named matrix row');
});

test('sdlive bench --only with a row that does not exist: exit 2 naming the rows there are', async () => {
  const r = await runCli(['bench', '--pipeline', 'passthrough', '--only', 'img2img-t1'], { timeoutMs: 30_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /SDL_ERR_CONFIG: --only: no row "img2img-t1" for passthrough \(rows: configured\)/);
});

test('the transfers column: tensors and MB each way from the pipeline\'s record (ProcessResult.transfers), a dash where none', () => {
  const q = { median: 10, p95: 12 };
  const row = (name: string, transfers: BenchRow['transfers']): BenchRow => ({
    name, params: {}, provider: 'webgpu', fps: 100, frameMs: q, stages: {}, sessionMs: 9, overhead: 0.1, engineOverhead: 0.05,
    unet: { calls: 1, batch: 2 }, transfers, raw: null, overRaw: null,
  });
  const machine = { platform: 'linux-x64', cpu: 'cpu', cores: 2, date: '2026-12-01' };
  const text = formatBenchReport({ pipeline: 'streamdiffusion', model: 'm', width: 512, height: 512, frames: 1, warmup: 0, machine, rows: [row('chained', { up: { tensors: 1, bytes: 1048576 }, down: { tensors: 3, bytes: 1048578 } }), row('plain', null)] });
  const last = (name: string) => text.split('\n').find((l) => l.startsWith(`${name} `))!.split(/\s{2,}/).at(-1);
  assert.equal(last('chained'), '1 (1.00 MB) / 3 (1.00 MB)');
  assert.equal(last('plain'), '–');
});
