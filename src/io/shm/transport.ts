import { SdliveError } from '../../errors.js';
import { rateLimited } from '../../log.js';
import { createFrame, type Frame } from '../frame.js';
import { Reconnector } from '../reconnect.js';
import { fitFrame } from '../resize.js';
import { flagOption, intOption, parseTarget } from '../spec-target.js';
import { StatsCounter, type FrameSink, type FrameSource, type Transport, type TransportContext } from '../transport.js';
import { DEFAULT_SLOTS } from './layout.js';
import { checkShmName, createMapping, MappingInUseError, mappingSize, openMapping, unlinkMapping, type SharedMapping } from './mapping.js';
import { NameWatch } from './name-watch.js';
import { rgbaToRgb, rgbToRgba } from './raw.js';
import { ShmRingReader, ShmRingWriter } from './ring.js';

export const SHM_OPTION_KEYS = ['raw', 'width', 'height', 'slots'] as const;
/** A writer that has published nothing for this long is reported as stalled (once). */
const STALL_MS = 2000;

/**
 * Reads the newest frame of an sdlive ring. The copy out of shared memory happens inside latest(), so the
 * engine gets the freshest frame with no timer in between; when the writer goes away the last frame is held
 * and the ring is reopened with back-off.
 */
class ShmRingSource implements FrameSource {
  private reader: ShmRingReader | undefined;
  private held: Frame | undefined;
  private lastNewAt = performance.now();
  private stallWarned = false;
  private readonly counter = new StatsCounter();
  private readonly reconnect: Reconnector;
  private readonly watch: NameWatch;

  constructor(readonly spec: string, private readonly name: string, private readonly ctx: TransportContext) {
    this.watch = new NameWatch(name);
    this.reconnect = new Reconnector({ log: ctx.log, what: spec, maxDelayMs: 1000 }, () => {
      this.open();
      this.counter.connected = true;
      this.lastNewAt = performance.now();
    });
    this.counter.connected = false;
  }

  private open(): void {
    this.watch.remember();
    this.reader = ShmRingReader.open(this.name);
  }

  async start(): Promise<this> {
    await this.reconnect.run();
    return this;
  }

  latest(): Frame | undefined {
    if (!this.reader) return this.held;
    const t0 = performance.now();
    const r = this.reader.read();
    if (r.kind === 'frame') {
      this.held = r.frame;
      this.counter.record(performance.now() - t0);
      this.lastNewAt = t0;
      this.stallWarned = false;
    } else if (r.kind === 'closed') {
      this.reattach('the writer resized the ring; reading the new one');
    } else if (this.followWriter(t0)) {
      return this.held;
    } else if (t0 - this.lastNewAt > STALL_MS && !this.stallWarned) {
      this.stallWarned = true;
      this.ctx.log.warn({ io: this.spec }, `no new frame for ${STALL_MS} ms; holding the last frame`);
    }
    return this.held;
  }

  /**
   * A writer that crashed leaves its ring live but still: when the name now leads to another region (the writer
   * started again) or to none (its name was removed), that is followed. True when the reader changed.
   */
  private followWriter(now: number): boolean {
    const change = this.watch.changed(now);
    if (change === 'replaced') this.reattach('the writer recreated the ring; reading the new one');
    else if (change === 'gone') this.detach('the writer removed the ring');
    return change !== undefined;
  }

  /** A writer that resizes closes its ring and creates the next at once: follow it quietly, else report the loss. */
  private reattach(why: string): void {
    this.reader?.close();
    try {
      this.open();
      this.ctx.log.info({ io: this.spec }, why);
    } catch {
      this.detach('the writer closed the ring');
    }
  }

  private detach(reason: string): void {
    this.reader?.close();
    this.reader = undefined;
    this.counter.connected = false;
    this.reconnect.failed(reason);
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    this.reconnect.stop();
    this.reader?.close();
    this.reader = undefined;
  }
}

class ShmRingSink implements FrameSink {
  private readonly writer: ShmRingWriter;
  private readonly counter = new StatsCounter();
  private readonly warn;

  constructor(readonly spec: string, name: string, slots: number, ctx: TransportContext) {
    this.writer = new ShmRingWriter(name, slots);
    this.warn = rateLimited(ctx.log);
    try {
      this.writer.prepare(ctx.width, ctx.height);
    } catch (e) {
      // A name still held by a reader of an older ring (Windows) is freed shortly: the first frame retries.
      if (!(e instanceof MappingInUseError)) throw e;
      this.failed(e);
    }
  }

  write(frame: Frame): void {
    const t0 = performance.now();
    try {
      this.writer.write(frame);
      this.counter.record(performance.now() - t0);
      this.counter.connected = true;
    } catch (e) {
      this.failed(e);
    }
  }

  /** The next write recreates the ring. */
  private failed(e: unknown): void {
    this.counter.errors++;
    this.counter.connected = false;
    this.writer.close();
    this.warn(this.spec, 'shared memory write failed; retrying on the next frame', { io: this.spec, err: String(e) });
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    this.writer.close();
  }
}

