import { join, resolve } from 'node:path';
import type { Logger } from '../../log.js';
import { loraSpecs, type LoraChoice } from './catalogue.js';
import { fuseLoras } from './fuse.js';

/** Fused folders live beside the LoRAs: <lora folder>/fused/<key>/ (safe to delete; rebuilt on the next load). */
const FUSED_SUBFOLDER = 'fused';

/** The model folder to load: `baseDir` itself without LoRAs, else its LoRA-fused copy (from the cache when there is one). */
export async function withLoras(baseDir: string, choice: LoraChoice, loraDir: string, log: Logger): Promise<string> {
  const specs = loraSpecs(choice, loraDir);
  if (specs.length === 0) return baseDir;
  return (await fuseLoras(baseDir, specs, { cacheDir: join(resolve(loraDir), FUSED_SUBFOLDER), log })).folder;
}
