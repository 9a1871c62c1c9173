import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { MidiConfig, OscConfig } from './control/config.js';
import { PresetsConfig } from './control/presets/config.js';
import { SdliveError } from './errors.js';
import { HttpConfig } from './http/config.js';
import { LOG_LEVELS } from './log.js';
import { PIPELINES, pipelineByName } from './pipelines/registry.js';
import { deepFreeze } from './util/deep-freeze.js';
import { didYouMeanSuffix } from './util/did-you-mean.js';

export const EngineConfig = z.strictObject({
  pipeline: z.string().default('streamdiffusion').describe(`Pipeline to run: ${Object.keys(PIPELINES).join(', ')}.`),
  params: z.record(z.string(), z.unknown()).default({}).describe('Initial pipeline parameters (see `sdlive schema`).'),
  input: z.string().default('test:bars').describe('Frame source spec, e.g. test:bars, shm:sdlive-in, ffmpeg:/dev/video0.'),
  control_input: z.string().optional().describe('Second frame source spec for ControlNet control images (a depth or edge feed), e.g. shm:sdlive-control.'),
  outputs: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(z.string())).default([])
    .describe('Frame sink spec, or a list of them; the web preview is always on.'),
  frames: z.int().positive().optional().describe('Stop cleanly after this many output frames.'),
  log_level: z.enum(LOG_LEVELS).default('info'),
  http: HttpConfig.default(HttpConfig.parse({})),
  osc: OscConfig.default(OscConfig.parse({})),
  midi: MidiConfig.default(MidiConfig.parse({})),
  mappings: z.array(z.string()).default([]).describe('Mapping files (mappings/*.json) to load and hot-reload.'),
  presets: PresetsConfig.default(PresetsConfig.parse({})),
  recordings: z.strictObject({
    folder: z.string().min(1).default('recordings').describe('Where record/start NAME records (created when missing); relative to the config file.'),
  }).default({ folder: 'recordings' }),
});
export type EngineConfig = Readonly<z.output<typeof EngineConfig>>;

/** The object schema at a path, looking through defaults and optionals, to name the keys that exist there. */
function shapeKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const key of [...path, null]) {
    for (let def = (node as z.ZodType)._zod.def as { innerType?: unknown; type: string }; def.innerType; def = (node as z.ZodType)._zod.def as typeof def) {
      node = def.innerType;
    }
    const shape = (node as { shape?: Record<string, z.ZodType> }).shape;
    if (key === null) return shape ? Object.keys(shape) : [];
    node = shape?.[String(key)];
    if (!node) return [];
  }
  return [];
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), input);
}

/** One line naming the field, the value and the reason, from the first zod issue. */
export function describeIssue(schema: z.ZodType, input: unknown, error: z.ZodError, prefix: string[] = []): SdliveError {
  const issue = error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const field = [...prefix, ...issue.path.map(String), key].join('.');
    return new SdliveError('SDL_ERR_CONFIG', `config field "${field}": unknown key${didYouMeanSuffix(key, shapeKeysAt(schema, issue.path))}`, field);
  }
  const field = [...prefix, ...issue.path.map(String)].join('.') || '(root)';
  const value = JSON.stringify(valueAt(input, issue.path)) ?? 'missing';
  return new SdliveError('SDL_ERR_CONFIG', `config field "${field}" = ${value.length > 60 ? `${value.slice(0, 57)}...` : value}: ${issue.message}`, field);
}

/** "line 3, column 7" of a JSON.parse error that gives a position (Node 20 gives only the offset). */
function jsonErrorWhere(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  if (!position) return message;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  return `line ${line}, column ${before.length - before.lastIndexOf('\n')}: ${message.replace(/ in JSON at position \d+.*$/, '')}`;
}

/** A relative path in the file at `dir`, as the file means it; `keepName` leaves a bare name that is not a file there. */
function fromConfigDir(dir: string, path: string, keepName = false): string {
  if (isAbsolute(path) || (keepName && !path.includes('/') && !existsSync(resolve(dir, path)))) return path;
  return resolve(dir, path);
}

