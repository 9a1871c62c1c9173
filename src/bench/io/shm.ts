import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createFrame } from '../../io/frame.js';
import { ShmRingWriter } from '../../io/shm/ring.js';
import { latencySummary, siblingModule, type Timing } from './stats.js';

export interface ShmBench {
  /** Writer alone: frames copied into shared memory per second. */
  write: Timing;
  /** Reader in another process: frames copied out per second (from its mean copy time). */
  read: Timing;
  /** Paced frames, write in this process to a complete frame in the other process. */
  endToEnd: Timing;
}

/** Times the shm ring between this process and a reader child process. */
export async function benchShm(size: number, frames: number): Promise<ShmBench> {
  const name = `sdlive-bench-${process.pid}-${size}`;
  const writer = new ShmRingWriter(name);
  const frame = createFrame(size, size);
  frame.data.fill(128);
  writer.prepare(size, size);
  const child = spawn(process.execPath, [...process.execArgv, siblingModule(import.meta.url, 'shm-reader-child'), name], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
  try {
    while (!out.includes('ready')) await once(child.stdout, 'data');
    const periodMs = 4;
    const start = performance.now();
    for (let i = 0; i < frames; i++) {
      while (performance.now() < start + i * periodMs) await new Promise((r) => setImmediate(r));
      writer.write({ ...frame, timestamp: performance.now() });
    }
    const t0 = performance.now();
    for (let i = 0; i < frames; i++) writer.write({ ...frame, timestamp: performance.now() });
    const writeMs = (performance.now() - t0) / frames;
    writer.close();
    await once(child, 'exit');
    const result = JSON.parse(out.slice(out.indexOf('{'))) as { frames: number; copyMs: number; delays: number[] };
    // Only the paced frames measure delay: in the unpaced burst the reader is lapped on purpose.
    const paced = result.delays.slice(0, Math.min(result.delays.length, frames));
    return {
      write: { fps: 1000 / writeMs, latencyMs: { mean: writeMs, p95: writeMs } },
      read: { fps: 1000 / result.copyMs, latencyMs: { mean: result.copyMs, p95: result.copyMs } },
      endToEnd: { fps: 1000 / periodMs, latencyMs: latencySummary(paced) },
    };
  } finally {
    child.kill();
    writer.close();
  }
}
