import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SdliveError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { ExecutionProvider } from '../pipelines/streamdiffusion/schema.js';
import { detectDialect, MODEL_FILES, SECOND_TEXT_ENCODER, type ModelRole, type ModelSessions } from './dialect.js';
import { readManifest, vaeConfigScaling, type ModelManifest } from './manifest.js';
import { OnnxSdModels } from './onnx-sd-models.js';
import { OnnxImageProcessors } from './processors/image-processors.js';
import { openSessions, sessionOptions } from './providers.js';
import type { ModelDialect, SdModels } from './sd-models.js';
import { BOS_TOKEN, EOS_TOKEN, loadClipTokenizer, type ClipTokenizer } from './tokenizer/clip-tokenizer.js';

export interface LoadOptions {
  /** Providers to try in order; the first that loads every file is used. */
  providers?: readonly ExecutionProvider[];
  width?: number;
  height?: number;
  /** 'auto' reads sdlive.json's vae_range, else [-1,1]. */
  vaeRange?: 'auto' | ModelDialect['vaeRange'];
  log?: Logger;
}

function loadError(what: string): SdliveError {
  return new SdliveError('SDL_ERR_MODEL_LOAD', what, 'model');
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function modelFiles(dir: string): Record<ModelRole, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw loadError(`model folder ${dir} does not exist (give a folder in optimum layout, or builtin:tiny)`);
  const files = Object.fromEntries(Object.entries(MODEL_FILES).map(([role, file]) => [role, join(dir, file)])) as Record<ModelRole, string>;
  const missing = Object.values(files).filter((f) => !existsSync(f));
  if (missing.length) throw loadError(`missing ${missing.join(', ')}: a model folder needs ${Object.values(MODEL_FILES).join(', ')} and tokenizer/ (see docs/models.md)`);
  return files;
}

/** SDXL folders add text_encoder_2/ (read with tokenizer_2/); the four files are enough for every other family. */
function secondEncoderFile(dir: string): { text2?: string } {
  const file = join(dir, SECOND_TEXT_ENCODER);
  return existsSync(file) ? { text2: file } : {};
}

function tokenizerOf(dir: string, folder = 'tokenizer'): ClipTokenizer {
  try {
    return loadClipTokenizer(join(dir, folder));
  } catch (e) {
    throw loadError(`cannot read ${folder}/: ${message(e)} (copy ${folder}/ from the model's original repository)`);
  }
}

/** tokenizer_2's pad id: SDXL's second encoder pads with its own token ("!", id 0), not CLIP-L's EOS. */
function secondPadId(dir: string, files: { text2?: string }): number | undefined {
  if (!files.text2) return undefined;
  const tokenizer = tokenizerOf(dir, 'tokenizer_2');
  return tokenizer.padToken === undefined ? undefined : tokenizer.tokenId(tokenizer.padToken);
}

/** What the folder's JSON files say (sdlive.json, the VAE's config.json). */
function folderFacts(dir: string): { manifest: ModelManifest; configScaling: number | undefined } {
  try {
    return { manifest: readManifest(dir), configScaling: vaeConfigScaling(dir) };
  } catch (e) {
    throw loadError(message(e));
  }
}

function specialId(tokenizer: ClipTokenizer, token: string, fallback: number): number {
  return tokenizer.tokenId(token) ?? fallback;
}

/**
 * Loads a model folder (optimum layout) into sessions on the first working provider and reads its dialect from
 * the sessions' metadata. Every failure is an SdliveError naming the file and what to do, never a crash.
 */
export async function loadSdModels(dir: string, options: LoadOptions = {}): Promise<SdModels> {
  const log = options.log ?? silentLogger;
  const files = { ...modelFiles(dir), ...secondEncoderFile(dir) };
  const tokenizer = tokenizerOf(dir);
  const text2PadId = secondPadId(dir, files);
  const { manifest, configScaling } = folderFacts(dir);
  const opened = await openSessions<string>(files, options.providers ?? ['cpu'], log);
  const { provider } = opened;
  // One session per key of `files`: the four roles, and text2 where its file is there.
  const sessions = opened.sessions as ModelSessions;
  let processors: OnnxImageProcessors | undefined;
  try {
    const eosId = specialId(tokenizer, EOS_TOKEN, 49407);
    const { dialect, io } = detectDialect(sessions, {
      width: options.width ?? 512,
      height: options.height ?? 512,
      vaeRange: options.vaeRange && options.vaeRange !== 'auto' ? options.vaeRange : (manifest.vae_range ?? 'minus_one_one'),
      vaeScaling: manifest.vae_scaling ?? configScaling ?? 1,
      padId: tokenizer.padToken === undefined ? undefined : tokenizer.tokenId(tokenizer.padToken),
      bosId: specialId(tokenizer, BOS_TOKEN, 49406),
      eosId,
      ...(text2PadId === undefined ? {} : { text2PadId }),
    });
    if (!dialect.batchedTimestep) {
      log.info({ timestep: dialect.unetTimestep }, `${MODEL_FILES.unet} takes one timestep per call: stream batch runs its slots one by one on this export`);
    }
    processors = await OnnxImageProcessors.create(sessionOptions(provider));
    log.info({ dir, provider, dialect }, 'model loaded');
    return new OnnxSdModels(dialect, provider, io, sessions, processors, tokenizer, log);
  } catch (e) {
    for (const s of Object.values(sessions)) await s.release().catch(() => undefined);
    await processors?.release().catch(() => undefined);
    throw e;
  }
}