/** `file:` and `raw:` specs name files; every other scheme names a device, a ring or a sender. */
function specFromConfigDir(dir: string, spec: string): string {
  const m = /^(file|raw):([^?]+)(.*)$/.exec(spec);
  return m && m[2] !== '-' ? `${m[1]}:${fromConfigDir(dir, m[2]!)}${m[3]}` : spec;
}

const section = (file: Record<string, unknown>, key: string) => (file[key] && typeof file[key] === 'object' && !Array.isArray(file[key]) ? (file[key] as Record<string, unknown>) : undefined);

/**
 * Relative paths in a config file are relative to the file's folder, wherever sdlive is started from: mapping
 * files (shipped names stay names), input/output files, a model folder (model names stay names), the LoRA folder,
 * midi.learn_file, presets.folder and recordings.folder (its default, "recordings", is next to the file too).
 */
function pathsFromConfigDir(file: Record<string, unknown>, dir: string): Record<string, unknown> {
  const out = { ...file };
  const str = (v: unknown): v is string => typeof v === 'string';
  if (Array.isArray(file.mappings)) out.mappings = file.mappings.map((m) => (str(m) ? fromConfigDir(dir, m, true) : m));
  if (str(file.input)) out.input = specFromConfigDir(dir, file.input);
  if (str(file.control_input)) out.control_input = specFromConfigDir(dir, file.control_input);
  const outputs = str(file.outputs) ? [file.outputs] : file.outputs;
  if (Array.isArray(outputs)) out.outputs = outputs.map((o) => (str(o) ? specFromConfigDir(dir, o) : o));
  const params = section(file, 'params');
  if (params && str(params.model) && !params.model.includes(':')) out.params = { ...params, model: fromConfigDir(dir, params.model, true) };
  if (params && str(params.lora_dir)) out.params = { ...(out.params as object), lora_dir: fromConfigDir(dir, params.lora_dir) };
  const midi = section(file, 'midi');
  if (midi && str(midi.learn_file)) out.midi = { ...midi, learn_file: fromConfigDir(dir, midi.learn_file) };
  const presets = section(file, 'presets');
  if (presets && str(presets.folder)) out.presets = { ...presets, folder: fromConfigDir(dir, presets.folder) };
  const recordings = section(file, 'recordings');
  const folder = recordings?.folder ?? 'recordings';
  if (str(folder) && (file.recordings === undefined || recordings)) out.recordings = { ...recordings, folder: fromConfigDir(dir, folder) };
  return out;
}

/** Reads a JSON config file; a missing file or bad JSON is a config error, never a stack trace. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SdliveError('SDL_ERR_CONFIG_READ', `cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'config');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SdliveError('SDL_ERR_CONFIG_READ', `config file ${path} is not a JSON object: ${jsonErrorWhere(text, (e as Error).message)}`, 'config');
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new SdliveError('SDL_ERR_CONFIG_READ', `config file ${path} is not a JSON object: the top level must be an object`, 'config');
  return pathsFromConfigDir(json as Record<string, unknown>, dirname(resolve(path)));
}

/**
 * Validates a whole config (file merged with flags) once at start-up and freezes it all the way down, pipeline parameters
 * included: they are checked against the chosen pipeline's schema here, not on the first frame.
 */
export function resolveConfig(input: Record<string, unknown>): EngineConfig {
  const parsed = EngineConfig.safeParse(input);
  if (!parsed.success) throw describeIssue(EngineConfig, input, parsed.error);
  const pipeline = pipelineByName(parsed.data.pipeline);
  const params = pipeline.schema.safeParse(parsed.data.params);
  if (!params.success) throw describeIssue(pipeline.schema, parsed.data.params, params.error, ['params']);
  return deepFreeze({ ...parsed.data, params: params.data as Record<string, unknown> });
}
