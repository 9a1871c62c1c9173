import { SdliveError } from '../../errors.js';
import { ControlNet } from '../../models/controlnet.js';
import { controlNetCatalogue, NO_CONTROLNET } from '../../models/controlnet-catalogue.js';
import { CannyEdges } from '../../models/processors/canny.js';
import { sessionOptions } from '../../models/providers.js';
import type { SdModels } from '../../models/sd-models.js';
import type { ControlRig } from './controlnet.js';
import { CONTROLNET_MODEL_KEYS, type ControlNetModelKey } from './controlnet-params.js';
import type { StreamDiffusionParams } from './schema.js';

type ControlParams = Pick<StreamDiffusionParams, ControlNetModelKey | 'device_id' | 'webgpu_layout'>;
export type ControlLoader = (params: Readonly<ControlParams>, models: SdModels) => Promise<ControlRig | undefined>;

function slotError(key: ControlNetModelKey, e: unknown): SdliveError {
  if (e instanceof SdliveError) return new SdliveError(e.code, `${key}: ${e.message}`, key);
  return new SdliveError('SDL_ERR_MODEL_LOAD', `${key}: ${e instanceof Error ? e.message : String(e)}`, key);
}

/** A slot's ControlNet on the model's provider, checked against the UNet's residual inputs. */
async function loadSlot(key: ControlNetModelKey, name: string, models: SdModels, params: Readonly<ControlParams>): Promise<ControlNet> {
  const residuals = models.dialect.controlResiduals;
  if (residuals === undefined) {
    throw new SdliveError('SDL_ERR_MODEL_DIALECT', `${key}: the model's UNet takes no ControlNet residuals (no down_block_*/mid_block_* inputs): use a UNet exported for ControlNet (docs/models.md)`, key);
  }
  const providerOptions = { deviceId: params.device_id, webgpuLayout: params.webgpu_layout };
  const net = await ControlNet.load(name, controlNetCatalogue().folderOf(name), models.provider, { providerOptions, field: key }).catch((e: unknown) => {
    throw slotError(key, e);
  });
  const { textWidth } = models.dialect;
  const mismatch = net.residualCount !== residuals
    ? `gives ${net.residualCount} down residuals, the UNet takes ${residuals}`
    : net.textWidth !== undefined && net.textWidth !== textWidth ? `takes ${net.textWidth}-wide text embeddings, the model gives ${textWidth}` : undefined;
  if (!mismatch) return net;
  await net.dispose();
  throw new SdliveError('SDL_ERR_MODEL_DIALECT', `${key}: ControlNet ${name} ${mismatch}: they belong to different model families (an SD 1.5 ControlNet needs an SD 1.5 UNet)`, key);
}

/**
 * The ControlNets the controlnet_N parameters name, on the model's provider, and the canny graph beside them;
 * undefined when every slot is none. A failure releases what was loaded and names the slot.
 */
export const loadControlNets: ControlLoader = async (params, models) => {
  if (CONTROLNET_MODEL_KEYS.every((key) => params[key] === NO_CONTROLNET)) return undefined;
  const nets: (ControlNet | undefined)[] = [];
  try {
    for (const key of CONTROLNET_MODEL_KEYS) nets.push(params[key] === NO_CONTROLNET ? undefined : await loadSlot(key, params[key], models, params));
    const canny = await CannyEdges.create(sessionOptions(models.provider, { deviceId: params.device_id, webgpuLayout: params.webgpu_layout }));
    return { nets, canny };
  } catch (e) {
    for (const net of nets) await net?.dispose().catch(() => undefined);
    throw e;
  }
};
