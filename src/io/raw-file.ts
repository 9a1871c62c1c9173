import { createWriteStream, type WriteStream } from 'node:fs';
import { SdliveError } from '../errors.js';
import type { Frame } from './frame.js';
import { StatsCounter, type FrameSink, type Transport } from './transport.js';

/**
 * Headerless RGBA8 frames appended to a file, or to stdout with "raw:-": pipe it into anything that reads
 * rawvideo (`ffmpeg -f rawvideo -pix_fmt rgba -s 512x512 -i -`). A frame is dropped while the stream is backed up.
 */
class RawFileSink implements FrameSink {
  readonly retainsFrames = true;
  private readonly counter = new StatsCounter();
  private backedUp = false;

  constructor(readonly spec: string, private readonly stream: WriteStream | NodeJS.WriteStream) {
    stream.on('drain', () => (this.backedUp = false));
    stream.on('error', () => {
      this.counter.errors++;
      this.counter.connected = false;
    });
  }

  write(frame: Frame): void {
    if (this.backedUp || !this.counter.connected) {
      this.counter.drops++;
      return;
    }
    const t0 = performance.now();
    this.backedUp = !this.stream.write(frame.data);
    this.counter.record(performance.now() - t0);
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    if (this.stream === process.stdout) return;
    await new Promise<void>((resolve) => (this.stream as WriteStream).end(resolve));
  }
}

export const rawFileTransport: Transport = {
  scheme: 'raw',
  description: 'Headerless RGBA8 frames to a file, or to stdout with raw:-.',
  examples: ['raw:out.rgba', 'raw:-'],
  async openSink(target) {
    if (!target) throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', 'raw: needs a file path or - for stdout', 'output');
    const stream = target === '-' ? process.stdout : createWriteStream(target);
    if (stream !== process.stdout) await new Promise<void>((resolve, reject) => (stream as WriteStream).once('open', () => resolve()).once('error', reject));
    return new RawFileSink(`raw:${target}`, stream);
  },
};
