import { posix } from 'node:path';
import { z } from 'zod';

/** The folders of an optimum-layout model a manifest may take from different repos. */
export const PART_NAMES = ['text_encoder', 'text_encoder_2', 'unet', 'vae_encoder', 'vae_decoder', 'tokenizer', 'tokenizer_2', 'controlnet'] as const;
export type PartName = (typeof PART_NAMES)[number];

export const REPO_PATTERN = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;
/** OWNER/REPO[@REVISION], as `sdlive models fetch` and `--model` take it. */
export const REPO_SPEC = /^[A-Za-z0-9][\w.-]*\/[\w.-]+(@\S+)?$/;

/** Which repo, revision and files give one folder of the model. */
export const ModelPart = z.strictObject({
  repo: z.string().regex(REPO_PATTERN, 'owner/name'),
  revision: z.string().min(1).default('main'),
  /** The folder in the repo; default: the part's own name (unet/, vae_decoder/, ...). */
  folder: z.string().optional(),
  /** File names in that folder; default: what the ONNX layout needs (never the safetensors beside it). */
  files: z.array(z.string().min(1)).min(1).optional(),
});
export type ModelPart = z.infer<typeof ModelPart>;

export const ModelParts = z.partialRecord(z.enum(PART_NAMES), ModelPart);
export type ModelParts = z.infer<typeof ModelParts>;

/** What a manifest says about fetching and running it, shown before gigabytes are downloaded. */
export const HubManifestFields = {
  parts: ModelParts.optional(),
  licence: z.strictObject({ name: z.string(), commercial: z.boolean(), url: z.string().optional() }).optional(),
  /** The execution providers the files run on (e.g. only cuda for graphs with fused CUDA contrib ops). */
  providers: z.array(z.string()).min(1).optional(),
  providers_note: z.string().optional(),
  /** Approximate download size. */
  size_gb: z.number().positive().optional(),
};

/** The files an ONNX model folder needs: graphs, their external data, configs, tokenizer files. */
const LAYOUT_FILE = /\.(onnx|onnx_data|onnx\.data|pb|json|txt)$/;
const ROOT_FILES = ['model_index.json'];

export function partFolder(name: PartName, part: ModelPart): string {
  return part.folder ?? name;
}

/** Does a repo path belong to the part (its folder, and one of its files or an ONNX-layout file)? */
export function inPart(name: PartName, part: ModelPart, path: string): boolean {
  const dir = posix.dirname(path);
  if (dir !== partFolder(name, part)) return false;
  const file = posix.basename(path);
  return part.files ? part.files.includes(file) : LAYOUT_FILE.test(file);
}

/** The parts of a repo fetched by name: every optimum folder present in it, from one revision. */
export function layoutParts(repo: string, revision: string, paths: readonly string[]): ModelParts {
  const dirs = new Set(paths.map((p) => posix.dirname(p)));
  return Object.fromEntries(PART_NAMES.filter((n) => dirs.has(n)).map((n) => [n, { repo, revision }]));
}

export function isRootLayoutFile(path: string): boolean {
  return ROOT_FILES.includes(path);
}

/** A manifest without a UNet (a VAE such as TAESD) is a part of other models, not a model to run. */
export function isRunnable(parts: ModelParts): boolean {
  return parts.unet !== undefined && parts.text_encoder !== undefined;
}

export function partEntries(parts: ModelParts): [PartName, ModelPart][] {
  return PART_NAMES.flatMap((n) => (parts[n] ? [[n, parts[n]] as [PartName, ModelPart]] : []));
}
