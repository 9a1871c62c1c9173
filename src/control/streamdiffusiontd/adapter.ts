import type { EngineMetrics } from '../../engine/engine.js';
import type { Logger } from '../../log.js';
import type { AddressSpace } from '../space/address-space.js';
import type { StreamDiffusionTdConfig } from '../config.js';
import { loadMappingFile, resolveMappingPath } from '../mappings/load.js';
import { installOscRoutes } from '../mappings/osc-routes.js';
import { encodeMessage } from '../osc/codec.js';
import { OscServer, type ControlStore, type OscPeer } from '../osc/server.js';
import { firstRawShmOutput, rawShmName } from './shm-names.js';
import type { OscArg } from '../space/values.js';

export interface StreamDiffusionTdOptions {
  config: StreamDiffusionTdConfig;
  host: string;
  /** osc.allow: the senders accepted. */
  allow?: readonly string[];
  store: ControlStore;
  space: AddressSpace;
  log: Logger;
  metrics: () => Pick<EngineMetrics, 'fps'>;
  /** Output frames since start: read on every frame, so it must be cheap. */
  frameCount: () => number;
  /** Subscribes to output frames; returns the unsubscribe function. */
  onFrame: (listener: () => void) => () => void;
  /** The app's frame specs: the raw shm names in them are what the component must read and write. */
  frames?: { input: string; outputs: readonly string[] };
}

/** The StreamDiffusionTD address table ships as a mapping file, so it is read, checked and documented like any other. */
export const STREAMDIFFUSIONTD_MAPPING = 'streamdiffusiontd';

/**
 * Speaks StreamDiffusionTD's wire contract so its TouchDesigner component drives sdlive unchanged: a second
 * OSC listener (default UDP 8247) whose addresses come from mappings/streamdiffusiontd.json, and replies to
 * 8248: `/server_active 1` every 0.75 s, `/framecount` per frame, `/stream-info/fps`, `/stream-info/output-name`.
 */
export class StreamDiffusionTd {
  private timer: NodeJS.Timeout | undefined;
  private offFrame: (() => void) | undefined;
  private uninstall: (() => void) | undefined;
  private reportedBuffer: string | undefined;
  readonly reply: OscPeer;
  /** What /stream-info/output-name reports: the shared memory sdlive writes its frames to. */
  readonly outputName: string;
  /** The raw shm buffer sdlive reads frames from, if its input is one. */
  readonly inputName: string | undefined;

  constructor(readonly server: OscServer, private readonly opts: StreamDiffusionTdOptions) {
    this.reply = { address: opts.config.reply_host, port: opts.config.reply_port };
    this.outputName = opts.config.output_name ?? firstRawShmOutput(opts.frames?.outputs ?? []) ?? 'sdlive';
    this.inputName = opts.frames && rawShmName(opts.frames.input, 'input');
  }

  static async start(opts: StreamDiffusionTdOptions): Promise<StreamDiffusionTd> {
    const server = new OscServer({
      store: opts.store, space: opts.space, log: opts.log, port: opts.config.port, host: opts.host, allow: opts.allow,
      portField: 'osc.streamdiffusiontd.port', source: 'streamdiffusiontd', name: 'streamdiffusiontd',
    });
    // Not checked against the pipeline's schema: with a pipeline lacking some of its parameters, those messages are counted as unknown.
    const mapping = await loadMappingFile(resolveMappingPath(STREAMDIFFUSIONTD_MAPPING));
    await server.listen();
    const adapter = new StreamDiffusionTd(server, opts);
    const removeRoutes = installOscRoutes(server, [mapping]);
    const removeBufferName = server.command('/td_buffer_name', (args) => adapter.bufferName(args));
    adapter.uninstall = () => {
      removeRoutes();
      removeBufferName();
    };
    adapter.timer = setInterval(() => adapter.heartbeat(), opts.config.heartbeat_ms);
    adapter.timer.unref();
    adapter.offFrame = opts.onFrame(() => adapter.send('/framecount', [opts.frameCount()], 'i'));
    opts.log.info({ host: opts.host, port: server.port, reply: `${adapter.reply.address}:${adapter.reply.port}`, output: adapter.outputName }, 'StreamDiffusionTD compatibility listening');
    return adapter;
  }

  /**
   * The component names the shared memory it writes its frames to; sdlive opens its input once at start-up, so
   * a different name is reported (once per name) with the config value that makes them meet.
   */
  private bufferName(args: readonly OscArg[]): void {
    const name = args[0];
    if (typeof name !== 'string' || name === '' || name === this.inputName || name === this.reportedBuffer) return;
    this.reportedBuffer = name;
    const { width, height } = this.opts.store.snapshot as { width?: number; height?: number };
    const reads = this.inputName ? `shared memory "${this.inputName}"` : 'no raw shm input';
    this.opts.log.info(
      { td_buffer_name: name, input: this.opts.frames?.input },
      `StreamDiffusionTD writes its frames to shared memory "${name}" but sdlive reads ${reads}: set "input": "shm:${name}?raw=1&width=${width ?? 512}&height=${height ?? 512}" in the config and restart`,
    );
  }

  private send(address: string, args: (number | string)[], type?: 'i' | 'f'): void {
    this.server.send(this.reply, encodeMessage(address, args, type));
  }

  private heartbeat(): void {
    this.send('/server_active', [1], 'i');
    this.send('/stream-info/fps', [this.opts.metrics().fps], 'f');
    this.send('/stream-info/output-name', [this.outputName]);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.offFrame?.();
    this.uninstall?.();
    await this.server.close();
  }
}
