import { existsSync, statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { SdliveError } from '../../errors.js';
import { MODEL_FILES } from '../dialect.js';
import type { CatalogueManifest } from '../catalogue.js';
import { assembleModel } from './assemble.js';
import { HubCache } from './cache.js';
import { hubAccess, hubCall, type HubAccess } from './client.js';
import { bytesToFetch, fetchBlob, missingBlobs, type RemoteFile } from './download.js';
import { inPart, isRootLayoutFile, isRunnable, layoutParts, partEntries, partFolder, REPO_PATTERN, type ModelParts } from './parts.js';
import { formatBytes, progressFor, type FetchProgress } from './progress.js';

export interface FetchOptions {
  manifests: readonly CatalogueManifest[];
  cache?: HubCache;
  access?: HubAccess;
  progress?: FetchProgress;
  /** Where the lines before and after the download go (licence, providers, result). */
  say?: (line: string) => void;
}

export interface FetchResult {
  name: string;
  /** The folder `--model NAME` loads; undefined for a part of other models (a VAE alone). */
  folder: string | undefined;
  files: RemoteFile[];
  downloaded: number;
}

interface Target {
  name: string;
  manifest?: CatalogueManifest;
  /** For a repo fetched by name: its revision; the parts come from its file list. */
  repo?: { repo: string; revision: string };
}

interface Context {
  cache: HubCache;
  access: HubAccess;
  say: (line: string) => void;
}

/** NAME (a manifest) or OWNER/REPO[@REVISION]. */
function targetOf(spec: string, manifests: readonly CatalogueManifest[]): Target {
  const manifest = manifests.find((m) => m.name === spec);
  if (manifest?.parts) return { name: spec, manifest };
  if (manifest) throw new SdliveError('SDL_ERR_CONFIG', `models/${spec}.json names no hub parts: make it by hand with its export command: ${manifest.export}`, 'model');
  const at = spec.indexOf('@');
  const [repo, revision] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, 'main'];
  if (!REPO_PATTERN.test(repo) || !revision) {
    const names = manifests.filter((m) => m.parts).map((m) => m.name).join(', ');
    throw new SdliveError('SDL_ERR_CONFIG', `"${spec}" is neither a known model (${names}) nor OWNER/REPO[@REVISION]`, 'model');
  }
  return { name: spec, repo: { repo, revision } };
}

function licenceLine(m: CatalogueManifest): string {
  if (!m.licence) return 'licence: not stated in the manifest: check the model cards before a show';
  const use = m.licence.commercial ? 'commercial use allowed' : 'NOT for commercial use without a licence from its authors: check before a paid show';
  return `licence: ${m.licence.name} (${use})${m.licence.url ? ` ${m.licence.url}` : ''}`;
}

function providersLine(m: CatalogueManifest): string | undefined {
  if (!m.providers) return undefined;
  const only = m.providers.length === 1 ? ' ONLY' : '';
  return `runs on: ${m.providers.join(', ')}${only}${m.providers_note ? ` (${m.providers_note})` : ''}`;
}

/** What a show technician must know before gigabytes arrive: licence, size, providers. */
function describe(target: Target, manifests: readonly CatalogueManifest[], say: (line: string) => void): void {
  const about = target.manifest ? [target.manifest] : manifests.filter((m) => partEntries(m.parts ?? {}).some(([, p]) => p.repo === target.repo?.repo));
  for (const m of about) {
    say(`${m.name}: ${m.title ?? m.source}${m.size_gb ? `, about ${m.size_gb} GB` : ''}`);
    say(`  ${licenceLine(m)}`);
    const providers = providersLine(m);
    if (providers) say(`  ${providers}`);
  }
}

async function resolveCommit(ctx: Context, repo: string, revision: string): Promise<string> {
  const url = `${ctx.access.hubUrl}/api/models/${repo}/revision/${revision}`;
  const info = await hubCall(url, () => modelInfo({ name: repo, revision, ...ctx.access, additionalFields: ['sha', 'cardData'] }));
  const licence = [info.cardData?.license ?? []].flat().join(', ');
  ctx.say(`${repo}@${revision} = commit ${info.sha}; model card licence: ${licence || 'not stated'}`);
  return info.sha;
}

async function listRepo(ctx: Context, repo: string, commit: string): Promise<ListFileEntry[]> {
  const url = `${ctx.access.hubUrl}/api/models/${repo}/tree/${commit}`;
  return hubCall(url, async () => {
    const entries: ListFileEntry[] = [];
    for await (const e of listFiles({ repo, revision: commit, recursive: true, ...ctx.access })) if (e.type === 'file') entries.push(e);
    return entries;
  });
}

function remoteFile(repo: string, commit: string, e: ListFileEntry): RemoteFile {
  const blob = e.lfs?.oid ?? e.oid;
  if (!blob || !/^([0-9a-f]{40}|[0-9a-f]{64})$/.test(blob)) throw new SdliveError('SDL_ERR_HUB', `${repo}: the hub listed ${e.path} without a valid object id (${String(blob)})`, 'model');
  return { repo, commit, path: e.path, size: e.lfs?.size ?? e.size, blob, lfs: e.lfs !== undefined };
}

