import { resolve } from 'node:path';
import type { App, AppPlugin } from '../plugin.js';
import { commandNodes, installOscCommands } from './commands/osc.js';
import { installHttpCommands } from './commands/http.js';
import { StreamDiffusionTdConfig } from './config.js';
import { resolveMappingPath, SHIPPED_MAPPINGS_DIR } from './mappings/load.js';
import { MappingSet } from './mappings/mapping-set.js';
import { installOscRoutes } from './mappings/osc-routes.js';
import { rtMidiBackend, type MidiBackend } from './midi/backend.js';
import { installLearnCommands } from './midi/learn-command.js';
import { MidiControl } from './midi/midi-control.js';
import { OscFeedback } from './osc/feedback.js';
import { controlFailureFamilies, oscMetricFamilies } from './osc/metrics.js';
import { OscServer } from './osc/server.js';
import { ACCESS, type ExtraNode } from './oscquery/namespace.js';
import { OscQueryService } from './oscquery/server.js';
import { advertise, type ZeroconfHandle } from './oscquery/zeroconf.js';
import { AddressSpace } from './space/address-space.js';
import { METRIC_ADDRESSES } from './space/metric-addresses.js';
import { StreamDiffusionTd } from './streamdiffusiontd/adapter.js';

/** One value per synchronous pass: a namespace read or a LISTEN push reads all its nodes in one go. */
function oncePerTick<T>(get: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    if (!value) {
      value = { v: get() };
      queueMicrotask(() => (value = undefined));
    }
    return value.v;
  };
}

/** Read-only engine state in the namespace: the heartbeat's metrics (METRIC_ADDRESSES), for OSCQuery listeners. */
function metricNodes(app: App, root: string): ExtraNode[] {
  const m = oncePerTick(() => app.engine.metrics());
  return METRIC_ADDRESSES.map((metric) => ({
    path: `${root}/${metric.target}`, type: metric.types, access: ACCESS.read, unit: metric.unit, description: metric.description,
    read: () => metric.read(m()),
  }));
}

function learnNodes(midi: MidiControl, root: string): ExtraNode[] {
  return [
    { path: `${root}/learn`, type: 's', access: ACCESS.readWrite, description: 'Arm MIDI learn for an address (e.g. "delta", "prompts/1/weight"); reads the armed target, "" when idle', read: () => [midi.learn.target] },
    { path: `${root}/learn/cancel`, type: 'N', access: ACCESS.write, description: 'Disarm MIDI learn' },
    { path: `${root}/learn/last`, type: 's', access: ACCESS.read, description: 'The last binding MIDI learn wrote', read: () => [midi.lastLearned] },
  ];
}

