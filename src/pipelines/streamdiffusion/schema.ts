import { z } from 'zod';
import { MODEL_CHOICES } from '../../models/catalogue.js';
import { FEEDBACK_BORDERS } from '../../models/processors/feedback-graph.js';
import { LORA_CHOICES } from '../../models/lora/catalogue.js';
import { RELOAD_STRATEGIES } from '../../engine/reload-strategy.js';
import { LOCAL_ONLY, normRange, param } from '../../schema/param.js';
import { ENGINE_FIELDS } from '../engine-params.js';
import { controlNetFields } from './controlnet-params.js';

export const EXECUTION_PROVIDERS = ['cuda', 'tensorrt', 'dml', 'coreml', 'webgpu', 'cpu'] as const;

/** Weights are relative (a list is normalised to sum 1): a 0..1 fader reaches every mix, at the top the default 1. */
const WEIGHT_NORM = { min: 0, max: 1 };

export const PromptEntry = z.strictObject({
  text: z.string().max(2000),
  weight: normRange(z.number().min(0).max(10).default(1), WEIGHT_NORM),
});
export const SeedEntry = z.strictObject({
  seed: z.int().min(0).max(2 ** 31 - 1),
  weight: normRange(z.number().min(0).max(10).default(1), WEIGHT_NORM),
});
export const LoraEntry = z.strictObject({
  name: z.string().min(1).max(500),
  scale: normRange(z.number().min(-2).max(4).default(1), { min: 0, max: 1 }),
});

const interpolation = z.enum(['linear', 'slerp']);

