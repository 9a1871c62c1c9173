import { createSocket, type Socket } from 'node:dgram';
import { Worker } from 'node:worker_threads';
import type { RunningApp } from '../app.js';
import { quantile } from '../engine/stage-stats.js';
import { encodeMessage } from '../control/osc/codec.js';
import { controlSurfaceOf } from '../control/surface.js';

export interface OscBenchOptions {
  /** Parameter driven by the benchmark (a bounded runtime number). */
  param: string;
  /** Sequential messages for the latency measurement. */
  latencyMessages: number;
  /** Messages in the throughput flood. */
  floodMessages: number;
  /** Messages per second of the flood; 0 sends back to back (overload). */
  rate: number;
}

export interface OscBenchResult {
  address: string;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  flood: { rate: number; sent: number; sendSeconds: number; handled: number; seconds: number; perSecond: number; lastValueApplied: boolean };
  engineFps: number;
  frames: number;
}

const percentile = (sorted: readonly number[], q: number) => (sorted.length ? quantile(sorted, q) : NaN);

/** Values in the top fifth of the parameter's range, so the engine keeps running at full speed. */
function valueAt(min: number, max: number, i: number): number {
  return max - ((i % 100) / 100) * 0.2 * (max - min);
}

function send(socket: Socket, data: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.send(data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
}

/** Plain JS run in a worker thread: a sender on its own thread, like TouchDesigner in its own process. */
const FLOOD_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const socket = require('node:dgram').createSocket('udp4');
const { port, packets, rate } = workerData;
const t0 = performance.now();
let i = 0;
const next = () => {
  if (i === packets.length) { parentPort.postMessage(performance.now() - t0); socket.close(); return; }
  const due = rate > 0 ? Math.floor(((performance.now() - t0) * rate) / 1000) : Infinity;
  if (i > due) { setTimeout(next, 1); return; }
  socket.send(packets[i++], port, '127.0.0.1', next);
};
next();
`;

/** Sends the packets from another thread, back to back or at `rate` per second; resolves with the sending time in ms. */
function floodFromWorker(port: number, packets: Uint8Array[], rate: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(FLOOD_WORKER, { eval: true, workerData: { port, packets, rate } });
    worker.once('message', (ms: number) => resolve(ms));
    worker.once('error', reject);
  });
}

/**
 * OSC message -> parameter applied, measured inside a running engine: one message at a time (latency,
 * from send to the store's change event) then a flood (messages handled per second, and whether the last
 * value won).
 */
export async function runOscBench(app: RunningApp, opts: OscBenchOptions): Promise<OscBenchResult> {
  const surface = controlSurfaceOf(app);
  const spec = app.store.spec(opts.param);
  if (!surface || spec?.min === undefined || spec.max === undefined) throw new Error(`cannot bench ${opts.param}: needs the control plugin and a bounded number`);
  const { min, max } = spec;
  const address = `${surface.space.root}/${opts.param}`;
  const port = surface.osc.port;
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const current = () => (app.store.snapshot as Record<string, unknown>)[opts.param];
  try {
    const latencies: number[] = [];
    for (let i = 0; i < opts.latencyMessages; i++) {
      const value = valueAt(min, max, i);
      if (value === current()) continue;
      const applied = new Promise<number>((resolve) => app.store.once('change', () => resolve(performance.now())));
      const t0 = performance.now();
      await send(socket, encodeMessage(address, [value], spec.kind === 'integer' ? 'i' : 'f'), port);
      latencies.push((await applied) - t0);
    }
    latencies.sort((a, b) => a - b);
    const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);

    const before = surface.osc.stats.messages;
    const last = valueAt(min, max, 50);
    const packets = Array.from({ length: opts.floodMessages }, (_, i) =>
      encodeMessage(address, [i === opts.floodMessages - 1 ? last : valueAt(min, max, i)], spec.kind === 'integer' ? 'i' : 'f'));
    let lastHandledAt = performance.now();
    const onMessage = () => (lastHandledAt = performance.now());
    surface.osc.on('message', onMessage);
    const t0 = performance.now();
    const sendingMs = await floodFromWorker(port, packets, opts.rate);
    for (let seen = -1; seen !== surface.osc.stats.messages; await new Promise((r) => setTimeout(r, 50))) seen = surface.osc.stats.messages;
    surface.osc.off('message', onMessage);
    const seconds = (lastHandledAt - t0) / 1000;
    const handled = surface.osc.stats.messages - before;
    const m = app.engine.metrics();
    return {
      address,
      latencyMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? NaN, mean },
      flood: { rate: opts.rate, sent: opts.floodMessages, sendSeconds: sendingMs / 1000, handled, seconds, perSecond: handled / seconds, lastValueApplied: Math.abs(Number(current()) - last) <= 1e-3 },
      engineFps: m.fps,
      frames: m.frameCount,
    };
  } finally {
    socket.close();
  }
}
