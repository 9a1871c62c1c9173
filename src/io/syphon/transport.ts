import type { Frame } from '../frame.js';
import { flagOption, parseTarget } from '../spec-target.js';
import { StatsCounter, type FrameSink, type FrameSource, type Transport, type TransportContext } from '../transport.js';
import { framePixels, loadNodeSyphon, type NodeSyphonModule, type SyphonServerDescription } from './binding.js';

const DIRECTORY_POLL_MS = 500;

type Client = InstanceType<NodeSyphonModule['SyphonOpenGLClient']>;

/** Flips rows in place: OpenGL textures are bottom row first, frames top row first. */
function flipRows(data: Uint8Array, width: number, height: number): void {
  const row = width * 4;
  const tmp = new Uint8Array(row);
  for (let top = 0, bottom = height - 1; top < bottom; top++, bottom--) {
    tmp.set(data.subarray(top * row, top * row + row));
    data.copyWithin(top * row, bottom * row, bottom * row + row);
    data.set(tmp, bottom * row);
  }
}

const matches = (s: SyphonServerDescription, name: string) =>
  !name || s.SyphonServerDescriptionNameKey === name || s.SyphonServerDescriptionAppNameKey === name;

/** node-syphon replaces a server's description object when the server updates: its UUID stays. */
const sameServer = (a: SyphonServerDescription, b: SyphonServerDescription) =>
  a === b || (a.SyphonServerDescriptionUUIDKey !== undefined && a.SyphonServerDescriptionUUIDKey === b.SyphonServerDescriptionUUIDKey);

/**
 * Receives from the Syphon server with this name (or app name), or the first one listed with an empty name.
 * The server directory is polled: a server that retires is let go (last frame held) and picked up again.
 */
export class SyphonSource implements FrameSource {
  private client: Client | undefined;
  private server: SyphonServerDescription | undefined;
  private held: Frame | undefined;
  private readonly directory: InstanceType<NodeSyphonModule['SyphonServerDirectory']>;
  private readonly timer: NodeJS.Timeout;
  private readonly counter = new StatsCounter();

  constructor(readonly spec: string, private readonly syphon: NodeSyphonModule, private readonly name: string, private readonly flip: boolean, private readonly ctx: TransportContext) {
    this.counter.connected = false;
    this.directory = new syphon.SyphonServerDirectory();
    this.directory.listen();
    this.timer = setInterval(() => this.follow(), DIRECTORY_POLL_MS);
    this.timer.unref();
    this.follow();
  }

  private follow(): void {
    const servers = this.directory.servers;
    const followed = this.server;
    this.server = followed && servers.find((s) => sameServer(s, followed));
    if (followed && !this.server) {
      this.client?.dispose();
      this.client = undefined;
      this.counter.connected = false;
      this.ctx.log.warn({ io: this.spec }, 'Syphon server retired; holding the last frame and waiting for it');
    }
    if (this.client) return;
    const server = servers.find((s) => matches(s, this.name));
    if (!server) return;
    this.server = server;
    const client = new this.syphon.SyphonOpenGLClient(server);
    client.on('frame', (frame) => this.take(client, frame));
    this.client = client;
    this.counter.connected = true;
    this.ctx.log.info({ io: this.spec, server: server.SyphonServerDescriptionNameKey, app: server.SyphonServerDescriptionAppNameKey }, 'Syphon server connected');
  }

  private take(client: Client, frame: unknown): void {
    const t0 = performance.now();
    const px = framePixels(frame, client);
    if (!px || px.data.length !== px.width * px.height * 4) {
      this.counter.drops++;
      return;
    }
    const data = new Uint8Array(px.data);
    if (this.flip) flipRows(data, px.width, px.height);
    this.held = { width: px.width, height: px.height, data, timestamp: t0 };
    this.counter.record(performance.now() - t0);
  }

  latest(): Frame | undefined {
    return this.held;
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.client?.dispose();
    this.directory.dispose();
  }
}

/** Publishes frames as a Syphon OpenGL server; each frame carries its own size. */
export class SyphonSink implements FrameSink {
  private readonly server: InstanceType<NodeSyphonModule['SyphonOpenGLServer']>;
  private readonly counter = new StatsCounter();

  constructor(readonly spec: string, syphon: NodeSyphonModule, name: string, private readonly flip: boolean) {
    this.server = new syphon.SyphonOpenGLServer(name);
  }

  write(frame: Frame): void {
    const t0 = performance.now();
    const { width, height } = frame;
    const pixels = new Uint8ClampedArray(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
    try {
      this.server.publishImageData(pixels, 'GL_TEXTURE_2D', { x: 0, y: 0, width, height }, { width, height }, this.flip);
      this.counter.record(performance.now() - t0);
    } catch {
      this.counter.errors++;
    }
  }

  stats() {
    return this.counter.snapshot();
  }

  async close(): Promise<void> {
    this.server.dispose();
  }
}

export type SyphonLoader = () => Promise<NodeSyphonModule>;

/** The syphon: transport with node-syphon injectable (tests pass a fake module of the same shape). */
export function makeSyphonTransport(load: SyphonLoader = loadNodeSyphon): Transport {
  return {
    scheme: 'syphon',
    description: 'Syphon server/client on macOS through node-syphon (GPL, installed by the user: npm install node-syphon); an empty input name takes the first server.',
    examples: ['syphon:TDSyphonOut', 'syphon:', 'syphon:sdlive', 'syphon:Resolume?flip=1'],
    async openSource(target, ctx) {
      const t = parseTarget(target, ['flip']);
      return new SyphonSource(`syphon:${target}`, await load(), t.path, flagOption(t, 'flip'), ctx);
    },
    async openSink(target) {
      const t = parseTarget(target, ['flip']);
      // Syphon's OpenGL textures are bottom row first: the server flips unless ?flip=0.
      return new SyphonSink(`syphon:${target}`, await load(), t.path || 'sdlive', flagOption(t, 'flip', true));
    },
  };
}

export const syphonTransport = makeSyphonTransport();
