import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SdliveError } from '../../errors.js';
import type { ChoiceSet } from '../../schema/param.js';
import type { LoraSpec } from './plan.js';

/** The choice set the `lora` parameter names (ParamMeta.remoteChoices): the LoRAs OSC/HTTP/MIDI may choose. */
export const LORA_CHOICES = 'loras';
const EXTENSION = '.safetensors';
const LISTED_NAMES = 6;

/** The `lora` parameter: one name (scale 1), a list of names with scales, or '' for none. */
export type LoraChoice = string | readonly { readonly name: string; readonly scale: number }[];

/** The LoRA files in `dir` by name (the file name without .safetensors); none when the folder does not exist. */
function loraNames(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(EXTENSION)).map((f) => f.slice(0, -EXTENSION.length)).sort();
}

/** Over the network a LoRA is a name from the LoRA folder, never a path; '' (no LoRA) is always fine. */
export class LoraCatalogue implements ChoiceSet {
  constructor(private readonly dir: () => string) {}

  names(): string[] {
    return loraNames(resolve(this.dir()));
  }

  refusal(value: string): string | undefined {
    const names = this.names();
    if (value === '' || names.includes(value)) return undefined;
    const listed = names.length ? names.slice(0, LISTED_NAMES).join(', ') + (names.length > LISTED_NAMES ? ', ...' : '') : `none: put <name>${EXTENSION} files in ${resolve(this.dir())}`;
    return `not a LoRA in the LoRA folder; choose one of: ${listed}`;
  }
}

/**
 * The LoRAs to fuse: names from `dir` (name.safetensors), or paths (the config file and the command line may give
 * one). Scale 0 is no change: not fused at all.
 */
export function loraSpecs(choice: LoraChoice, dir: string): LoraSpec[] {
  const entries = typeof choice === 'string' ? (choice ? [{ name: choice, scale: 1 }] : []) : choice;
  const folder = resolve(dir);
  const names = loraNames(folder);
  return entries.filter((e) => e.scale !== 0).map(({ name, scale }) => {
    if (names.includes(name)) return { name, scale, file: join(folder, `${name}${EXTENSION}`) };
    if (existsSync(resolve(name))) return { name, scale, file: resolve(name) };
    throw new SdliveError('SDL_ERR_LORA', `no LoRA "${name}": neither ${join(folder, name + EXTENSION)} nor a file ${resolve(name)}`, 'lora');
  });
}
