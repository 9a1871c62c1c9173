import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { SdliveError } from '../../errors.js';
import { linkFile, type HubCache } from './cache.js';
import { inPart, partEntries, partFolder, type ModelParts, type PartName } from './parts.js';

/** sdlive's own cache (assembled model folders): SDLIVE_HOME, else XDG_CACHE_HOME/sdlive, else ~/.cache/sdlive. */
export function sdliveHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.SDLIVE_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sdlive');
}

export function assembledDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(sdliveHome(env), 'models', name);
}

/** Written in an assembled folder: where each part came from. */
export const PARTS_RECORD = 'sdlive-parts.json';

export interface CachedPart {
  repo: string;
  revision: string;
  commit: string;
  /** The part's files in the cache's snapshot folder. */
  files: string[];
}

function cachedPart(name: PartName, parts: ModelParts, cache: HubCache): CachedPart | undefined {
  const part = parts[name];
  if (!part) return undefined;
  const commit = cache.commitOf(part.repo, part.revision);
  if (!commit) return undefined;
  const folder = partFolder(name, part);
  const dir = join(cache.snapshotDir(part.repo, commit), folder);
  if (!existsSync(dir)) return undefined;
  const names = readdirSync(dir).filter((f) => inPart(name, part, `${folder}/${f}`));
  const files = names.map((f) => cache.cachedFile(part.repo, commit, `${folder}/${f}`)).filter((f) => f !== undefined);
  const complete = files.length > 0 && files.length === names.length && (!part.files || files.length === part.files.length);
  return complete ? { repo: part.repo, revision: part.revision, commit, files } : undefined;
}

/** Every part's files in the cache, or undefined while one part is missing. */
export function cachedParts(parts: ModelParts, cache: HubCache): Map<PartName, CachedPart> | undefined {
  const found = new Map<PartName, CachedPart>();
  for (const [name] of partEntries(parts)) {
    const part = cachedPart(name, parts, cache);
    if (!part) return undefined;
    found.set(name, part);
  }
  return found;
}

function linkFolder(dir: string, parts: Map<PartName, CachedPart>, record: string): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [name, part] of parts) {
    mkdirSync(join(dir, name), { recursive: true });
    for (const file of part.files) linkFile(file, join(dir, name, basename(file)));
  }
  writeFileSync(join(dir, PARTS_RECORD), record);
}

/**
 * A plain optimum-layout folder of symlinks into the cache's snapshots (external data files keep their names
 * beside their .onnx), which the loader reads as any model folder. Rebuilt when a part's commit or the cache moved.
 */
export function assembleModel(name: string, parts: ModelParts, cache: HubCache, env: NodeJS.ProcessEnv = process.env): string {
  const cached = cachedParts(parts, cache);
  if (!cached) throw new SdliveError('SDL_ERR_MODEL_LOAD', `model "${name}" is not fetched yet: sdlive models fetch ${name}`, 'model');
  const dir = assembledDir(name, env);
  const record = `${JSON.stringify(Object.fromEntries(cached), null, 2)}\n`;
  const recordFile = join(dir, PARTS_RECORD);
  if (existsSync(recordFile) && readFileSync(recordFile, 'utf8') === record) return dir;
  const tmp = `${dir}.${process.pid}.tmp`;
  try {
    linkFolder(tmp, cached, record);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new SdliveError('SDL_ERR_MODEL_LOAD', `cannot assemble ${dir}: ${e instanceof Error ? e.message : String(e)}`, 'model');
  }
  return dir;
}