/** The files of one repo at one commit that the parts taken from it need; a part with no file is an error. */
function selectFiles(source: { repo: string; revision: string }, entries: readonly ListFileEntry[], parts: ModelParts, withRootFiles: boolean): ListFileEntry[] {
  const { repo } = source;
  const own = partEntries(parts).filter(([, p]) => p.repo === repo && p.revision === source.revision);
  for (const [name, part] of own) {
    const found = entries.filter((e) => inPart(name, part, e.path)).map((e) => e.path);
    const missing = part.files ? part.files.filter((f) => !found.includes(`${partFolder(name, part)}/${f}`)) : found.length ? [] : ['any ONNX file'];
    if (missing.length) throw new SdliveError('SDL_ERR_HUB', `${repo}@${part.revision}: ${partFolder(name, part)}/ has no ${missing.join(', ')} (for ${name}/)`, 'model');
  }
  return entries.filter((e) => own.some(([n, p]) => inPart(n, p, e.path)) || (withRootFiles && isRootLayoutFile(e.path)));
}

/** The nearest existing folder's free bytes. */
function freeBytes(path: string): number {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

function checkDiskSpace(files: readonly RemoteFile[], cache: HubCache): number {
  const need = bytesToFetch(files, cache);
  const free = freeBytes(cache.root);
  if (need > free) {
    throw new SdliveError('SDL_ERR_DISK_SPACE', `the download needs ${formatBytes(need)} in ${cache.root}, which has ${formatBytes(free)} free: free space or set HF_HUB_CACHE to a bigger disk`, 'HF_HUB_CACHE');
  }
  return need;
}

interface Planned {
  parts: ModelParts;
  files: RemoteFile[];
  refs: { repo: string; revision: string; commit: string }[];
}

async function plan(ctx: Context, target: Target): Promise<Planned> {
  if (target.repo) {
    const { repo, revision } = target.repo;
    const commit = await resolveCommit(ctx, repo, revision);
    const entries = await listRepo(ctx, repo, commit);
    const parts = layoutParts(repo, revision, entries.map((e) => e.path));
    if (!partEntries(parts).length) throw new SdliveError('SDL_ERR_HUB', `${repo}@${revision} has no ONNX model folders (text_encoder/, unet/, vae_decoder/, ...): write a manifest with parts for it (docs/models.md)`, 'model');
    return { parts, files: selectFiles(target.repo, entries, parts, true).map((e) => remoteFile(repo, commit, e)), refs: [{ repo, revision, commit }] };
  }
  const parts = target.manifest?.parts ?? {};
  const sources = [...new Map(partEntries(parts).map(([, p]) => [`${p.repo}@${p.revision}`, p])).values()];
  const planned: Planned = { parts, files: [], refs: [] };
  for (const { repo, revision } of sources) {
    const commit = await resolveCommit(ctx, repo, revision);
    const entries = await listRepo(ctx, repo, commit);
    planned.files.push(...selectFiles({ repo, revision }, entries, parts, false).map((e) => remoteFile(repo, commit, e)));
    planned.refs.push({ repo, revision, commit });
  }
  return planned;
}

async function download(ctx: Context, planned: Planned, progress: FetchProgress): Promise<number> {
  const need = checkDiskSpace(planned.files, ctx.cache);
  const missing = missingBlobs(planned.files, ctx.cache);
  if (missing.length) progress.begin(need, missing.length);
  let downloaded = 0;
  for (const f of planned.files) {
    if (await fetchBlob(f, ctx.cache, ctx.access, progress)) downloaded += 1;
    ctx.cache.linkSnapshotFile(f.repo, f.commit, f.path, f.blob);
  }
  progress.end();
  for (const r of planned.refs) ctx.cache.writeRef(r.repo, r.revision, r.commit);
  return downloaded;
}

function folderOf(ctx: Context, target: Target, planned: Planned): string | undefined {
  if (target.manifest) return isRunnable(planned.parts) ? assembleModel(target.name, planned.parts, ctx.cache) : undefined;
  const ref = planned.refs[0];
  const snapshot = ref && ctx.cache.snapshotDir(ref.repo, ref.commit);
  return snapshot && Object.values(MODEL_FILES).every((f) => existsSync(join(snapshot, f))) ? snapshot : undefined;
}

/**
 * `sdlive models fetch`: resolves each repo's revision to a commit, lists its files, downloads only what the
 * parts need into the Hugging Face cache (shared with the Python tools), and assembles the model folder.
 */
export async function fetchModel(spec: string, options: FetchOptions): Promise<FetchResult> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const ctx: Context = { cache: options.cache ?? new HubCache(), access: options.access ?? hubAccess(), say };
  const target = targetOf(spec, options.manifests);
  describe(target, options.manifests, say);
  const planned = await plan(ctx, target);
  const downloaded = await download(ctx, planned, options.progress ?? progressFor());
  const folder = folderOf(ctx, target, planned);
  const total = planned.files.reduce((s, f) => s + f.size, 0);
  say(`${target.name}: ${planned.files.length} file(s), ${formatBytes(total)} in ${ctx.cache.root} (${downloaded} downloaded, ${planned.files.length - downloaded} already cached)`);
  return { name: target.name, folder, files: planned.files, downloaded };
}