/** The file MIDI learn writes: midi.learn_file, else the first mapping file that is not a shipped one, else mappings/learned.json. */
function learnFileOf(app: App, files: readonly string[]): string {
  return resolve(app.config.midi.learn_file ?? files.find((f) => !f.startsWith(SHIPPED_MAPPINGS_DIR)) ?? 'mappings/learned.json');
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

/** Everything a performer touches: OSC and its feedback, OSCQuery, Zeroconf, mapping files, MIDI, learn, StreamDiffusionTD. */
export class ControlSurface {
  private readonly closers: (() => unknown)[] = [];
  private readonly pluginNodes = new Set<() => readonly ExtraNode[]>();
  space!: AddressSpace;
  osc!: OscServer;
  oscquery!: OscQueryService;
  mappings!: MappingSet;
  midi!: MidiControl;
  streamDiffusionTd: StreamDiffusionTd | undefined;

  private constructor(private readonly app: App) {}

  static async start(app: App, midiBackend: () => Promise<MidiBackend> = rtMidiBackend): Promise<ControlSurface> {
    const surface = new ControlSurface(app);
    try {
      await surface.startOsc();
      await surface.startMappingsAndMidi(midiBackend);
      surface.startOscQuery();
      await surface.startStreamDiffusionTd();
      surface.closers.push(app.http.metrics.add(() => [
        ...oscMetricFamilies(surface.oscListeners()),
        ...controlFailureFamilies({ midi: surface.midi.failures, mappings: surface.mappings.failures }),
      ]));
    } catch (e) {
      await surface.close();
      throw e;
    }
    return surface;
  }

  private async startOsc(): Promise<void> {
    const { app } = this;
    const cfg = app.config.osc;
    this.space = new AddressSpace(app.definition.schema);
    const targets = cfg.feedback.map((t) => ({ address: t.host, port: t.port }));
    this.osc = new OscServer({
      store: app.store, space: this.space, log: app.log, port: cfg.port, host: cfg.host, allow: cfg.allow, maxPacketBytes: cfg.max_packet_bytes,
      answerQueries: { to: cfg.answer_queries_to, feedback: targets }, timeTags: cfg.time_tags,
    });
    await this.osc.listen();
    this.closers.push(() => this.osc.close());
    this.closers.push(installOscCommands(this.osc, app.commands));
    installHttpCommands(app.http, app.commands);
    const feedback = new OscFeedback({
      server: this.osc, store: app.store, targets,
      replyToSender: cfg.reply_to_sender, heartbeatMs: cfg.heartbeat_ms, metrics: () => app.engine.metrics(),
    }).start();
    this.closers.push(() => feedback.stop());
    app.log.info({ host: cfg.host, port: this.osc.port, allow: cfg.allow, root: this.space.root, addresses: this.space.addresses.length }, 'OSC listening');
  }

  private async startMappingsAndMidi(backend: () => Promise<MidiBackend>): Promise<void> {
    const { app } = this;
    const files = app.config.mappings.map(resolveMappingPath);
    this.mappings = new MappingSet(files, this.space, app.log);
    await this.mappings.start();
    this.closers.push(() => this.mappings.close());
    let removeRoutes = installOscRoutes(this.osc, this.mappings.current);
    this.mappings.on('change', (m) => {
      removeRoutes();
      removeRoutes = installOscRoutes(this.osc, m);
    });
    this.midi = await new MidiControl({ config: app.config.midi, store: app.store, space: this.space, mappings: this.mappings, learnFile: learnFileOf(app, files), log: app.log, backend, commands: app.commands }).open();
    this.closers.push(() => this.midi.close());
    this.closers.push(installLearnCommands(this.osc, this.midi, app.log));
  }

  private startOscQuery(): void {
    const { app } = this;
    const [metrics, learn] = [metricNodes(app, this.space.root), learnNodes(this.midi, this.space.root)];
    this.oscquery = new OscQueryService({
      http: app.http, server: this.osc, store: app.store, log: app.log, name: 'sdlive', uiPath: '/ui/',
      extras: () => [...metrics, ...learn, ...commandNodes(app.commands, this.space.root), ...[...this.pluginNodes].flatMap((nodes) => nodes())],
    });
    this.closers.push(() => this.oscquery.close());
    if (!app.config.osc.zeroconf) return;
    let zeroconf: ZeroconfHandle | undefined;
    const timer = whenHttpPortKnown(app, (httpPort) => {
      zeroconf = advertise({ name: `sdlive-${httpPort}`, oscPort: this.osc.port, httpPort }, app.log);
    });
    this.closers.push(() => {
      clearTimeout(timer);
      return zeroconf?.close();
    });
  }

  private async startStreamDiffusionTd(): Promise<void> {
    const { app } = this;
    const cfg = app.config.osc.streamdiffusiontd;
    if (cfg === false) return;
    const sdtd = await StreamDiffusionTd.start({
      config: cfg === true ? StreamDiffusionTdConfig.parse({}) : cfg,
      host: app.config.osc.host, allow: app.config.osc.allow, store: app.store, space: this.space, log: app.log,
      metrics: () => app.engine.metrics(), frameCount: () => app.engine.frameCount, frames: { input: app.config.input, outputs: app.config.outputs },
      onFrame: (listener) => {
        app.engine.on('frame', listener);
        return () => app.engine.off('frame', listener);
      },
    });
    this.streamDiffusionTd = sdtd;
    this.closers.push(() => sdtd.close());
  }

  /** OSCQuery nodes a plugin adds (read values such as the tempo); returns the function that removes them. */
  addNodes(nodes: () => readonly ExtraNode[]): () => void {
    this.pluginNodes.add(nodes);
    return () => this.pluginNodes.delete(nodes);
  }

  /** The OSC servers by name, for /metrics. */
  oscListeners(): Map<string, OscServer> {
    const listeners = new Map([['osc', this.osc]]);
    if (this.streamDiffusionTd) listeners.set('streamdiffusiontd', this.streamDiffusionTd.server);
    return listeners;
  }

  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (e) {
        this.app.log.warn({ err: (e as Error).message }, 'control surface: error while closing');
      }
    }
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
