import type { App } from '../../src/plugin.js';
import { Engine } from '../../src/engine/engine.js';
import { engineHttpPlugin } from '../../src/engine/http-plugin.js';
import { ParameterStore } from '../../src/engine/parameter-store.js';
import { HttpHub } from '../../src/http/server.js';
import type { Frame } from '../../src/io/frame.js';
import { renderTestPattern, testPatternTransport } from '../../src/io/test-pattern.js';
import { StatsCounter, type FrameSink, type FrameSource } from '../../src/io/transport.js';
import { silentLogger } from '../../src/log.js';
import type { PipelineDefinition } from '../../src/pipelines/pipeline.js';
import { fake, FAKE_MODULE, type FakeParams } from './fake-pipelines.js';

/** Keeps every frame written to it. */
export class CollectSink implements FrameSink {
  readonly retainsFrames: boolean = true;
  readonly spec = 'collect:';
  readonly frames: Frame[] = [];
  readonly times: number[] = [];
  private readonly counter = new StatsCounter();

  write(frame: Frame): void {
    this.frames.push(frame);
    this.times.push(performance.now());
    this.counter.record(0);
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {}
}

/** Keeps a copy of every frame, made during write(), as shm, Spout and Syphon do: the engine may recycle buffers. */
export class CopySink extends CollectSink {
  override readonly retainsFrames = false;

  override write(frame: Frame): void {
    // A frame whose buffer the engine already took back is kept as it is (empty), so a check can name it.
    super.write(frame.data.byteLength ? { ...frame, data: frame.data.slice() } : frame);
  }
}

/** A recording sink (file, image sequence): the engine must give it fresh frames only. */
export class RecordingSink extends CopySink {
  readonly recording = true;
}

/** Test-pattern frames at `fps` until stop(): an input that goes silent (a camera unplugged, a dead stream). */
export class StoppableSource implements FrameSource {
  readonly spec = 'stoppable:';
  private frame: Frame | undefined;
  private readonly counter = new StatsCounter();
  private readonly timer: NodeJS.Timeout;

  constructor(width: number, height: number, fps: number) {
    this.timer = setInterval(() => {
      this.frame = { ...renderTestPattern(width, height, this.counter.frames, fps), timestamp: performance.now() };
      this.counter.record(0);
    }, 1000 / fps);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  latest(): Frame | undefined {
    return this.frame;
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    this.stop();
  }
}

/** The engine's real /health, /metrics and /api/metrics routes on an ephemeral port. */
export async function serveHealth(engine: Engine) {
  const http = new HttpHub({ port: 0, host: '127.0.0.1' }, silentLogger);
  await engineHttpPlugin.register({ http, engine } as unknown as App);
  await http.listen();
  const get = async () => {
    const res = await fetch(`${http.url}/health`);
    return { status: res.status, body: (await res.json()) as { status: string; reason: string; resets: { count: number } } };
  };
  return { http, get };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The longest interval between consecutive writes from index `from` on, ms. */
export function longestGap(sink: CollectSink, from = 0): number {
  let worst = 0;
  for (let i = from + 1; i < sink.times.length; i++) worst = Math.max(worst, sink.times[i]! - sink.times[i - 1]!);
  return worst;
}

/** A frame is "black" when every colour byte is 0. */
export function isBlack(frame: Frame): boolean {
  return frame.data.every((v, i) => i % 4 === 3 || v === 0);
}

export async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export interface Harness {
  engine: Engine;
  store: ParameterStore<PipelineDefinition['schema']>;
  sink: CollectSink;
}

/** The fake pipeline in a real worker, fed by the real test-pattern source at `sourceFps`. */
export async function startFakeEngine(params: Partial<FakeParams> = {}, sourceFps = 30, maxFrames?: number, sink: CollectSink = new CollectSink()): Promise<Harness> {
  const definition = fake as PipelineDefinition;
  const store = new ParameterStore(definition.schema, params);
  const { width, height } = store.snapshot as FakeParams;
  const source = await testPatternTransport.openSource!('bars', { log: silentLogger, width, height, fps: sourceFps });
  const engine = new Engine({ definition, store, source, sinks: [sink], log: silentLogger, pipelineModule: FAKE_MODULE, maxFrames });
  await engine.start();
  return { engine, store, sink };
}

/** The same picture as a new capture on every take (fresh timestamp, one more source frame): a camera the engine keeps up with. */
export class StillSource implements FrameSource {
  readonly spec = 'still:';
  private readonly counter = new StatsCounter();
  constructor(private readonly picture: Frame) {}
  latest(): Frame {
    this.counter.record(0);
    return { ...this.picture, timestamp: performance.now() };
  }
  stats() {
    return this.counter.snapshot();
  }
  async close(): Promise<void> {}
}

/** An input nobody writes to (like shm:nowriter): never a frame. */
export class SilentSource implements FrameSource {
  readonly spec = 'silent:';
  latest(): Frame | undefined {
    return undefined;
  }
  stats() {
    return new StatsCounter().snapshot();
  }
  async close(): Promise<void> {}
}
