import { existsSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SdliveError } from '../../errors.js';
import type { CatalogueManifest } from '../catalogue.js';
import { assembledDir, cachedParts } from './assemble.js';
import type { HubCache } from './cache.js';
import { isRunnable, partEntries, REPO_PATTERN } from './parts.js';

/** Bytes of the files a folder reaches (through symlinks; a blob shared by two links counted once). */
export function folderBytes(dir: string): number {
  const seen = new Set<string>();
  const walk = (d: string): number => readdirSync(d, { withFileTypes: true }).reduce((sum, e) => {
    const path = join(d, e.name);
    try {
      const real = realpathSync(path);
      if (statSync(real).isDirectory()) return sum + walk(path);
      if (seen.has(real)) return sum;
      seen.add(real);
      return sum + statSync(real).size;
    } catch {
      return sum;
    }
  }, 0);
  return existsSync(dir) ? walk(dir) : 0;
}

function partRepos(m: CatalogueManifest): Set<string> {
  return new Set(partEntries(m.parts ?? {}).map(([, p]) => p.repo));
}

/** A manifest of a VAE or other part alone: fetched or not. */
export function componentManifests(manifests: readonly CatalogueManifest[]): CatalogueManifest[] {
  return manifests.filter((m) => m.parts && !isRunnable(m.parts));
}

export function isFetched(m: CatalogueManifest, cache: HubCache): boolean {
  return m.parts !== undefined && cachedParts(m.parts, cache) !== undefined;
}

/**
 * `sdlive models rm`: a manifest's cached repos (those no other fetched manifest uses) and its assembled
 * folder, or a repo (all its revisions). Returns one line per thing removed or kept.
 */
export function removeModel(spec: string, manifests: readonly CatalogueManifest[], cache: HubCache): string[] {
  const manifest = manifests.find((m) => m.name === spec && m.parts);
  const repo = spec.replace(/@.*$/, '');
  if (!manifest && !REPO_PATTERN.test(repo)) throw new SdliveError('SDL_ERR_CONFIG', `"${spec}" is neither a manifest with hub parts nor OWNER/REPO (sdlive models list)`, 'model');
  const lines: string[] = [];
  const repos = manifest ? partRepos(manifest) : new Set([repo]);
  const others = manifests.filter((m) => m !== manifest && isFetched(m, cache));
  for (const r of repos) {
    const user = manifest ? others.find((m) => partRepos(m).has(r)) : undefined;
    const dir = cache.repoDir(r);
    if (user) lines.push(`kept ${r}: ${user.name} uses it too`);
    else if (existsSync(dir)) {
      rmSync(dir, { recursive: true, force: true });
      lines.push(`removed ${dir}`);
    }
  }
  if (manifest && existsSync(assembledDir(manifest.name))) {
    rmSync(assembledDir(manifest.name), { recursive: true, force: true });
    lines.push(`removed ${assembledDir(manifest.name)}`);
  }
  return lines.length ? lines : [`${spec}: nothing cached in ${cache.root}`];
}
