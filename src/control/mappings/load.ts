import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { SdliveError } from '../../errors.js';
import { didYouMeanSuffix } from '../../util/did-you-mean.js';
import type { AddressSpace } from '../space/address-space.js';
import { MappingFile, MidiBinding, OscBinding } from './schema.js';

/** The mapping files shipped in the package (`mappings/`), next to src/ and dist/ alike. */
export const SHIPPED_MAPPINGS_DIR = fileURLToPath(new URL('../../../mappings/', import.meta.url));

export interface LoadedMapping {
  file: string;
  mapping: MappingFile;
}

/** A path as given, or the name of a shipped mapping (`akai-midimix` -> mappings/akai-midimix.json). */
export function resolveMappingPath(nameOrPath: string): string {
  if (existsSync(nameOrPath)) return resolve(nameOrPath);
  const shipped = resolve(SHIPPED_MAPPINGS_DIR, nameOrPath.endsWith('.json') ? nameOrPath : `${nameOrPath}.json`);
  return existsSync(shipped) ? shipped : resolve(nameOrPath);
}

const mappingError = (file: string, path: string, reason: string) => new SdliveError('SDL_ERR_MAPPING', `${file}: ${path}: ${reason}`, path);

const CONTINUOUS = new Set<MidiBinding['type']>(['cc', 'cc14', 'nrpn', 'relative', 'pitchbend']);

/** Every target must exist; knobs and faders need an address with a 0..1 view, buttons one that takes a value. */
function targetProblems(file: string, mapping: MappingFile, space: AddressSpace): SdliveError[] {
  const targets = space.addresses.map((a) => a.target);
  const check = (where: string, param: string | undefined, needsUnit: boolean) => {
    if (param === undefined) return [];
    const address = space.target(param);
    if (!address) return [mappingError(file, where, `no address ${space.root}/${param}${didYouMeanSuffix(param, targets)} (see \`sdlive mappings list --addresses\`)`)];
    if (needsUnit && !address.unitView) return [mappingError(file, where, `${param} cannot follow a continuous control (use a button, or a ranged parameter)`)];
    return [];
  };
  return [
    ...mapping.midi.flatMap((b, i) => check(`midi[${i}].param`, 'command' in b && b.command ? undefined : b.param, CONTINUOUS.has(b.type) && !('button' in b && b.button))),
    ...mapping.osc.flatMap((b, i) => check(`osc[${i}].param`, b.param, b.range !== undefined)),
  ];
}

/** Every problem of a mapping file (none: it loads), each naming the file, the path inside it and the reason. */
export function mappingProblems(file: string, text: string, space?: AddressSpace): { mapping?: MappingFile; problems: SdliveError[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { problems: [mappingError(file, '(root)', `not valid JSON: ${(e as Error).message}`)] };
  }
  const parsed = MappingFile.safeParse(json);
  if (!parsed.success) return { problems: parsed.error.issues.map((issue) => issueError(file, issue, json)) };
  return { mapping: parsed.data, problems: space ? targetProblems(file, parsed.data, space) : [] };
}

/** Validates mapping JSON; the error names the file, the path inside it and the reason of the first problem. */
export function parseMapping(file: string, text: string, space?: AddressSpace): MappingFile {
  const { mapping, problems } = mappingProblems(file, text, space);
  if (problems.length) throw problems[0]!;
  return mapping!;
}

/** The keys an object at `path` may have: the file's own, an OSC binding's, or those of the MIDI binding type it names. */
function keysAt(json: unknown, path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return Object.keys(MappingFile.shape);
  if (path[0] === 'osc') return Object.keys(OscBinding.shape);
  const type = (json as { midi?: { type?: unknown }[] }).midi?.[Number(path[1])]?.type;
  return Object.keys(MidiBinding.options.find((o) => o.shape.type.value === type)?.shape ?? {});
}

function issueError(file: string, issue: z.core.$ZodIssue, json: unknown): SdliveError {
  const path = issue.path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '') || '(root)';
  if (issue.code !== 'unrecognized_keys') return mappingError(file, path, issue.message);
  const known = keysAt(json, issue.path);
  const hints = issue.keys.length === 1 ? didYouMeanSuffix(issue.keys[0]!, known) : issue.keys.map((k) => didYouMeanSuffix(k, known, (h) => `${h}" for "${k}`)).join('');
  return mappingError(file, path, `${issue.message}${hints}`);
}

export async function readMappingText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw mappingError(file, '(file)', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

export async function loadMappingFile(file: string, space?: AddressSpace): Promise<LoadedMapping> {
  return { file, mapping: parseMapping(file, await readMappingText(file), space) };
}
