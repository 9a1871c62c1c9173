import { SdliveError } from '../../errors.js';
import type { Frame } from '../frame.js';
import { StatsCounter, type FrameSink, type FrameSource, type Transport, type TransportContext } from '../transport.js';
import { loadNdi, type NdiApi, type NdiUse } from './api.js';

/** While the named source is not on the network, the finder's list is looked at this often. */
const FIND_MS = 500;
/** Frames waiting in the receiver are taken in one go, keeping the newest (latest-frame-wins). */
const MAX_TAKEN = 8;

/** "MACHINE (NAME)" is the source NAME, asked for as either; an empty name takes the first source found. */
export const sourceMatches = (wanted: string, full: string): boolean => !wanted || full === wanted || /\(([^)]*)\)$/.exec(full)?.[1] === wanted;

/**
 * Receives the named NDI source (NDIlib_find_* until it appears, then NDIlib_recv_create_v3 in RGBA). The
 * receiver reconnects by itself: a lost connection holds the last frame with one warning, and one info line when
 * frames come again.
 */
export class NdiSource implements FrameSource {
  private readonly finder: unknown;
  private recv: unknown;
  private held: Frame | undefined;
  private lastFind = -Infinity;
  private warnedMissing = false;
  private lost = false;
  private readonly counter = new StatsCounter();

  constructor(readonly spec: string, private readonly api: NdiApi, private readonly name: string, private readonly ctx: TransportContext) {
    this.counter.connected = false;
    this.finder = api.findCreate();
  }

  latest(): Frame | undefined {
    if (!this.recv) this.find();
    if (this.recv) this.take();
    return this.held;
  }

  private find(): void {
    const now = performance.now();
    if (now - this.lastFind < FIND_MS) return;
    this.lastFind = now;
    const sources = this.api.currentSources(this.finder);
    const found = sources.find((s) => sourceMatches(this.name, s));
    if (found === undefined) {
      if (!this.warnedMissing) this.ctx.log.warn({ io: this.spec, sources }, 'NDI source not on the network yet; waiting for it');
      this.warnedMissing = true;
      return;
    }
    this.recv = this.api.recvCreate(found);
    this.ctx.log.info({ io: this.spec, source: found }, 'NDI source found');
  }

  private take(): void {
    const t0 = performance.now();
    for (let taken = 0; taken < MAX_TAKEN; taken++) {
      const got = this.api.capture(this.recv);
      if (got.kind === 'none') return;
      if (got.kind === 'error') return this.setConnected(false);
      if (taken > 0) this.counter.drops++;
      this.held = { ...got.frame, timestamp: t0 };
      this.counter.record(performance.now() - t0);
      this.setConnected(true);
    }
  }

  private setConnected(up: boolean): void {
    if (up === this.counter.connected) return;
    this.counter.connected = up;
    if (!up) this.ctx.log.warn({ io: this.spec }, 'NDI source lost; holding the last frame while the receiver reconnects');
    else if (this.lost) this.ctx.log.info({ io: this.spec }, 'NDI source reconnected');
    this.lost = !up;
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    if (this.recv) this.api.recvDestroy(this.recv);
    this.api.findDestroy(this.finder);
  }
}

/** Publishes frames as an NDI source named NAME (RGBA, NDIlib_send_send_video_v2: the frame is taken before it returns). */
export class NdiSink implements FrameSink {
  private readonly sender: unknown;
  private readonly counter = new StatsCounter();

  constructor(readonly spec: string, private readonly api: NdiApi, name: string, private readonly ctx: TransportContext) {
    this.sender = api.sendCreate(name);
    if (!this.sender) throw new SdliveError('SDL_ERR_TRANSPORT_UNAVAILABLE', `${spec}: NDIlib_send_create refused the name "${name}"`, 'outputs');
  }

  write(frame: Frame): void {
    const t0 = performance.now();
    this.api.sendVideo(this.sender, frame, this.ctx.fps);
    this.counter.record(performance.now() - t0);
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    this.api.sendDestroy(this.sender);
  }
}

export type NdiLoader = (use: NdiUse) => NdiApi;

/** The ndi: transport with the runtime loader injectable (tests load a fake library at the C boundary). */
export function makeNdiTransport(load: NdiLoader = loadNdi): Transport {
  return {
    scheme: 'ndi',
    description: 'NDI source in / NDI sender out through the NDI 6 runtime the user installs (NDI_RUNTIME_DIR_V6); input names: "NAME" or "MACHINE (NAME)".',
    examples: ['ndi:TouchDesigner', 'ndi:STUDIO-PC (Resolume Arena)', 'ndi:', 'ndi:sdlive'],
    async openSource(target, ctx) {
      const spec = `ndi:${target}`;
      return new NdiSource(spec, load({ field: 'input', spec }), target, ctx);
    },
    async openSink(target, ctx) {
      const spec = `ndi:${target}`;
      return new NdiSink(spec, load({ field: 'outputs', spec }), target || 'sdlive', ctx);
    },
  };
}

export const ndiTransport = makeNdiTransport();
