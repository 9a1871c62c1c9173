import { createHash } from 'node:crypto';
import { closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { SdliveError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { SECOND_TEXT_ENCODER } from '../dialect.js';
import { readJsonFile } from '../json-file.js';
import { modelFilesIn } from '../layout.js';
import { WeightUpdater } from './delta.js';
import { planLoras, readModelWeights, type LoraReport, type LoraSpec, type WeightPatch } from './plan.js';

/** Bump when fusing changes, so cached folders of an older way are not reused. */
const FUSE_VERSION = 1;
/** Written last into a fused folder: a folder without it is not finished. */
const FUSED_MANIFEST = 'sdlive-lora.json';
/** Fused folders kept, the most recently used: each holds a copy of the UNet, a scale sweep must not fill the disk. */
export const FUSED_KEPT = 4;
/** A build folder this old was left by a load that was cut off (a newer change superseded it). */
const STALE_BUILD_MS = 60 * 60 * 1000;

export interface FusedModel {
  /** A model folder in optimum layout: the patched files, links to the base folder's others. */
  folder: string;
  cached: boolean;
  ms: number;
  reports: LoraReport[];
}

export interface FuseOptions {
  /** Where fused folders are kept, one per base model + LoRA files + scales. */
  cacheDir: string;
  log?: Logger;
}

function loraError(what: string): SdliveError {
  return new SdliveError('SDL_ERR_LORA', what, 'lora');
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Every file under `dir`, relative, sorted (links followed: a hub snapshot is links into blobs/). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The base folder by its files' sizes and times (hashing gigabytes of weights would cost a minute per start), the
 * LoRAs by their contents (a file replaced under the same name is a new fuse), and the scales.
 */
function cacheKey(baseDir: string, loras: readonly LoraSpec[]): string {
  const base = filesUnder(baseDir).map((f) => {
    const s = statSync(join(baseDir, f));
    return [f, s.size, s.mtimeMs];
  });
  // The folder's path too: the fused folder links to its files.
  return sha256(JSON.stringify({ v: FUSE_VERSION, dir: resolve(baseDir), base, loras: loras.map((l) => [sha256(readFileSync(l.file)), l.scale]) })).slice(0, 20);
}

/** The UNet and text encoder(s) a LoRA may patch, relative to the folder. */
function patchableFiles(dir: string): { unet?: string; text?: string; text2?: string } {
  const { unet, text } = modelFilesIn(dir);
  return { ...(unet ? { unet } : {}), ...(text ? { text } : {}), ...(existsSync(join(dir, SECOND_TEXT_ENCODER)) ? { text2: SECOND_TEXT_ENCODER } : {}) };
}

/** The base folder in `into`: files to patch copied (a reflink where the file system has them), the rest linked. */
function mirror(baseDir: string, into: string, copied: ReadonlySet<string>): void {
  for (const file of filesUnder(baseDir)) {
    const [from, to] = [join(baseDir, file), join(into, file)];
    mkdirSync(dirname(to), { recursive: true });
    if (copied.has(file)) copyFileSync(from, to, constants.COPYFILE_FICLONE);
    else {
      try {
        symlinkSync(from, to);
      } catch {
        copyFileSync(from, to, constants.COPYFILE_FICLONE);
      }
    }
  }
}

async function applyPatches(folder: string, patches: readonly WeightPatch[]): Promise<void> {
  const updater = new WeightUpdater();
  try {
    for (const p of patches) {
      const fd = openSync(join(folder, p.file), 'r+');
      try {
        const bytes = new Uint8Array(p.length);
        if (readSync(fd, bytes, 0, p.length, p.offset) !== p.length) throw new Error(`${p.file}: ${p.target.initializer.name} lies past the end of the file`);
        const fused = await updater.apply(bytes, p.dtype, p.target.layout, p.dims, p.updates);
        writeSync(fd, fused, 0, fused.length, p.offset);
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    await updater.release();
  }
}

function cachedReports(folder: string): LoraReport[] | undefined {
  try {
    return readJsonFile<{ reports: LoraReport[] }>(join(folder, FUSED_MANIFEST))?.reports;
  } catch {
    return undefined;
  }
}

async function build(baseDir: string, loras: readonly LoraSpec[], folder: string): Promise<LoraReport[]> {
  const models = readModelWeights(baseDir, patchableFiles(baseDir));
  const { patches, reports } = planLoras(loras, models);
  const tmp = `${folder}.tmp-${process.pid}-${Date.now()}`;
  try {
    mirror(baseDir, tmp, new Set(patches.flatMap((p) => [p.model, p.file])));
    await applyPatches(tmp, patches);
    writeFileSync(join(tmp, FUSED_MANIFEST), `${JSON.stringify({ base: baseDir, loras, reports }, null, 2)}\n`);
    renameSync(tmp, folder);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process finished the same folder first: it is as good as ours.
    if (!cachedReports(folder)) throw e;
  }
  return reports;
}

/**
 * Drops all but the FUSED_KEPT most recently used fused folders, and build folders left by cut-off loads. A folder
 * a running model still reads stays readable on Linux and macOS (open files outlive their names); elsewhere its
 * removal fails and it is tried again next time.
 */
function pruneCache(cacheDir: string, log: Logger): void {
  let entries: { name: string; path: string; mtime: number }[];
  try {
    entries = readdirSync(cacheDir).map((name) => ({ name, path: join(cacheDir, name), mtime: statSync(join(cacheDir, name)).mtimeMs }));
  } catch {
    return; // another process pruned at the same time: next load tries again
  }
  const finished = entries.filter((e) => !e.name.includes('.tmp-')).sort((a, b) => b.mtime - a.mtime);
  const stale = entries.filter((e) => e.name.includes('.tmp-') && Date.now() - e.mtime > STALE_BUILD_MS);
  for (const e of [...finished.slice(FUSED_KEPT), ...stale]) {
    try {
      rmSync(e.path, { recursive: true, force: true });
      log.info({ folder: e.path }, 'removed an old LoRA-fused model from the cache');
    } catch (err) {
      log.warn({ folder: e.path, err: message(err) }, 'cannot remove an old LoRA-fused model from the cache');
    }
  }
}

function logReports(log: Logger, fused: FusedModel): void {
  for (const r of fused.reports) {
    if (r.unmatched) log.warn({ lora: r.lora, unmatched: r.unmatched, keys: r.keys, first: r.firstUnmatched }, `LoRA ${r.lora}: ${r.unmatched} of ${r.keys} keys changed no weight of the model (first: ${r.firstUnmatched.join('; ')})`);
  }
  log.info({ folder: fused.folder, cached: fused.cached, ms: Math.round(fused.ms), applied: Object.fromEntries(fused.reports.map((r) => [r.lora, r.applied])) }, fused.cached ? 'LoRA-fused model taken from the cache' : 'LoRAs fused into the model');
}

/**
 * The base model folder with every LoRA added to its UNet and text encoder weights (W' = W + scale * alpha/rank *
 * up @ down, in the models' own dtype), from the cache when this base, these files and these scales were fused
 * before. Keys that change nothing are reported (log line and `reports`), never dropped silently.
 */
export async function fuseLoras(baseDir: string, loras: readonly LoraSpec[], options: FuseOptions): Promise<FusedModel> {
  const t0 = performance.now();
  const log = options.log ?? silentLogger;
  let folder: string;
  try {
    folder = join(options.cacheDir, cacheKey(baseDir, loras));
  } catch (e) {
    throw loraError(`cannot read a LoRA or the model: ${message(e)}`);
  }
  const hit = cachedReports(folder);
  let reports = hit;
  try {
    if (reports) utimesSync(folder, new Date(), new Date());
    else {
      mkdirSync(options.cacheDir, { recursive: true });
      reports = await build(baseDir, loras, folder);
    }
  } catch (e) {
    throw loraError(`cannot fuse ${loras.map((l) => l.name).join(', ')} into ${relative(process.cwd(), baseDir) || baseDir}: ${message(e)}`);
  }
  pruneCache(options.cacheDir, log);
  const fused = { folder, cached: hit !== undefined, ms: performance.now() - t0, reports };
  logReports(log, fused);
  return fused;
}