export const streamDiffusionFields = {
  model: param(z.string().min(1).default('builtin:tiny'), {
    label: 'Model', group: 'Model', order: 0, phase: 'load', remoteChoices: MODEL_CHOICES,
    description: 'A model name the engine knows (sdlive models list; builtin:tiny is the generated test model). The config file and the command line may also give a folder in optimum layout.',
  }),
  execution_providers: param(z.array(z.enum(EXECUTION_PROVIDERS)).min(1).max(6).default(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']), {
    label: 'Execution providers', group: 'Model', order: 1, phase: 'load',
    description: 'onnxruntime execution providers to try, in order of preference; the first that loads is used. webgpu on a CPU adapter (lavapipe, SwiftShader) is skipped unless listed first.',
  }),
  device_id: param(z.int().min(0).max(15).default(0), {
    label: 'GPU device', group: 'Model', order: 1.1, phase: 'load',
    description: 'Which GPU cuda, tensorrt and dml run on (0 is the first); other providers ignore it.',
  }),
  webgpu_layout: param(z.enum(['NCHW', 'NHWC']).default('NCHW'), {
    label: 'WebGPU layout', group: 'Model', order: 1.2, phase: 'load',
    description: 'Tensor layout the webgpu provider prefers for convolutions (its preferredLayout); NCHW unless NHWC measures faster.',
  }),
  tensorrt_cache_dir: param(z.string().max(1000).default(''), {
    label: 'TensorRT cache folder', group: 'Model', order: 1.25, phase: 'load', remoteChoices: LOCAL_ONLY,
    description: 'Folder where tensorrt keeps the engines it builds, so the next start skips the build (minutes for a UNet); empty: no cache. Config file or command line only. Not yet checked on a GPU (docs/engine.md).',
  }),
  reload_strategy: param(z.enum(RELOAD_STRATEGIES).default('auto'), {
    label: 'Reload strategy', group: 'Model', order: 1.3, phase: 'load',
    description: 'parallel: a reload loads beside the running model (twice the memory meanwhile); unload_first: releases it first, holding the last frame; auto: unload_first when free RAM is short on cpu.',
  }),
  width: param(z.int().min(256).max(1024).multipleOf(64).default(512), {
    label: 'Width', group: 'Model', order: 2, phase: 'load', unit: 'px', description: 'Generation width (multiple of 64).',
  }),
  height: param(z.int().min(256).max(1024).multipleOf(64).default(512), {
    label: 'Height', group: 'Model', order: 3, phase: 'load', unit: 'px', description: 'Generation height (multiple of 64).',
  }),
  vae_range: param(z.enum(['auto', 'zero_one', 'minus_one_one']).default('auto'), {
    label: 'VAE image range', group: 'Model', order: 4, phase: 'load',
    description: 'Pixel range the VAE expects: raw TAESD nets use [0,1], diffusers AutoencoderTiny and full VAEs [-1,1].',
  }),
  lora: param(z.union([z.string().max(500), z.array(LoraEntry).min(1).max(8)]).default(''), {
    label: 'LoRA', group: 'Model', order: 5, phase: 'load', kind: 'lora', remoteChoices: LORA_CHOICES,
    description: 'LoRAs fused into the UNet and text encoder: a name from the LoRA folder (scale 1), or a list of names with scales; empty for none. A change rebuilds the model in the background (cached per scale) while the old one keeps serving.',
  }),
  lora_dir: param(z.string().min(1).default('models/loras'), {
    label: 'LoRA folder', group: 'Model', order: 5.1, phase: 'load', remoteChoices: 'lora_dir',
    description: 'Where LoRA files (<name>.safetensors) are looked up, and fused models cached (fused/). Set in the config file or on the command line only.',
  }),
  mode: param(z.enum(['img2img', 'txt2img']).default('img2img'), {
    label: 'Mode', group: 'Generation', order: 10, phase: 'runtime',
    description: 'img2img transforms the input frames; txt2img ignores them.',
  }),
  prompt: param(z.union([z.string().max(2000), z.array(PromptEntry).min(1).max(8)]).default('a watercolor painting of a city at night, vivid colors'), {
    label: 'Prompt', group: 'Prompt', order: 20, phase: 'runtime', kind: 'prompt',
    description: 'A prompt, or a weighted list of prompts blended together. Emphasis: (word:1.3), word++, word--.',
  }),
  prompt_interpolation: param(interpolation.default('linear'), {
    label: 'Prompt blend', group: 'Prompt', order: 21, phase: 'runtime',
    description: 'How a prompt list is blended: weighted linear sum, or slerp between two prompts.',
  }),
  negative_prompt: param(z.string().max(2000).default(''), {
    label: 'Negative prompt', group: 'Prompt', order: 22, phase: 'runtime',
    description: 'What to steer away from (used by cfg_type full and initialize).',
  }),
  guidance_scale: param(z.number().min(0).max(20).default(1.2), {
    label: 'Guidance', group: 'Guidance', order: 30, phase: 'runtime', norm: { min: 0, max: 5 },
    description: 'Classifier-free guidance scale; applied only above 1.',
  }),
  delta: param(z.number().min(0).max(5).default(1), {
    label: 'Delta', group: 'Guidance', order: 31, phase: 'runtime',
    description: 'Residual CFG strength of the virtual negative (cfg_type self).',
  }),
  cfg_type: param(z.enum(['none', 'full', 'self', 'initialize']).default('self'), {
    label: 'CFG type', group: 'Guidance', order: 32, phase: 'runtime',
    description: 'none: no guidance; full: real negative pass (2n); self: residual CFG (n); initialize: one negative slot (n+1).',
  }),
  num_inference_steps: param(z.int().min(1).max(50).default(50), {
    label: 'Schedule steps', group: 'Schedule', order: 40, phase: 'runtime',
    description: 'Length of the LCM schedule the t_index_list indexes into (LCM is distilled on 50 steps: at most 50).',
  }),
  t_index_list: param(z.array(z.int().min(0).max(49)).min(1).max(4).default([32, 45]), {
    label: 'Denoising steps (t_index)', group: 'Schedule', order: 41, phase: 'runtime',
    description: 'Schedule indices, one per denoising step; near 0 = strong change, near the end = faithful to the input.',
  }),
  seed: param(z.union([z.int().min(0).max(2 ** 31 - 1), z.array(SeedEntry).min(1).max(8)]).default(2), {
    label: 'Seed', group: 'Noise', order: 50, phase: 'runtime', kind: 'seed',
    description: 'Noise seed, or a weighted list of seeds blended together.',
  }),
  seed_interpolation: param(interpolation.default('linear'), {
    label: 'Seed blend', group: 'Noise', order: 51, phase: 'runtime',
    description: 'How a seed list is blended: norm-preserving linear sum, or slerp between two seeds.',
  }),
  do_add_noise: param(z.boolean().default(true), {
    label: 'Add noise', group: 'Noise', order: 52, phase: 'runtime',
    description: 'Re-noise the latent buffer between denoising steps.',
  }),
  use_denoising_batch: param(z.boolean().default(true), {
    label: 'Stream batch', group: 'Schedule', order: 42, phase: 'runtime',
    description: 'One UNet call per frame over all steps (Stream Batch, n-1 frames latency) instead of sequential steps.',
  }),
  similarity_filter: param(z.boolean().default(false), {
    label: 'Similarity filter', group: 'Similarity filter', order: 60, phase: 'runtime',
    description: 'Skip frames that barely differ from the last processed input (saves GPU on static scenes).',
  }),
  similarity_threshold: param(z.number().min(0).max(1).default(0.98), {
    label: 'Similarity threshold', group: 'Similarity filter', order: 61, phase: 'runtime',
    description: 'Cosine similarity above which frames start being skipped.',
  }),
  similarity_max_skip_frames: param(z.int().min(0).max(1000).default(10), {
    label: 'Max skipped frames', group: 'Similarity filter', order: 62, phase: 'runtime', unit: 'frames',
    description: 'After this many skips a frame is processed anyway.',
  }),
  feedback: param(z.number().min(0).max(1).default(0), {
    label: 'Feedback', group: 'Feedback', order: 65, phase: 'runtime',
    description: 'Image feedback: how much of the previous output is mixed into the next input (img2img); 0 is off.',
  }),
  feedback_decay: param(z.number().min(0).max(1).default(1), {
    label: 'Feedback decay', group: 'Feedback', order: 65.1, phase: 'runtime',
    description: 'How much of the fed-back picture survives a pass; below 1 the trails fade faster.',
  }),
  feedback_zoom: param(z.number().min(0.5).max(2).default(1), {
    label: 'Feedback zoom', group: 'Feedback', order: 65.2, phase: 'runtime', unit: 'x',
    description: 'Scale of the fed-back picture per pass, about the centre; above 1 zooms in (a tunnel), below 1 out.',
  }),
  feedback_pan_x: param(z.number().min(-0.5).max(0.5).default(0), {
    label: 'Feedback pan X', group: 'Feedback', order: 65.3, phase: 'runtime',
    description: 'Horizontal move of the fed-back picture per pass, in fractions of the frame width; + is right.',
  }),
  feedback_pan_y: param(z.number().min(-0.5).max(0.5).default(0), {
    label: 'Feedback pan Y', group: 'Feedback', order: 65.4, phase: 'runtime',
    description: 'Vertical move of the fed-back picture per pass, in fractions of the frame height; + is down.',
  }),
  feedback_rotate: param(z.number().min(-45).max(45).default(0), {
    label: 'Feedback rotate', group: 'Feedback', order: 65.5, phase: 'runtime', unit: 'deg',
    description: 'Rotation of the fed-back picture per pass, in degrees; + is clockwise.',
  }),
  feedback_border: param(z.enum(FEEDBACK_BORDERS).default('border'), {
    label: 'Feedback border', group: 'Feedback', order: 65.6, phase: 'runtime',
    description: 'What fills the edge a moved picture uncovers: zeros (black), border (edge pixels stretched) or reflection (mirror).',
  }),
  feedback_safe: param(z.boolean().default(true), {
    label: 'Feedback safe', group: 'Feedback', order: 65.7, phase: 'runtime',
    description: 'Caps the loops so they cannot freeze: the input keeps at least 10% (image and latent), old pictures always fade out.',
  }),
  latent_feedback: param(z.number().min(0).max(1).default(0), {
    label: 'Latent feedback', group: 'Feedback', order: 65.8, phase: 'runtime',
    description: 'Blends the previous frame\'s denoised latent into the next encoded input (img2img, host path); 0 is off.',
  }),
  ...controlNetFields,
  // The registry merges them in too; declared here so StreamDiffusionParams alone is the whole surface.
  ...ENGINE_FIELDS,
};

export const StreamDiffusionParams = z.strictObject(streamDiffusionFields).superRefine((p, ctx) => {
  p.t_index_list.forEach((t, i) => {
    if (t > p.num_inference_steps - 1) {
      ctx.addIssue({
        code: 'custom', path: ['t_index_list', i],
        message: `t_index ${t} must be within [0, num_inference_steps-1 = ${p.num_inference_steps - 1}]`,
      });
    }
  });
});

export type StreamDiffusionParams = z.output<typeof StreamDiffusionParams>;
export type PromptEntry = z.output<typeof PromptEntry>;
export type SeedEntry = z.output<typeof SeedEntry>;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** The prompt field as a weighted list, whichever form it was given in. */
export function promptList(prompt: StreamDiffusionParams['prompt']): PromptEntry[] {
  return typeof prompt === 'string' ? [{ text: prompt, weight: 1 }] : prompt;
}

/** The seed field as a weighted list, whichever form it was given in. */
export function seedList(seed: StreamDiffusionParams['seed']): SeedEntry[] {
  return typeof seed === 'number' ? [{ seed, weight: 1 }] : seed;
}
