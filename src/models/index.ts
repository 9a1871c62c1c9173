export type { ModelDialect, SdModels, TensorF32 } from './sd-models.js';
export { loadSdModels, type LoadOptions } from './load.js';
export { resolveModelDir, GENERATED_MODELS_DIR } from './resolve.js';
export { modelCatalogue, ModelCatalogue, type KnownModel, type ModelSource } from './catalogue.js';
export { makeTinyModel } from './tiny/make-tiny.js';
export { TINY_VARIANTS, TINY_VARIANT_NAMES, DEFAULT_TINY_VARIANT, declaredDialect, type TinyVariantName } from './tiny/variants.js';
export { clipInputIds } from './token-ids.js';
export { f16ToF32, f32ToF16 } from './fp16.js';
