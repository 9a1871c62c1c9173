import { Command, Option } from 'commander';
import { startApp } from '../../app.js';
import { SdliveError } from '../../errors.js';
import { readConfigFile, resolveConfig } from '../../config.js';
import { createLogger, LOG_LEVELS } from '../../log.js';
import { onShutdown, shutdown } from '../shutdown.js';

interface RunFlags {
  config?: string;
  pipeline?: string;
  model?: string;
  input?: string;
  controlInput?: string;
  output?: string[];
  oscPort?: string;
  httpPort?: string;
  frames?: string;
  set?: string[];
  logLevel?: string;
}

function parseSet(assignments: string[] = []): Record<string, unknown> {
  return Object.fromEntries(assignments.map((a) => {
    const eq = a.indexOf('=');
    if (eq < 1) throw new SdliveError('SDL_ERR_CONFIG', `--set "${a}": expected key=value, e.g. --set delta=0.7`, 'set');
    const key = a.slice(0, eq);
    const raw = a.slice(eq + 1);
    try {
      return [key, JSON.parse(raw)];
    } catch {
      return [key, raw];
    }
  }));
}

/** An integer flag as a number; anything else goes through as typed, so the config error shows what was typed. */
const asInt = (v: string | undefined) => (v !== undefined && /^-?\d+$/.test(v) ? Number(v) : v);

/** Flags win over the config file; only the flags given are applied. */
export async function configFromFlags(flags: RunFlags) {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const section = (name: string) => (file[name] && typeof file[name] === 'object' ? (file[name] as object) : {});
  const merged: Record<string, unknown> = { ...file };
  const params = { ...section('params'), ...parseSet(flags.set), ...(flags.model ? { model: flags.model } : {}) };
  if (Object.keys(params).length) merged.params = params;
  if (flags.pipeline) merged.pipeline = flags.pipeline;
  if (flags.input) merged.input = flags.input;
  if (flags.controlInput) merged.control_input = flags.controlInput;
  if (flags.output?.length) merged.outputs = flags.output;
  if (flags.oscPort !== undefined) merged.osc = { ...section('osc'), port: asInt(flags.oscPort) };
  if (flags.httpPort !== undefined) merged.http = { ...section('http'), port: asInt(flags.httpPort) };
  if (flags.frames !== undefined) merged.frames = asInt(flags.frames);
  if (flags.logLevel) merged.log_level = flags.logLevel;
  return resolveConfig(merged);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the engine (with no flags: the built-in tiny model on the test pattern, preview on http://127.0.0.1:9001)')
    .option('-c, --config <file>', 'JSON config file (flags override it)')
    .option('--pipeline <name>', 'pipeline: streamdiffusion or passthrough')
    .option('-m, --model <dir>', 'model folder, or builtin:tiny')
    .option('-i, --input <spec>', 'frame source, e.g. test:bars, shm:sdlive-in, spout:TDOut, ffmpeg:/dev/video0')
    .option('--control-input <spec>', 'second frame source for ControlNet control images (controlnet_N_source control_input)')
    .option('-o, --output <spec>', 'frame sink, repeatable, e.g. spout:sdlive, shm:sdlive-out, raw:-', (v: string, acc: string[] = []) => [...acc, v])
    .option('--osc-port <port>', 'OSC UDP port (default 9000)')
    .option('--http-port <port>', 'HTTP port for OSCQuery, WebSocket, metrics and the web page (default 9001)')
    .option('--frames <n>', 'stop cleanly after N output frames')
    .option('-s, --set <key=value>', 'set a pipeline parameter, repeatable (value parsed as JSON when it is)', (v: string, acc: string[] = []) => [...acc, v])
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .action(async (flags: RunFlags) => {
      const config = await configFromFlags(flags);
      const log = createLogger(config.log_level);
      const starting = new AbortController();
      const started = startApp(config, log, starting.signal);
      const stop = async (why: string) => {
        log.info({ why }, 'stopping');
        starting.abort(new Error(why));
        await started.then((app) => app.stop(), () => undefined);
      };
      // Registered in the same tick as startApp. Still starting: startApp closes what it opened and rejects.
      onShutdown(stop);
      const app = await started.catch((e: unknown) => {
        if (!starting.signal.aborted) throw e;
      });
      if (app) onShutdown(stop, { recordings: () => app.engine.recording });
      app?.engine.once('done', () => void shutdown(`${config.frames} frames done`));
    });
}
