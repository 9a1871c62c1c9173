import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SdliveError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { ExecutionProvider } from '../pipelines/streamdiffusion/schema.js';
import { detectDialect, MODEL_FILES, SECOND_TEXT_ENCODER, type ModelIo, type ModelRole, type ModelSessions } from './dialect.js';
import { MODEL_FILE_CANDIDATES, modelFilesIn } from './layout.js';
import { readManifest, vaeConfigScaling, type ModelManifest } from './manifest.js';
import { OnnxDevice } from './onnx-device.js';
import { OnnxSdModels } from './onnx-sd-models.js';
import { TransferCounter } from './transfers.js';
import { VAE_KIND_DEFAULTS, vaeDecoderKind, type VaeKind } from './vae-graph.js';
import { OnnxImageProcessors, processorPorts } from './processors/image-processors.js';
import { openSessions, sessionOptions, type ProviderOptions } from './providers.js';
import type { ModelDialect, SdModels } from './sd-models.js';
import { BOS_TOKEN, EOS_TOKEN, loadClipTokenizer, type ClipTokenizer } from './tokenizer/clip-tokenizer.js';

export interface LoadOptions {
  /** Providers to try in order; the first that loads every file is used. */
  providers?: readonly ExecutionProvider[];
  providerOptions?: ProviderOptions;
  width?: number;
  height?: number;
  /** 'auto' reads sdlive.json's vae_range, else [-1,1]. */
  vaeRange?: 'auto' | ModelDialect['vaeRange'];
  log?: Logger;
  /**
   * The device path (DeviceModels: latents stay on the provider): on by default on webgpu, where it is the point;
   * the CPU provider runs it only when asked (the parity tests: it must equal the host path).
   */
  devicePath?: boolean;
}

function loadError(what: string): SdliveError {
  return new SdliveError('SDL_ERR_MODEL_LOAD', what, 'model');
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Each part's file relative to `dir` (model.onnx or another name the part may have: see layout.ts). */
function modelFiles(dir: string): Record<ModelRole, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw loadError(`model folder ${dir} does not exist (give a folder in optimum layout, or builtin:tiny)`);
  const found = modelFilesIn(dir);
  const missing = (Object.keys(MODEL_FILE_CANDIDATES) as ModelRole[]).filter((role) => !found[role]);
  if (missing.length) {
    const names = missing.map((role) => MODEL_FILE_CANDIDATES[role].map((file) => join(dir, file)).join(' or '));
    const encoderHint = missing.includes('vaeEncoder') ? '; txt2img-only exports (microsoft/sd-turbo-webnn) ship no vae_encoder: put a TAESD encoder there, e.g. julienkay/taesd\'s vae_encoder/' : '';
    throw loadError(`missing ${names.join(', ')}: a model folder needs ${Object.values(MODEL_FILES).join(', ')} and tokenizer/ (see docs/models.md)${encoderHint}`);
  }
  return found as Record<ModelRole, string>;
}

/** Dialect errors name the default file of a part; say the file this folder actually has. */
function namingActualFile(e: unknown, files: Record<ModelRole, string>): unknown {
  if (!(e instanceof SdliveError)) return e;
  const role = (Object.keys(files) as ModelRole[]).find((r) => files[r] !== MODEL_FILES[r] && e.message.startsWith(`${MODEL_FILES[r]}:`));
  return role ? new SdliveError(e.code, files[role] + e.message.slice(MODEL_FILES[role].length), e.field) : e;
}

