import type { Quantiles } from './engine.js';
import type { Transfers } from '../models/sd-models.js';
import type { BenchReport, BenchRow } from './matrix.js';

const NONE = '–';
const ms = (q: Quantiles) => `${q.median.toFixed(2)} / ${q.p95.toFixed(2)}`;
const percent = (v: number | null) => (v === null ? NONE : `${(v * 100).toFixed(1)}%`);
/** Tensors and bytes one way: "7 (2.08 MB)". */
const way = (t: Transfers['up']) => `${t.tensors} (${(t.bytes / 2 ** 20).toFixed(2)} MB)`;
const stageList = (stages: Record<string, Quantiles>) => Object.entries(stages).map(([k, q]) => `${k} ${q.median.toFixed(2)}/${q.p95.toFixed(2)}`).join('  ');

const COLUMNS: [string, number, (r: BenchRow) => string][] = [
  ['row', 16, (r) => r.name],
  ['provider', 9, (r) => r.provider ?? NONE],
  ['unet', 6, (r) => (r.unet ? `${r.unet.calls}x${r.unet.batch}` : NONE)],
  ['fps', 8, (r) => r.fps.toFixed(2)],
  ['frame p50/p95 ms', 18, (r) => ms(r.frameMs)],
  ['raw ort p50/p95 ms', 20, (r) => (r.raw ? ms(r.raw.frame) : NONE)],
  ['x raw', 7, (r) => (r.overRaw === null ? NONE : r.overRaw.toFixed(2))],
  ['beyond sessions', 16, (r) => percent(r.overhead)],
  ['engine', 7, (r) => percent(r.engineOverhead)],
  ['transfers up / down', 0, (r) => (r.transfers ? `${way(r.transfers.up)} / ${way(r.transfers.down)}` : NONE)],
];

const line = (cells: string[]) => cells.map((c, i) => c.padEnd(COLUMNS[i]![1])).join(' ').trimEnd();

/** The matrix as `sdlive bench` prints it: one line per row, then each row's stages and raw sessions. */
export function formatBenchReport(r: BenchReport): string {
  const width = Math.max(...r.rows.map((row) => row.name.length));
  return [
    `sdlive bench: ${r.pipeline} ${String(r.model ?? '')} ${r.width}x${r.height}, ${r.frames} frames per row after ${r.warmup} warm-up (${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.date})`,
    line(COLUMNS.map(([title]) => title)),
    ...r.rows.map((row) => line(COLUMNS.map(([, , cell]) => cell(row)))),
    'unet: calls x batch per frame; raw ort: the same frame\'s onnxruntime runs replayed on the same sessions, nothing around them; x raw: frame / raw',
    'stages (engine run, median/p95 ms) | raw onnxruntime per session (median/p95 ms):',
    ...r.rows.map((row) => `  ${row.name.padEnd(width)}  ${stageList(row.stages)}${row.raw ? `  | ${stageList(row.raw.sessions)}` : ''}`),
    ...(String(r.model).startsWith('builtin:') ? [`note: ${String(r.model)} is a tiny stand-in with random weights: its fps says nothing about a real model's (bench one with -m <folder>)`] : []),
  ].join('\n');
}
