import { existsSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SdliveError } from '../errors.js';
import type { ChoiceSet } from '../schema/param.js';
import { MODEL_FILES } from './dialect.js';
import { modelFilesIn } from './layout.js';
import { assembleModel, cachedParts } from './hub/assemble.js';
import { HubCache } from './hub/cache.js';
import { HubManifestFields, isRunnable, REPO_SPEC } from './hub/parts.js';
import { readJsonFile } from './json-file.js';
import { resolveModelDir } from './resolve.js';
import { DEFAULT_TINY_VARIANT, TINY_VARIANTS } from './tiny/variants.js';

/** The choice set the `model` parameter names (ParamMeta.remoteChoices): what OSC/HTTP/MIDI may select. */
export const MODEL_CHOICES = 'models';

/** The package's models/ folder: manifests (*.json), generated/ and exported model folders. */
export const PACKAGE_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

/** A model the engine knows by name. */
export interface KnownModel {
  readonly name: string;
  readonly description: string;
  /** Its folder; for a built-in, generated on first use. */
  folder(): string;
  /** False while the model is known (a manifest) but its files are not on this machine. */
  present(): boolean;
  /** How to get the files of a model that is not present. */
  readonly fetch?: string;
}

/** Where known models come from; a new source (the Hugging Face cache, ...) is one more of these. */
export type ModelSource = () => KnownModel[];

/**
 * models/<name>.json: a real model the engine has parameters for, and where its files come from: `parts` (repos on
 * the Hugging Face hub, fetched by `sdlive models fetch`) or the export command and its folder.
 */
export const CatalogueManifest = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a short name: lower case, digits, . _ -'),
  title: z.string().optional(),
  source: z.string(),
  export: z.string(),
  /** The exported folder, relative to the manifest; default: the folder <name>/ beside it. */
  folder: z.string().optional(),
  params: z.record(z.string(), z.unknown()),
  ...HubManifestFields,
});
export type CatalogueManifest = z.infer<typeof CatalogueManifest>;

const LISTED_NAMES = 6;
/** How long a scan of the sources is reused: a flood of refused names costs no file-system work per message. */
const RESCAN_MS = 1000;

/** Every part present under one of the names exports give it (model.onnx, WebNN's model_layernorm.onnx...). */
function hasOptimumLayout(dir: string): boolean {
  const found = modelFilesIn(dir);
  return Object.keys(MODEL_FILES).every((role) => role in found);
}

/** A source's models; one that cannot be read (a missing or unreadable folder) knows none. */
function listed(source: ModelSource): KnownModel[] {
  try {
    return source();
  } catch {
    return [];
  }
}

/** builtin:tiny and builtin:tiny-<variant>: always present (generated on first use). */
export const builtinModels: ModelSource = () => [
  { name: 'builtin:tiny', description: `= builtin:tiny-${DEFAULT_TINY_VARIANT}` },
  ...Object.values(TINY_VARIANTS).map((v) => ({ name: `builtin:tiny-${v.name}`, description: `tiny test model: ${v.description}` })),
].map((m) => ({ ...m, folder: () => resolveModelDir(m.name), present: () => true }));