/** SDXL folders add text_encoder_2/ (read with tokenizer_2/); the four files are enough for every other family. */
function secondEncoderFile(dir: string): { text2?: string } {
  return existsSync(join(dir, SECOND_TEXT_ENCODER)) ? { text2: SECOND_TEXT_ENCODER } : {};
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

/** What the folder's files say: sdlive.json, the VAE's config.json, and the VAE decoder's graph. */
function folderFacts(dir: string, decoderFile: string): { manifest: ModelManifest; configScaling: number | undefined; vaeKind: VaeKind | undefined } {
  try {
    return { manifest: readManifest(dir), configScaling: vaeConfigScaling(dir), vaeKind: vaeDecoderKind(join(dir, decoderFile)) };
  } catch (e) {
    throw loadError(message(e));
  }
}

function specialId(tokenizer: ClipTokenizer, token: string, fallback: number): number {
  return tokenizer.tokenId(token) ?? fallback;
}

/** The pad id the tokenizer's own files name; without one, CLIPTokenizer's default (<|endoftext|>), said once. */
function padIdOf(tokenizer: ClipTokenizer, log: Logger): number | undefined {
  const id = tokenizer.padToken === undefined ? undefined : tokenizer.tokenId(tokenizer.padToken);
  if (id === undefined) {
    log.warn({ padToken: tokenizer.padToken }, `tokenizer/ names no known pad_token (tokenizer_config.json, special_tokens_map.json): padding with ${EOS_TOKEN} as CLIPTokenizer does; SD 2.x and SD-Turbo pad with "!" (copy those files from the model's repository)`);
  }
  return id;
}

/** The sessions whose outputs stay on the GPU on webgpu (the text encoders' go to the prompt blending in JS). */
const DEVICE_OUTPUTS: readonly string[] = ['unet', 'vaeEncoder', 'vaeDecoder'] satisfies ModelRole[];

/** The device path runs every Stream Batch slot in one UNet call: exports that cannot (rank-0 timestep, fixed batch) stay on the host path. */
function deviceServes(dialect: ModelDialect, io: ModelIo): boolean {
  return dialect.batchedTimestep && io.unetFixedBatch === undefined;
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
  const { manifest, configScaling, vaeKind } = folderFacts(dir, files.vaeDecoder);
  const graphDefaults = vaeKind ? VAE_KIND_DEFAULTS[vaeKind] : undefined;
  const paths = Object.fromEntries(Object.entries(files).map(([role, file]) => [role, join(dir, file)]));
  const opened = await openSessions<string>(paths, options.providers ?? ['cpu'], log, { providerOptions: options.providerOptions, deviceOutputs: DEVICE_OUTPUTS });
  const { provider } = opened;
  // One session per key of `files`: the four roles, and text2 where its file is there.
  const sessions = opened.sessions as ModelSessions;
  let processors: OnnxImageProcessors | undefined;
  try {
    const eosId = specialId(tokenizer, EOS_TOKEN, 49407);
    const { dialect, io } = detectDialect(sessions, {
      width: options.width ?? 512,
      height: options.height ?? 512,
      vaeRange: options.vaeRange && options.vaeRange !== 'auto' ? options.vaeRange : (manifest.vae_range ?? graphDefaults?.range ?? 'minus_one_one'),
      vaeScaling: manifest.vae_scaling ?? configScaling ?? graphDefaults?.scaling ?? 1,
      padId: padIdOf(tokenizer, log),
      bosId: specialId(tokenizer, BOS_TOKEN, 49406),
      eosId,
      ...(text2PadId === undefined ? {} : { text2PadId }),
    });
    if (!dialect.batchedTimestep) {
      log.info({ timestep: dialect.unetTimestep }, `${files.unet} takes one timestep per call: stream batch runs its slots one by one on this export`);
    }
    const counter = new TransferCounter();
    processors = await OnnxImageProcessors.create(sessionOptions(provider, options.providerOptions), processorPorts(sessions, io, dialect.vaeRange), counter);
    const devicePath = (options.devicePath ?? provider === 'webgpu') && deviceServes(dialect, io);
    const device = provider === 'webgpu' || devicePath ? { device: new OnnxDevice(provider, sessionOptions(provider, options.providerOptions), sessions, io, dialect, counter), devicePath } : undefined;
    log.info({ dir, provider, dialect, devicePath }, 'model loaded');
    return new OnnxSdModels(dialect, provider, io, sessions, processors, tokenizer, log, counter, device);
  } catch (e) {
    for (const s of Object.values(sessions)) await s.release().catch(() => undefined);
    await processors?.release().catch(() => undefined);
    throw namingActualFile(e, files);
  }
}
