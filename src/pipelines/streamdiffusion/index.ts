import { errorLine } from '../../errors.js';
import type { Logger } from '../../log.js';
import { modelCatalogue } from '../../models/catalogue.js';
import { loadSdModels, type SdModels } from '../../models/index.js';
import { withLoras } from '../../models/lora/apply.js';
import type { PipelineDefinition } from '../pipeline.js';
import { type ControlLoader, loadControlNets } from './controlnet-load.js';
import type { ControlNetModelKey } from './controlnet-params.js';
import { StreamDiffusion } from './pipeline.js';
import { StreamDiffusionParams } from './schema.js';

/** The load-time parameters: changing one of these reloads the models; everything else applies per frame. */
export type ModelParams = Pick<StreamDiffusionParams, 'model' | 'execution_providers' | 'device_id' | 'webgpu_layout' | 'tensorrt_cache_dir' | 'width' | 'height' | 'vae_range' | 'lora' | 'lora_dir' | ControlNetModelKey>;

export type ModelLoader = (params: Readonly<ModelParams>, log: Logger) => Promise<SdModels>;

/** The model layer: `model` is a known model name (src/models/catalogue.ts), builtin:tiny[-variant] or a folder; LoRAs fused in. */
export const loadModelFolder: ModelLoader = async (p, log) =>
  loadSdModels(await withLoras(modelCatalogue().folderOf(p.model), p.lora, p.lora_dir, log), { providers: p.execution_providers, providerOptions: { deviceId: p.device_id, webgpuLayout: p.webgpu_layout, tensorrtCacheDir: p.tensorrt_cache_dir }, width: p.width, height: p.height, vaeRange: p.vae_range, log });

/** The pipeline definition over any model loader (tests pass a fake one). */
export function defineStreamDiffusion(loadModels: ModelLoader, random?: () => number, loadControl: ControlLoader = loadControlNets): PipelineDefinition<typeof StreamDiffusionParams> {
  return {
    name: 'streamdiffusion',
    description: 'StreamDiffusion img2img/txt2img on onnxruntime-node (Stream Batch, residual CFG, similarity filter).',
    schema: StreamDiffusionParams,
    async load(params, ctx) {
      const models = await loadModels(params, ctx.log);
      const control = await loadControl(params, models).catch(async (e: unknown) => {
        await models.dispose();
        throw e;
      });
      if (control) ctx.log.info({ controlnets: control.nets.map((n) => n?.name ?? 'none'), provider: models.provider }, 'ControlNets loaded');
      const pipeline = new StreamDiffusion(models, { width: params.width, height: params.height, random, outputBuffers: ctx.outputBuffers, encodeWhileServing: true, control });
      // A model that loads but cannot run a frame is the engine's to handle (failure streak, provider fallback).
      await pipeline.warmUp(params).catch((e: unknown) => ctx.log.warn({ err: errorLine(e) }, 'warm-up frame failed; the first frames will tell'));
      return pipeline;
    },
  };
}

export const streamDiffusion = defineStreamDiffusion(loadModelFolder);