/** A raw buffer must be exactly W x H packed RGB: any other size means the spec's width/height are wrong. */
function checkRawSize(name: string, width: number, height: number): void {
  const size = mappingSize(name);
  if (size !== undefined && size !== width * height * 3) {
    throw new SdliveError('SDL_ERR_TRANSPORT_SPEC', `shared memory "${name}" has ${size} bytes; ?raw=1&width=${width}&height=${height} needs exactly ${width * height * 3} (width * height * 3, packed RGB)`, 'input');
  }
}

/**
 * Headerless packed RGB8 of a fixed size, as StreamDiffusionTD's TouchDesigner component shares it. There is
 * no sequence number, so the source re-reads the buffer at the frame rate and a torn frame is possible. Once a
 * second it checks the name: a writer that restarted (removed and recreated the buffer) is remapped, one that
 * removed it is one warning and the last frame is held until it is back.
 */
class RawShmSource implements FrameSource {
  private mapping: SharedMapping | undefined;
  private held: Frame | undefined;
  private lastReadAt = -Infinity;
  private readonly counter = new StatsCounter();
  private readonly reconnect: Reconnector;
  private readonly watch: NameWatch;

  constructor(readonly spec: string, private readonly name: string, private readonly width: number, private readonly height: number, private readonly ctx: TransportContext) {
    this.watch = new NameWatch(name);
    this.reconnect = new Reconnector({ log: ctx.log, what: spec, maxDelayMs: 1000 }, () => this.map());
    this.counter.connected = false;
  }

  private map(): void {
    checkRawSize(this.name, this.width, this.height);
    this.watch.remember();
    this.mapping = openMapping(this.name, this.width * this.height * 3);
    this.counter.connected = true;
  }

  async start(): Promise<this> {
    checkRawSize(this.name, this.width, this.height);
    await this.reconnect.run();
    return this;
  }

  private checkWriter(now: number): void {
    const change = this.watch.changed(now);
    if (!change) return;
    this.mapping!.close();
    this.mapping = undefined;
    this.counter.connected = false;
    if (change === 'gone') this.reconnect.failed('the writer removed the buffer');
    else {
      this.ctx.log.info({ io: this.spec }, 'the writer recreated the buffer; mapping it again');
      void this.reconnect.run();
    }
  }

  latest(): Frame | undefined {
    const t0 = performance.now();
    if (this.mapping) this.checkWriter(t0);
    if (!this.mapping || t0 - this.lastReadAt < 1000 / this.ctx.fps) return this.held;
    this.lastReadAt = t0;
    const frame = createFrame(this.width, this.height, t0);
    rgbToRgba(this.mapping.bytes, frame.data);
    this.held = frame;
    this.counter.record(performance.now() - t0);
    return frame;
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    this.reconnect.stop();
    this.mapping?.close();
    this.mapping = undefined;
  }
}

/** A raw buffer is one fixed size: one still held open (Windows) is the same buffer, so it is written into. */
function createOrAttach(name: string, size: number): SharedMapping {
  try {
    return createMapping(name, size);
  } catch (e) {
    if (e instanceof MappingInUseError) return openMapping(name, size);
    throw e;
  }
}

class RawShmSink implements FrameSink {
  private readonly mapping: SharedMapping;
  private readonly counter = new StatsCounter();

  constructor(readonly spec: string, private readonly name: string, private readonly width: number, private readonly height: number) {
    this.mapping = createOrAttach(name, width * height * 3);
  }

  write(frame: Frame): void {
    const t0 = performance.now();
    rgbaToRgb(fitFrame(frame, this.width, this.height).data, this.mapping.bytes);
    this.counter.record(performance.now() - t0);
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    this.mapping.close();
    unlinkMapping(this.name);
  }
}

function parseShm(target: string, ctx: TransportContext) {
  const t = parseTarget(target, SHM_OPTION_KEYS);
  return {
    name: checkShmName(t.path),
    raw: flagOption(t, 'raw'),
    width: intOption(t, 'width', ctx.width),
    height: intOption(t, 'height', ctx.height),
    slots: intOption(t, 'slots', DEFAULT_SLOTS),
  };
}

export const shmTransport: Transport = {
  scheme: 'shm',
  description: 'Shared-memory frame ring (docs/shm-layout.md; TouchDesigner script in patches/touchdesigner/), or headerless RGB with ?raw=1.',
  examples: ['shm:sdlive-in', 'shm:sdlive-out', 'shm:sdlive-out?slots=4', 'shm:td_in?raw=1&width=512&height=512'],
  async openSource(target, ctx) {
    const o = parseShm(target, ctx);
    const spec = `shm:${target}`;
    return o.raw ? new RawShmSource(spec, o.name, o.width, o.height, ctx).start() : new ShmRingSource(spec, o.name, ctx).start();
  },
  async openSink(target, ctx) {
    const o = parseShm(target, ctx);
    const spec = `shm:${target}`;
    return o.raw ? new RawShmSink(spec, o.name, o.width, o.height) : new ShmRingSink(spec, o.name, o.slots, ctx);
  },
};
