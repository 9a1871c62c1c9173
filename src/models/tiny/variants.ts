import type { ModelDialect } from '../sd-models.js';

/**
 * The built-in tiny models: random weights, but exactly the input/output names, dtypes and ranks of the real
 * exports in docs/models.md, one variant per dialect the loader serves.
 */
export interface TinyVariant {
  name: string;
  description: string;
  /** encoder_hidden_states width; SDXL's 2048 is its two encoders' 768 + 1280. */
  textWidth: 768 | 1024 | 2048;
  /** sdxl: text_encoder_2/ + tokenizer_2/, and the UNet takes text_embeds and time_ids. */
  family: 'sd' | 'sdxl';
  /** An LCM-distilled UNet: timestep_cond [B,256]. */
  timestepCond: boolean;
  idsType: 'int32' | 'int64';
  timestep: { type: 'float32' | 'int64' | 'float16'; rank: 0 | 1 };
  /** fp16 I/O on the text encoder output, UNet and VAE (Olive/DirectML style). */
  fp16: boolean;
  vaeOutput: 'latent_sample' | 'latent_parameters';
  vaeRange: 'zero_one' | 'minus_one_one';
  /** A ControlNet-ready UNet: down_block_N_additional_residual and mid_block_additional_residual inputs. */
  controlnet?: boolean;
}

const base: Omit<TinyVariant, 'name' | 'description'> = {
  textWidth: 1024,
  family: 'sd',
  timestepCond: false,
  idsType: 'int32',
  timestep: { type: 'float32', rank: 1 },
  fp16: false,
  vaeOutput: 'latent_sample',
  vaeRange: 'minus_one_one',
};

export const TINY_VARIANTS = {
  'sd-turbo': { ...base, name: 'sd-turbo', description: 'SD-Turbo as the diffusers convert script exports it (the default)' },
  'optimum-current': {
    ...base, name: 'optimum-current', timestep: { type: 'float32', rank: 0 }, vaeOutput: 'latent_parameters',
    description: 'current optimum export: rank-0 float timestep, VAE encoder returns latent_parameters [B,8,h,w]',
  },
  'older-optimum': {
    ...base, name: 'older-optimum', idsType: 'int64', timestep: { type: 'int64', rank: 1 },
    description: 'older optimum export: int64 input_ids and int64 timestep [steps]',
  },
  fp16: {
    ...base, name: 'fp16', fp16: true, timestep: { type: 'float16', rank: 1 },
    description: 'Olive/DirectML style: every float input and output is float16',
  },
  sd15: { ...base, name: 'sd15', textWidth: 768, description: 'SD 1.x: 768-wide text embeddings, padded with 49407' },
  'taesd-zero-one': {
    ...base, name: 'taesd-zero-one', vaeRange: 'zero_one',
    description: 'raw TAESD nets: the VAE takes and returns [0,1] images (declared in sdlive.json)',
  },
  sdxl: {
    ...base, name: 'sdxl', family: 'sdxl', textWidth: 2048,
    description: 'SDXL / SDXL-Turbo as optimum exports it: two text encoders (hidden_states.N outputs, the second with int64 ids and text_embeds), UNet with text_embeds and time_ids',
  },
  lcm: {
    ...base, name: 'lcm', textWidth: 768, timestepCond: true,
    description: 'LCM-distilled SD 1.5 (LCM Dreamshaper): the UNet takes timestep_cond [B,256], the guidance-scale embedding',
  },
  controlnet: {
    ...base, name: 'controlnet', textWidth: 768, controlnet: true,
    description: 'SD 1.5 UNet for ControlNet (TensorStack style): 12 down_block_N_additional_residual inputs and mid_block_additional_residual; pairs with builtin:controlnet-tiny',
  },
} as const satisfies Record<string, TinyVariant>;

export type TinyVariantName = keyof typeof TINY_VARIANTS;
export const TINY_VARIANT_NAMES = Object.keys(TINY_VARIANTS) as TinyVariantName[];
export const DEFAULT_TINY_VARIANT: TinyVariantName = 'sd-turbo';

export function isTinyVariant(name: string): name is TinyVariantName {
  return Object.hasOwn(TINY_VARIANTS, name);
}

/** The dialect the loader must detect for a variant (what the tests compare against). */
export function declaredDialect(v: TinyVariant): ModelDialect {
  return {
    textWidth: v.textWidth,
    family: v.family,
    timestepCondWidth: v.timestepCond ? 256 : 0,
    bosId: 49406,
    eosId: 49407,
    padId: v.textWidth === 1024 ? 0 : 49407,
    maxTokens: 77,
    textInputType: v.idsType,
    unetTimestep: { type: v.timestep.type, rank: v.timestep.rank },
    batchedTimestep: v.timestep.rank === 1,
    fp16: v.fp16,
    vaeEncoderOutput: v.vaeOutput,
    vaeRange: v.vaeRange,
    vaeScaling: 1,
    latentChannels: 4,
    ...('controlnet' in v && v.controlnet ? { controlResiduals: 12 } : {}),
  };
}
