import { createWriteStream, existsSync, fstatSync, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { SdliveError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Frame } from './frame.js';
import { firstSegment, segmentPath } from './recording-path.js';
import { SinkQueue } from './sink-queue.js';
import { flagOption, parseTarget } from './spec-target.js';
import { StatsCounter, type FrameSink, type Transport } from './transport.js';

/** Why a stream that failed will never take a frame again: its reader exited, the disk failed. */
const reasonOf = (e: NodeJS.ErrnoException): string => (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED' ? 'its reader closed the pipe' : e.message);

/**
 * Headerless RGBA8 frames written to a file, or to stdout with "raw:-": pipe it into anything that reads
 * rawvideo (`ffmpeg -f rawvideo -pix_fmt rgba -s 512x512 -i -`). A file (also stdout redirected to a file) is a
 * recording and keeps every frame; a pipe is live and keeps the newest. A stream that fails (the reader of the
 * pipe exited) stops this output for good with one warning; the engine and the other outputs go on.
 */
class RawFileSink implements FrameSink {
  readonly retainsFrames = true;
  private readonly counter = new StatsCounter();
  private readonly queue: SinkQueue;
  private dead = false;

  constructor(readonly spec: string, private readonly stream: Writable, readonly recording: boolean, private readonly log: Logger) {
    this.queue = new SinkQueue({ spec, log, counter: this.counter, recording });
    stream.on('error', (e: NodeJS.ErrnoException) => this.died(e));
    this.queue.attach(stream);
  }

  private died(e: NodeJS.ErrnoException): void {
    if (this.dead) return;
    this.dead = true;
    this.counter.errors++;
    this.counter.connected = false;
    this.queue.detach();
    this.queue.discard();
    this.log.warn({ io: this.spec, err: e.code ?? e.message }, `output stopped for good: ${reasonOf(e)}; the show goes on without it`);
  }

  write(frame: Frame): void {
    if (!this.dead) this.queue.push(frame.data);
  }

  stats() {
    return this.counter.snapshot();
  }

  /** A file gets every queued frame before it is closed; stdout is left open. */
  async close(): Promise<void> {
    await this.queue.flushed();
    if (this.stream === process.stdout || this.dead) return;
    await new Promise<void>((resolve) => (this.stream as WriteStream).end(resolve));
  }
}

async function openFile(spec: string, target: string, log: Logger): Promise<Writable> {
  const t = parseTarget(target, ['overwrite']);
  const overwrite = flagOption(t, 'overwrite');
  const path = segmentPath(t.path, firstSegment(spec, t.path, overwrite, log));
  // 'wx' never replaces a file created since the name was chosen; a FIFO or a device is opened as it is.
  const stream = createWriteStream(path, { flags: overwrite || existsSync(path) ? 'w' : 'wx' });
  try {
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject));
  } catch (e) {
    throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `--output ${spec}: ${(e as Error).message}`, 'outputs');
  }
  return stream;
}

export const rawFileTransport: Transport = {
  scheme: 'raw',
  description: 'Headerless RGBA8 frames to a file, or to stdout with raw:-.',
  examples: ['raw:out.rgba', 'raw:out.rgba?overwrite=1', 'raw:-'],
  async openSink(target, ctx) {
    if (!target) throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', 'raw: needs a file path or - for stdout', 'output');
    const spec = `raw:${target}`;
    if (target === '-') return new RawFileSink(spec, process.stdout, fstatSync(1).isFile(), ctx.log);
    return new RawFileSink(spec, await openFile(spec, target, ctx.log), true, ctx.log);
  },
};
