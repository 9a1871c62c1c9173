import { rateLimited } from '../../log.js';
import type { Frame } from '../frame.js';
import { parseTarget } from '../spec-target.js';
import { StatsCounter, type FrameSink, type FrameSource, type Transport, type TransportContext } from '../transport.js';
import { loadSpout, spoutLibraryPath, type SpoutApi } from './api.js';

/** While no sender is there, ReceiveImage is retried this often rather than on every engine iteration. */
const RETRY_MS = 250;

/**
 * Receives from a named Spout sender, or the active one with an empty name. Spout does its own reconnecting;
 * this keeps the last frame while the sender is gone and follows size changes (IsUpdated) without a restart.
 */
export class SpoutSource implements FrameSource {
  private pixels: Uint8Array;
  private width: number;
  private height: number;
  private held: Frame | undefined;
  private lastTry = -Infinity;
  private readonly counter = new StatsCounter();

  constructor(readonly spec: string, private readonly api: SpoutApi, senderName: string, private readonly ctx: TransportContext) {
    this.width = ctx.width;
    this.height = ctx.height;
    this.pixels = new Uint8Array(this.width * this.height * 4);
    this.counter.connected = false;
    api.setReceiverName(senderName);
  }

  latest(): Frame | undefined {
    const t0 = performance.now();
    if (!this.counter.connected && t0 - this.lastTry < RETRY_MS) return this.held;
    this.lastTry = t0;
    if (!this.api.receiveImage(this.pixels)) {
      this.setConnected(false);
      return this.held;
    }
    this.setConnected(true);
    if (this.api.isUpdated()) {
      // The sender is new or resized: the next receive fills a buffer of its size.
      this.width = this.api.getSenderWidth();
      this.height = this.api.getSenderHeight();
      this.pixels = new Uint8Array(this.width * this.height * 4);
      return this.held;
    }
    if (this.api.isFrameNew()) {
      this.held = { width: this.width, height: this.height, data: this.pixels, timestamp: t0 };
      this.pixels = new Uint8Array(this.width * this.height * 4);
      this.counter.record(performance.now() - t0);
    }
    return this.held;
  }

  private setConnected(up: boolean): void {
    if (up === this.counter.connected) return;
    this.counter.connected = up;
    if (up) this.ctx.log.info({ io: this.spec, sender: this.api.getSenderName() }, 'Spout sender connected');
    else this.ctx.log.warn({ io: this.spec }, 'Spout sender gone; holding the last frame and waiting for it');
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    this.api.releaseReceiver();
    this.api.release();
  }
}

/** Publishes frames as a named Spout sender; SendImage creates the sender and follows size changes. */
export class SpoutSink implements FrameSink {
  private readonly counter = new StatsCounter();
  private readonly warn;

  constructor(readonly spec: string, private readonly api: SpoutApi, name: string, ctx: TransportContext) {
    api.setSenderName(name);
    this.warn = rateLimited(ctx.log);
  }

  write(frame: Frame): void {
    const t0 = performance.now();
    if (this.api.sendImage(frame.data, frame.width, frame.height)) {
      this.counter.record(performance.now() - t0);
      this.counter.connected = true;
    } else {
      this.counter.errors++;
      this.counter.connected = false;
      this.warn(this.spec, 'Spout SendImage failed; retrying on the next frame', { io: this.spec });
    }
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    this.api.releaseSender();
    this.api.release();
  }
}

export type SpoutLoader = (libraryPath: string) => SpoutApi;

/** The spout: transport with the library loader injectable (tests pass a fake at the SpoutApi boundary). */
export function makeSpoutTransport(load: SpoutLoader = loadSpout): Transport {
  const open = (target: string) => {
    const t = parseTarget(target, ['lib']);
    return { name: t.path, api: load(spoutLibraryPath(t.options.get('lib'))) };
  };
  return {
    scheme: 'spout',
    description: 'Spout sender/receiver on Windows through SpoutLibrary.dll (?lib=path or SDLIVE_SPOUT_LIBRARY); an empty input name follows the active sender.',
    examples: ['spout:TDOut', 'spout:', 'spout:sdlive', 'spout:TDOut?lib=C:/Spout/SpoutLibrary.dll'],
    async openSource(target, ctx) {
      const { name, api } = open(target);
      return new SpoutSource(`spout:${target}`, api, name, ctx);
    },
    async openSink(target, ctx) {
      const { name, api } = open(target);
      return new SpoutSink(`spout:${target}`, api, name || 'sdlive', ctx);
    },
  };
}

export const spoutTransport = makeSpoutTransport();