/** The manifests in `dir`: *.json that parse as a CatalogueManifest. */
export function readManifests(dir: string): CatalogueManifest[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().flatMap((file) => {
    const parsed = CatalogueManifest.safeParse(safeRead(join(dir, file)));
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * The manifests in `dir`; present once their folder holds the export, or (with `parts`) once every part is in
 * the Hugging Face cache. A manifest of a VAE alone (TAESD) is a part of other models, not one of them.
 */
export function manifestModels(dir: string, cache = new HubCache()): ModelSource {
  return () => readManifests(dir).flatMap((m) => {
    const folder = resolve(dir, m.folder ?? m.name);
    const description = m.title ?? m.source;
    const { parts } = m;
    if (!parts) return [{ name: m.name, description, folder: () => folder, present: () => hasOptimumLayout(folder), fetch: `${m.export} (into ${folder})` }];
    if (!isRunnable(parts)) return [];
    return [{
      name: m.name, description, fetch: `sdlive models fetch ${m.name}`,
      present: () => hasOptimumLayout(folder) || cachedParts(parts, cache) !== undefined,
      folder: () => (hasOptimumLayout(folder) ? folder : assembleModel(m.name, parts, cache)),
    }];
  });
}

/** Repos in the Hugging Face cache holding an optimum layout: owner/name (its main), owner/name@revision. */
export function hubCacheModels(cache = new HubCache()): ModelSource {
  return () => cache.repos().flatMap(({ repo, refs }) => {
    const byCommit = new Map([...refs].map(([ref, commit]) => [commit, ref]));
    const dir = join(cache.repoDir(repo), 'snapshots');
    return (existsSync(dir) ? readdirSync(dir) : []).map((commit) => ({ commit, ref: byCommit.get(commit) ?? commit })).flatMap(({ commit, ref }) => {
      const folder = cache.snapshotDir(repo, commit);
      if (!hasOptimumLayout(folder)) return [];
      const name = ref === 'main' ? repo : `${repo}@${ref}`;
      return [{ name, description: `${repo}@${commit.slice(0, 10)} in ${cache.root}`, folder: () => folder, present: () => true }];
    });
  });
}

function safeRead(file: string): unknown {
  try {
    return readJsonFile(file);
  } catch {
    return undefined;
  }
}

/** Sub-folders of `dir` in optimum layout, by folder name. */
export function folderModels(dir: string): ModelSource {
  const subfolders = () => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name)).sort();
  return () => subfolders().filter(hasOptimumLayout).map((folder) => ({
    name: basename(folder), description: `model folder ${folder}`, folder: () => folder, present: () => true,
  }));
}

/** resolveModelDir's folder; an owner/name that is neither a folder nor fetched says which command fetches it. */
function folderOrFetchHint(value: string): string {
  const dir = resolveModelDir(value);
  if (!existsSync(dir) && REPO_SPEC.test(value)) throw new SdliveError('SDL_ERR_MODEL_LOAD', `model "${value}" is not fetched yet (and no folder ${dir} exists): sdlive models fetch ${value}`, 'model');
  return dir;
}

/** The model the config or the command line started with: selectable again by the value it was given as. */
export function startupModel(value: unknown): ModelSource {
  return () => (typeof value === 'string' ? [{ name: value, description: 'the start-up model', folder: () => folderOrFetchHint(value), present: () => true }] : []);
}

/**
 * The models the engine knows by name. Over the network a model is chosen from these; the config file and the
 * command line may also give a folder path. The first source naming a model wins.
 */
export class ModelCatalogue implements ChoiceSet {
  private scanned?: { at: number; models: KnownModel[] };

  constructor(private readonly sources: readonly ModelSource[]) {}

  models(): KnownModel[] {
    if (!this.scanned || Date.now() - this.scanned.at > RESCAN_MS) this.scanned = { at: Date.now(), models: this.scan() };
    return this.scanned.models;
  }

  names(): string[] {
    return this.models().map((m) => m.name);
  }

  find(name: string): KnownModel | undefined {
    return this.models().find((m) => m.name === name);
  }

  refusal(value: string): string | undefined {
    const model = this.find(value);
    if (!model) return `not a model name this engine knows; choose one of: ${this.someNames()}`;
    if (!model.present()) return `"${model.name}" is known but not fetched yet (sdlive models list says how)`;
    return undefined;
  }

  /** A `model` value -> its folder: a known name's, else resolveModelDir's (builtin:..., or a path). */
  folderOf(value: string): string {
    const model = this.find(value);
    if (!model) return folderOrFetchHint(value);
    if (!model.present()) throw new SdliveError('SDL_ERR_MODEL_LOAD', `model "${model.name}" is known but not fetched yet: ${model.fetch}`, 'model');
    return model.folder();
  }

  private scan(): KnownModel[] {
    const byName = new Map<string, KnownModel>();
    for (const m of this.sources.flatMap(listed)) if (!byName.has(m.name)) byName.set(m.name, m);
    return [...byName.values()];
  }

  private someNames(): string {
    const names = this.names();
    const more = names.length - LISTED_NAMES;
    return names.slice(0, LISTED_NAMES).join(', ') + (more > 0 ? ` (+${more} more: sdlive models list)` : '');
  }
}

/** The package's models/ folder and the working directory's, once each. */
export function modelsDirs(): string[] {
  return [...new Set([PACKAGE_MODELS_DIR, resolve('models')].map((d) => resolve(d)))];
}

/** Every manifest in the package's models/ and the working directory's, the first of a name winning. */
export function catalogueManifests(): CatalogueManifest[] {
  const byName = new Map<string, CatalogueManifest>();
  for (const m of modelsDirs().flatMap((d) => (existsSync(d) ? readManifests(d) : []))) if (!byName.has(m.name)) byName.set(m.name, m);
  return [...byName.values()];
}

/**
 * The standard catalogue: manifests and model folders in models/, repos in the Hugging Face cache, the
 * built-ins, then `extra` (the start-up model).
 */
export function modelCatalogue(extra: readonly ModelSource[] = []): ModelCatalogue {
  const cache = new HubCache();
  return new ModelCatalogue([...modelsDirs().flatMap((d) => [manifestModels(d, cache), folderModels(d)]), hubCacheModels(cache), builtinModels, ...extra]);
}
