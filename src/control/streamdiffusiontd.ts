import type { EngineMetrics } from '../engine/engine.js';
import type { Logger } from '../log.js';
import type { AddressSpace } from './address-space.js';
import type { StreamDiffusionTdConfig } from './config.js';
import { loadMappingFile, resolveMappingPath } from './mappings/load.js';
import { installOscRoutes } from './mappings/osc-routes.js';
import { encodeMessage } from './osc-codec.js';
import { OscServer, type ControlStore, type OscPeer } from './osc-server.js';

export interface StreamDiffusionTdOptions {
  config: StreamDiffusionTdConfig;
  host: string;
  store: ControlStore;
  space: AddressSpace;
  log: Logger;
  metrics: () => Pick<EngineMetrics, 'frameCount' | 'fps'>;
  /** Subscribes to output frames; returns the unsubscribe function. */
  onFrame: (listener: () => void) => () => void;
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
  readonly reply: OscPeer;

  constructor(readonly server: OscServer, private readonly opts: StreamDiffusionTdOptions) {
    this.reply = { address: opts.config.reply_host, port: opts.config.reply_port };
  }

  static async start(opts: StreamDiffusionTdOptions): Promise<StreamDiffusionTd> {
    const server = new OscServer({ store: opts.store, space: opts.space, log: opts.log, port: opts.config.port, host: opts.host, source: 'streamdiffusiontd', name: 'streamdiffusiontd' });
    // Not checked against the pipeline's schema: with a pipeline lacking some of its parameters, those messages are counted as unknown.
    const mapping = await loadMappingFile(resolveMappingPath(STREAMDIFFUSIONTD_MAPPING));
    await server.listen();
    const adapter = new StreamDiffusionTd(server, opts);
    adapter.uninstall = installOscRoutes(server, [mapping]);
    adapter.timer = setInterval(() => adapter.heartbeat(), opts.config.heartbeat_ms);
    adapter.timer.unref();
    adapter.offFrame = opts.onFrame(() => adapter.send('/framecount', [opts.metrics().frameCount], 'i'));
    opts.log.info({ port: server.port, reply: `${adapter.reply.address}:${adapter.reply.port}` }, 'StreamDiffusionTD compatibility listening');
    return adapter;
  }

  private send(address: string, args: (number | string)[], type?: 'i' | 'f'): void {
    this.server.send(this.reply, encodeMessage(address, args, type));
  }

  private heartbeat(): void {
    this.send('/server_active', [1], 'i');
    this.send('/stream-info/fps', [this.opts.metrics().fps], 'f');
    this.send('/stream-info/output-name', [this.opts.config.output_name]);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.offFrame?.();
    this.uninstall?.();
    await this.server.close();
  }
}
