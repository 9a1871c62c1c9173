import { createSocket, type Socket } from 'node:dgram';
import { setImmediate as tick } from 'node:timers/promises';
import type { RunningApp } from '../app.js';
import { encodeMessage } from './osc-codec.js';
import { controlSurfaceOf } from './surface.js';

export interface OscBenchOptions {
  /** Parameter driven by the benchmark (a bounded runtime number). */
  param: string;
  /** Sequential messages for the latency measurement. */
  latencyMessages: number;
  /** Messages in the throughput flood. */
  floodMessages: number;
}

export interface OscBenchResult {
  address: string;
  latencyMs: { p50: number; p95: number; p99: number; max: number; mean: number };
  flood: { sent: number; handled: number; seconds: number; perSecond: number; lastValueApplied: boolean };
  engineFps: number;
  frames: number;
}

const percentile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** Values in the top fifth of the parameter's range, so the engine keeps running at full speed. */
function valueAt(min: number, max: number, i: number): number {
  return max - ((i % 100) / 100) * 0.2 * (max - min);
}

function send(socket: Socket, data: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.send(data, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
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
    const t0 = performance.now();
    for (let i = 0; i < opts.floodMessages; i++) {
      const value = i === opts.floodMessages - 1 ? last : valueAt(min, max, i);
      await send(socket, encodeMessage(address, [value], spec.kind === 'integer' ? 'i' : 'f'), port);
      if (i % 200 === 199) await tick();
    }
    const deadline = performance.now() + 5000;
    while (Math.abs(Number(current()) - last) > 1e-3 && performance.now() < deadline) await tick();
    const seconds = (performance.now() - t0) / 1000;
    const handled = surface.osc.stats.messages - before;
    const m = app.engine.metrics();
    return {
      address,
      latencyMs: { p50: percentile(latencies, 0.5), p95: percentile(latencies, 0.95), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? NaN, mean },
      flood: { sent: opts.floodMessages, handled, seconds, perSecond: handled / seconds, lastValueApplied: Math.abs(Number(current()) - last) <= 1e-3 },
      engineFps: m.fps,
      frames: m.frameCount,
    };
  } finally {
    socket.close();
  }
}
