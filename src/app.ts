import type { EngineConfig } from './config.js';
import { CommandRegistry } from './control/commands/registry.js';
import { presetsPlugin } from './control/presets/plugin.js';
import { controlPlugin, controlSurfaceOf } from './control/surface.js';
import { tempoPlugin } from './control/tempo/plugin.js';
import { engineCommandsPlugin } from './engine/commands-plugin.js';
import { Engine } from './engine/engine.js';
import { engineHttpPlugin } from './engine/http-plugin.js';
import { outputsPlugin } from './engine/outputs-plugin.js';
import { ParameterStore } from './engine/parameter-store.js';
import { HttpHub } from './http/server.js';
import { openSink, openSource } from './io/registry.js';
import type { FrameSink } from './io/transport.js';
import { logMetricFamilies, type Logger } from './log.js';
import { MODEL_CHOICES, modelCatalogue, startupModel } from './models/catalogue.js';
import { CONTROLNET_CHOICES, controlNetCatalogue, controlNetChoices } from './models/controlnet-catalogue.js';
import { LORA_CHOICES, LoraCatalogue } from './models/lora/catalogue.js';
import { pipelineByName } from './pipelines/registry.js';
import type { App, AppPlugin } from './plugin.js';
import { webPlugin } from './web/plugin.js';

export const PLUGINS: readonly AppPlugin[] = Object.freeze([presetsPlugin, controlPlugin, engineHttpPlugin, engineCommandsPlugin, outputsPlugin, webPlugin, tempoPlugin]);

export interface RunningApp extends App {
  stop(): Promise<void>;
}

/** Starts the work unless already aborted; rejects with the signal's reason as soon as it aborts. */
function unlessAborted<T>(start: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  signal?.throwIfAborted();
  const work = start();
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The pipeline a config names and its parameter store, with the frame size those parameters ask for. */
export function pipelineState(config: EngineConfig) {
  const definition = pipelineByName(config.pipeline);
  const models = modelCatalogue([startupModel(config.params.model)]);
  // The LoRA folder is read when a name is checked: the store's lora_dir, once the store exists.
  const loras = new LoraCatalogue((): string => String((store.snapshot as { lora_dir?: string }).lora_dir ?? ''));
  const store = new ParameterStore(definition.schema, config.params, { [MODEL_CHOICES]: models, [CONTROLNET_CHOICES]: controlNetChoices(controlNetCatalogue()), [LORA_CHOICES]: loras });
  const { width, height } = store.snapshot as { width: number; height: number };
  return { definition, store, width, height };
}

/** "cuda: why; dml, coreml: why": providers that failed for the same reason are named together. */
function skippedLine(skipped: readonly string[]): string {
  const byReason = new Map<string, string[]>();
  for (const entry of skipped) {
    const at = entry.indexOf(': ');
    const reason = entry.slice(at + 2);
    byReason.set(reason, [...(byReason.get(reason) ?? []), entry.slice(0, at)]);
  }
  return [...byReason].map(([reason, providers]) => `${providers.join(', ')}: ${reason}`).join('; ');
}

/** What an operator checks first: what runs on what, what goes in and out, and where to reach it. */
function startupSummary({ config, engine, http, store }: App): Record<string, unknown> {
  const { model } = engine.metrics();
  const { model: name } = store.snapshot as { model?: string };
  const osc = controlSurfaceOf({ store })?.osc;
  return {
    summary: true,
    pipeline: model.pipeline,
    ...(model.provider ? { provider: model.provider } : {}),
    ...(model.skippedProviders.length ? { skipped: skippedLine(model.skippedProviders) } : {}),
    ...(name ? { model: `${name} (${model.width}x${model.height})` } : {}),
    input: config.input,
    outputs: config.outputs.length ? config.outputs.join(', ') : 'none (the page shows a preview)',
    page: `${http.url}/ui/${config.http.token ? ' (with the http.token)' : ''}`,
    oscquery: http.url,
    ...(osc ? { osc: `udp ${config.osc.host}:${osc.port}` } : {}),
    http: http.url,
  };
}

/**
 * Builds and starts the engine with every plugin. On a start-up failure, or when `signal` aborts (Ctrl-C while a
 * model loads), what was opened is closed again before the promise rejects.
 */
export async function startApp(config: EngineConfig, log: Logger, signal?: AbortSignal): Promise<RunningApp> {
  const { definition, store, width, height } = pipelineState(config);
  const ctx = { log, width, height, fps: 30 };
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((e: unknown) => log.warn({ err: e }, 'error while closing'));
  };
  try {
    const source = await openSource(config.input, ctx);
    closers.push(() => source.close());
    const controlSource = config.control_input === undefined ? undefined : await openSource(config.control_input, ctx);
    if (controlSource) closers.push(() => controlSource.close());
    const sinks: FrameSink[] = [];
    for (const spec of config.outputs) {
      const sink = await openSink(spec, ctx);
      sinks.push(sink);
      closers.push(() => sink.close());
    }
    const engine = new Engine({ definition, store, source, ...(controlSource ? { controlSource } : {}), sinks, openSink: (spec) => openSink(spec, ctx), log, maxFrames: config.frames });
    closers.splice(0, closers.length, () => engine.stop()); // the engine owns and closes the source and sinks now
    const http = new HttpHub(config.http, log);
    const app: App = { config, log, definition, store, engine, http, commands: new CommandRegistry() };
    for (const plugin of PLUGINS) {
      const handle = await plugin.register(app);
      if (handle) closers.push(() => handle.close());
    }
    await http.listen();
    closers.push(() => http.close());
    const removeLogMetrics = http.metrics.add(logMetricFamilies);
    closers.push(async () => void removeLogMetrics());
    await unlessAborted(() => engine.start(), signal);
    log.info(startupSummary(app), 'sdlive running');
    if (log.isLevelEnabled('trace')) engine.on('timing', (t) => log.trace({ frame: engine.frameCount, ms: t }, 'frame'));
    return { ...app, stop: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
