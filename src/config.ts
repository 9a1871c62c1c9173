import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { MidiConfig, OscConfig } from './control/config.js';
import { SdliveError } from './errors.js';
import { HttpConfig } from './http/config.js';
import { LOG_LEVELS } from './log.js';
import { PIPELINES, pipelineByName } from './pipelines/registry.js';
import { didYouMeanSuffix } from './util/did-you-mean.js';

export const EngineConfig = z.strictObject({
  pipeline: z.string().default('streamdiffusion').describe(`Pipeline to run: ${Object.keys(PIPELINES).join(', ')}.`),
  params: z.record(z.string(), z.unknown()).default({}).describe('Initial pipeline parameters (see `sdlive schema`).'),
  input: z.string().default('test:bars').describe('Frame source spec, e.g. test:bars, shm:sdlive-in, ffmpeg:/dev/video0.'),
  outputs: z.array(z.string()).default([]).describe('Frame sink specs; the web preview is always on.'),
  frames: z.int().positive().optional().describe('Stop cleanly after this many output frames.'),
  log_level: z.enum(LOG_LEVELS).default('info'),
  http: HttpConfig.default(HttpConfig.parse({})),
  osc: OscConfig.default(OscConfig.parse({})),
  midi: MidiConfig.default(MidiConfig.parse({})),
  mappings: z.array(z.string()).default([]).describe('Mapping files (mappings/*.json) to load and hot-reload.'),
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

/** Reads a JSON config file; a missing file or bad JSON is a config error, never a stack trace. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SdliveError('SDL_ERR_CONFIG_READ', `cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'config');
  }
  try {
    const json: unknown = JSON.parse(text);
    if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error('top level must be an object');
    return json as Record<string, unknown>;
  } catch (e) {
    throw new SdliveError('SDL_ERR_CONFIG_READ', `config file ${path} is not a JSON object: ${(e as Error).message}`, 'config');
  }
}

/**
 * Validates a whole config (file merged with flags) once at start-up and freezes it, pipeline parameters
 * included: they are checked against the chosen pipeline's schema here, not on the first frame.
 */
export function resolveConfig(input: Record<string, unknown>): EngineConfig {
  const parsed = EngineConfig.safeParse(input);
  if (!parsed.success) throw describeIssue(EngineConfig, input, parsed.error);
  const pipeline = pipelineByName(parsed.data.pipeline);
  const params = pipeline.schema.safeParse(parsed.data.params);
  if (!params.success) throw describeIssue(pipeline.schema, parsed.data.params, params.error, ['params']);
  return Object.freeze({ ...parsed.data, params: params.data as Record<string, unknown> });
}
