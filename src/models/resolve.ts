import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SdliveError } from '../errors.js';
import { makeTinyModel } from './tiny/make-tiny.js';
import { DEFAULT_TINY_VARIANT, isTinyVariant, TINY_VARIANT_NAMES } from './tiny/variants.js';

/** Where built-in tiny models are generated: <package>/models/generated (git-ignored). */
export const GENERATED_MODELS_DIR = fileURLToPath(new URL('../../models/generated/', import.meta.url));

const BUILTIN = /^builtin:tiny(?:-(.+))?$/;

/**
 * A `model` parameter value -> a folder on disk. `builtin:tiny` and `builtin:tiny-<variant>` are generated on
 * first use into models/generated/<variant>/; anything else is a path (relative to the working directory).
 */
export function resolveModelDir(spec: string, generatedRoot = GENERATED_MODELS_DIR): string {
  const m = BUILTIN.exec(spec);
  if (!m) return resolve(spec);
  const variant = m[1] ?? DEFAULT_TINY_VARIANT;
  if (!isTinyVariant(variant)) {
    throw new SdliveError('SDL_ERR_MODEL_LOAD', `unknown built-in model "${spec}": use builtin:tiny or builtin:tiny-<${TINY_VARIANT_NAMES.join('|')}>`, 'model');
  }
  try {
    return makeTinyModel(resolve(generatedRoot, variant), variant);
  } catch (e) {
    throw new SdliveError('SDL_ERR_MODEL_LOAD', `cannot generate ${spec} into ${generatedRoot}: ${e instanceof Error ? e.message : String(e)}`, 'model');
  }
}
