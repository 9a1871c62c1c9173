import type { App, AppPlugin } from '../app.js';
import { AddressSpace } from './address-space.js';
import { OscFeedback } from './osc-feedback.js';
import { OscServer } from './osc-server.js';
import { ACCESS, type ExtraNode } from './oscquery-namespace.js';
import { OscQueryService } from './oscquery-server.js';
import { advertise, type ZeroconfHandle } from './zeroconf.js';

/** Read-only engine state in the namespace: what feedback and OSCQuery listeners see. */
function metricNodes(app: App, root: string): ExtraNode[] {
  const m = () => app.engine.metrics();
  return [
    { path: `${root}/fps`, type: 'f', access: ACCESS.read, unit: 'fps', description: 'Output frames per second', read: () => [m().fps] },
    { path: `${root}/frame_count`, type: 'i', access: ACCESS.read, description: 'Output frames since start', read: () => [m().frameCount] },
    { path: `${root}/latency_ms`, type: 'f', access: ACCESS.read, unit: 'ms', description: 'Input-to-output delay of the last frame', read: () => [m().latencyMs] },
  ];
}

/** Waits until the HTTP hub has its real port (it listens after the plugins registered). */
function whenHttpPortKnown(app: App, then: (port: number) => void): NodeJS.Timeout {
  const poll = (): NodeJS.Timeout => (app.http.port ? setTimeout(() => then(app.http.port), 0) : setTimeout(poll, 50));
  return poll();
}

const surfaces = new WeakMap<object, ControlSurface>();

/** The running control surface of an app (keyed by its store, which the running app shares). */
export function controlSurfaceOf(app: Pick<App, 'store'>): ControlSurface | undefined {
  return surfaces.get(app.store);
}

/** Everything a performer touches: OSC, its feedback, OSCQuery and Zeroconf. */
export class ControlSurface {
  private zeroconf: ZeroconfHandle | undefined;
  private zeroconfTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly space: AddressSpace,
    readonly osc: OscServer,
    private readonly feedback: OscFeedback,
    readonly oscquery: OscQueryService,
  ) {}

  static async start(app: App): Promise<ControlSurface> {
    const { osc: cfg } = app.config;
    const space = new AddressSpace(app.definition.schema);
    const server = new OscServer({ store: app.store, space, log: app.log, port: cfg.port, host: cfg.host, maxPacketBytes: cfg.max_packet_bytes });
    await server.listen();
    const feedback = new OscFeedback({
      server, store: app.store, targets: cfg.feedback.map((t) => ({ address: t.host, port: t.port })),
      replyToSender: cfg.reply_to_sender, heartbeatMs: cfg.heartbeat_ms, metrics: () => app.engine.metrics(),
    }).start();
    const oscquery = new OscQueryService({
      http: app.http, server, store: app.store, log: app.log, name: 'sdlive', uiPath: '/ui/',
      extras: metricNodes(app, space.root),
    });
    const surface = new ControlSurface(space, server, feedback, oscquery);
    if (cfg.zeroconf) {
      surface.zeroconfTimer = whenHttpPortKnown(app, (httpPort) => {
        surface.zeroconf = advertise({ name: `sdlive-${httpPort}`, oscPort: server.port, httpPort }, app.log);
      });
    }
    app.log.info({ port: server.port, root: space.root, addresses: space.addresses.length }, 'OSC listening');
    return surface;
  }

  async close(): Promise<void> {
    clearTimeout(this.zeroconfTimer);
    this.oscquery.close();
    this.feedback.stop();
    await this.zeroconf?.close();
    await this.osc.close();
  }
}

export const controlPlugin: AppPlugin = {
  name: 'control',
  async register(app) {
    const surface = await ControlSurface.start(app);
    surfaces.set(app.store, surface);
    return { close: () => surface.close() };
  },
};
