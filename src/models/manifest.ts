import { join } from 'node:path';
import { z } from 'zod';
import { readJsonFile } from './json-file.js';

/** Optional file at a model folder's root: facts the ONNX files cannot say (which pixel range the VAE expects). */
export const MANIFEST_FILE = 'sdlive.json';

export const ModelManifest = z.object({
  generator: z.string().optional(),
  variant: z.string().optional(),
  description: z.string().optional(),
  vae_range: z.enum(['zero_one', 'minus_one_one']).optional(),
  vae_scaling: z.number().positive().optional(),
});
export type ModelManifest = z.infer<typeof ModelManifest>;

/** The folder's sdlive.json, {} when absent; throws a message naming the file when it is malformed. */
export function readManifest(dir: string): ModelManifest {
  const file = join(dir, MANIFEST_FILE);
  const content = readJsonFile(file);
  if (content === undefined) return {};
  const parsed = ModelManifest.safeParse(content);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** scaling_factor from the VAE's diffusers config.json (0.18215 for the full SD VAE, 1 for TAESD), if present. */
export function vaeConfigScaling(dir: string): number | undefined {
  for (const sub of ['vae_decoder', 'vae_encoder']) {
    const value = readJsonFile<{ scaling_factor?: unknown }>(join(dir, sub, 'config.json'))?.scaling_factor;
    if (typeof value === 'number' && value > 0) return value;
  }
  return undefined;
}
