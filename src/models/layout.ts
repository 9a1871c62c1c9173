import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_FILES, type ModelRole } from './dialect.js';

/**
 * The file names each part may have on disk, in the order they are looked for: optimum's model.onnx, WebNN's
 * model_layernorm.onnx (microsoft/sd-turbo-webnn). External weights (model.onnx_data, model.onnx.data,
 * weights.pb) are named inside the .onnx file and resolved by onnxruntime beside it.
 */
export const MODEL_FILE_CANDIDATES: Record<ModelRole, readonly string[]> = {
  text: [MODEL_FILES.text, 'text_encoder/model_layernorm.onnx'],
  unet: [MODEL_FILES.unet, 'unet/model_layernorm.onnx'],
  vaeEncoder: [MODEL_FILES.vaeEncoder],
  vaeDecoder: [MODEL_FILES.vaeDecoder],
};

/** Each part's file (relative to dir) as found on disk; a part with none of its names is absent. */
export function modelFilesIn(dir: string): Partial<Record<ModelRole, string>> {
  const found: Partial<Record<ModelRole, string>> = {};
  for (const [role, names] of Object.entries(MODEL_FILE_CANDIDATES) as [ModelRole, readonly string[]][]) {
    const name = names.find((n) => existsSync(join(dir, n)));
    if (name) found[role] = name;
  }
  return found;
}
