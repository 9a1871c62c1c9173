import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { SdliveError } from '../../errors.js';
import type { AddressSpace } from '../address-space.js';
import { MappingFile, type MidiBinding } from './schema.js';

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
function checkTargets(file: string, mapping: MappingFile, space: AddressSpace): void {
  const check = (where: string, param: string | undefined, needsUnit: boolean) => {
    if (param === undefined) return;
    const address = space.target(param);
    if (!address) throw mappingError(file, where, `no address ${space.root}/${param} (see \`sdlive mappings list\`)`);
    if (needsUnit && !address.unitView) throw mappingError(file, where, `${param} cannot follow a continuous control (use a button, or a ranged parameter)`);
  };
  mapping.midi.forEach((b, i) => check(`midi[${i}].param`, b.param, CONTINUOUS.has(b.type) && !('button' in b && b.button)));
  mapping.osc.forEach((b, i) => check(`osc[${i}].param`, b.param, b.range !== undefined));
}

/** Validates mapping JSON; errors name the file, the path inside it and the reason. */
export function parseMapping(file: string, text: string, space?: AddressSpace): MappingFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw mappingError(file, '(root)', `not valid JSON: ${(e as Error).message}`);
  }
  const parsed = MappingFile.safeParse(json);
  if (!parsed.success) throw issueError(file, parsed.error);
  if (space) checkTargets(file, parsed.data, space);
  return parsed.data;
}

function issueError(file: string, error: z.ZodError): SdliveError {
  const issue = error.issues[0]!;
  const path = issue.path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '') || '(root)';
  return mappingError(file, path, issue.message);
}

export async function loadMappingFile(file: string, space?: AddressSpace): Promise<LoadedMapping> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw mappingError(file, '(file)', `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return { file, mapping: parseMapping(file, text, space) };
}
