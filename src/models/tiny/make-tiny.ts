import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { clipBpeFiles } from '../tokenizer/clip-vocab.js';
import { EOS_TOKEN, BOS_TOKEN } from '../tokenizer/clip-tokenizer.js';
import { MANIFEST_FILE, type ModelManifest } from '../manifest.js';
import { OPSET, tinyNets } from './nets.js';
import { DEFAULT_TINY_VARIANT, TINY_VARIANTS, type TinyVariant, type TinyVariantName } from './variants.js';

/** Bump when the generated files change, so stale folders in models/generated are rebuilt. */
export const TINY_GENERATOR_VERSION = 3;

let bpe: { vocab: string; merges: string } | undefined;

/** The CLIP vocabulary and merges as file texts, made once per process (SDXL writes them twice). */
function bpeTexts(): { vocab: string; merges: string } {
  if (!bpe) {
    const { vocab, merges } = clipBpeFiles();
    bpe = { vocab: JSON.stringify(vocab), merges: `#version: 0.2\n${merges.join('\n')}\n` };
  }
  return bpe;
}

/** CLIP-L (SD 1.x, SDXL's first encoder) pads with EOS, OpenCLIP (SD 2.x, SDXL's second) with "!". */
function tokenizerFiles(folder: string, pad: string): Record<string, string> {
  const { vocab, merges } = bpeTexts();
  const special = { bos_token: BOS_TOKEN, eos_token: EOS_TOKEN, unk_token: EOS_TOKEN, pad_token: pad };
  return {
    [`${folder}/vocab.json`]: vocab,
    [`${folder}/merges.txt`]: merges,
    [`${folder}/special_tokens_map.json`]: JSON.stringify(special, null, 2),
    [`${folder}/tokenizer_config.json`]: JSON.stringify({ ...special, model_max_length: 77, do_lower_case: true, tokenizer_class: 'CLIPTokenizer' }, null, 2),
  };
}

function tokenizers(v: TinyVariant): Record<string, string> {
  if (v.family === 'sdxl') return { ...tokenizerFiles('tokenizer', EOS_TOKEN), ...tokenizerFiles('tokenizer_2', '!') };
  return tokenizerFiles('tokenizer', v.textWidth === 768 ? EOS_TOKEN : '!');
}

function vaeConfig(): string {
  return JSON.stringify({ _class_name: 'AutoencoderTiny', scaling_factor: 1.0, latent_channels: 4 }, null, 2);
}

/** Every file of a variant's folder, path -> bytes; deterministic. */
export function tinyModelFiles(v: TinyVariant): Map<string, Uint8Array | string> {
  const manifest: ModelManifest = {
    generator: `sdlive tiny model v${TINY_GENERATOR_VERSION}`,
    variant: v.name,
    description: v.description,
    ...(v.vaeRange === 'zero_one' ? { vae_range: 'zero_one' as const } : {}),
  };
  return new Map<string, Uint8Array | string>([
    ...tinyNets(v).map(([file, graph]): [string, Uint8Array] => [file, graph.toBytes(OPSET)]),
    ['vae_encoder/config.json', vaeConfig()],
    ['vae_decoder/config.json', vaeConfig()],
    ...Object.entries(tokenizers(v)),
    [MANIFEST_FILE, `${JSON.stringify(manifest, null, 2)}\n`],
  ]);
}

function isCurrent(dir: string, variant: string): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as ModelManifest;
    return m.variant === variant && m.generator === `sdlive tiny model v${TINY_GENERATOR_VERSION}`;
  } catch {
    return false;
  }
}

/**
 * Writes a tiny model folder (optimum layout) for `variant` into `dir`, unless an up-to-date one is already
 * there. Built in a temporary sibling and renamed into place, so concurrent processes never see half a folder.
 */
export function makeTinyModel(dir: string, variant: TinyVariantName = DEFAULT_TINY_VARIANT): string {
  return writeGenerated(dir, variant, () => tinyModelFiles(TINY_VARIANTS[variant]));
}

/** `files()` written into `dir` unless its sdlive.json already names `variant` at this generator version. */
export function writeGenerated(dir: string, variant: string, files: () => Map<string, Uint8Array | string>): string {
  if (isCurrent(dir, variant)) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  for (const [file, content] of files()) {
    mkdirSync(dirname(join(tmp, file)), { recursive: true });
    writeFileSync(join(tmp, file), content);
  }
  if (existsSync(dir) && !isCurrent(dir, variant)) rmSync(dir, { recursive: true, force: true });
  try {
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!isCurrent(dir, variant)) throw e;
  }
  return dir;
}

/** The sdlive.json a generated folder carries (what isCurrent checks). */
export function generatedManifest(variant: string, description: string): string {
  const manifest: ModelManifest = { generator: `sdlive tiny model v${TINY_GENERATOR_VERSION}`, variant, description };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
