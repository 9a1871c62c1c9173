import type { EngineConfig } from './config.js';
import type { CommandRegistry } from './control/commands/registry.js';
import type { Engine } from './engine/engine.js';
import type { ParameterStore } from './engine/parameter-store.js';
import type { HttpHub } from './http/server.js';
import type { Logger } from './log.js';
import type { PipelineDefinition } from './pipelines/pipeline.js';

/** Everything a plugin may use: the validated config, the parameter store, the engine, the HTTP hub and the commands. */
export interface App {
  readonly config: EngineConfig;
  readonly log: Logger;
  readonly definition: PipelineDefinition;
  readonly store: ParameterStore<PipelineDefinition['schema']>;
  readonly engine: Engine;
  readonly http: HttpHub;
  /** Actions that are not parameter values; a plugin's registrations appear on OSC, OSCQuery, HTTP and the CLI. */
  readonly commands: CommandRegistry;
}

export interface PluginHandle {
  close(): Promise<void>;
}

/** A concern that attaches to the running engine (OSC, OSCQuery, MIDI, the web page, metrics). */
export interface AppPlugin {
  readonly name: string;
  register(app: App): Promise<PluginHandle | void>;
}
