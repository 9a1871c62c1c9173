import { SdliveError } from '../../errors.js';
import type { Frame } from '../../io/frame.js';
import type { ControlNet, ControlResiduals } from '../../models/controlnet.js';
import type { CannyEdges } from '../../models/processors/canny.js';
import type { SdModels, TensorF32 } from '../../models/sd-models.js';
import { affine } from '../../models/tensors.js';
import { controlNetSlots, type ControlSource } from './controlnet-params.js';
import { frameToImage, type StageTime } from './image.js';
import type { StreamDiffusionParams } from './schema.js';
import { repeatSlots } from './tensor.js';

/** The ControlNets a pipeline loaded, one per slot (undefined where the slot is none), and the canny graph. */
export interface ControlRig {
  nets: readonly (ControlNet | undefined)[];
  canny: CannyEdges;
}

/** One ControlNet taking part in this frame, with its control image [1,3,H,W] in [0,1]. */
export interface ActiveControl {
  net: ControlNet;
  scale: number;
  image: TensorF32;
}

/** [1,3,H,W] in [0,1], as ControlNets take their controlnet_cond. */
function unitImage(frame: Frame): TensorF32 {
  return affine(frameToImage(frame), 0.5, 0.5);
}

function sumResiduals(a: ControlResiduals, b: ControlResiduals): ControlResiduals {
  const add = (x: TensorF32, y: TensorF32): TensorF32 => ({ data: x.data.map((v, i) => v + y.data[i]!), dims: x.dims });
  return { down: a.down.map((t, i) => add(t, b.down[i]!)), mid: add(a.mid, b.mid) };
}

/**
 * The UNet with the active ControlNets in front: each runs on the very batch the UNet gets (every Stream Batch
 * slot's own latent at its own timestep, residual CFG's doubled or prepended slots with their own embeddings),
 * its control image repeated over the slots; their residuals, each times its scale, are summed. With none active
 * the UNet runs as it is (a ControlNet-ready UNet then gets zero residuals).
 */
export function controlledUnet(unet: SdModels['unet'], active: readonly ActiveControl[], time: StageTime): SdModels['unet'] {
  if (active.length === 0) return unet;
  const repeated = new Map<string, TensorF32>();
  const imageFor = (c: ActiveControl, batch: number, k: number) => {
    const key = `${k}:${batch}`;
    let image = repeated.get(key);
    if (!image) repeated.set(key, (image = batch === 1 ? c.image : repeatSlots(c.image, batch)));
    return image;
  };
  return async (inputs) => {
    const batch = inputs.sample.dims[0]!;
    const residuals = await time('controlnet', async () => {
      let sum: ControlResiduals | undefined;
      for (const [k, c] of active.entries()) {
        const r = await c.net.run({ sample: inputs.sample, timestep: inputs.timestep, encoderHiddenStates: inputs.conditioning.encoder_hidden_states, image: imageFor(c, batch, k), scale: c.scale });
        sum = sum ? sumResiduals(sum, r) : r;
      }
      return sum!;
    });
    return unet({ ...inputs, residuals });
  };
}

/**
 * The control images of a frame: the second frame source's latest frame (frames[1], held until the next one comes;
 * none until the first does, and a ControlNet on it sits out meanwhile), and, only where an active ControlNet uses
 * them, the canny edges of the main input or the main input itself.
 */
export class ControlImages {
  /** The latest control frame as a tensor: its buffer goes back to the engine after the call. */
  private held: TensorF32 | undefined;
  private edges: TensorF32 | undefined;

  constructor(private readonly canny: CannyEdges) {}

  /** The ControlNets taking part in this frame: loaded, enabled, scale above 0, with a control image. */
  async active(rig: ControlRig, frame: Frame, params: Readonly<StreamDiffusionParams>, time: StageTime): Promise<ActiveControl[]> {
    const wanted = controlNetSlots(params).flatMap((slot, i) => {
      const net = rig.nets[i];
      return net && slot.enabled && slot.scale > 0 ? [{ net, scale: slot.scale, source: slot.source }] : [];
    });
    const images = new Map<ControlSource, TensorF32 | undefined>();
    const imageOf = async (source: ControlSource) => {
      if (!images.has(source)) images.set(source, await this.image(source, frame, params, time));
      return images.get(source);
    };
    const active: ActiveControl[] = [];
    for (const w of wanted) {
      const image = await imageOf(w.source);
      if (image) active.push({ net: w.net, scale: w.scale, image });
    }
    return active;
  }

  async release(): Promise<void> {
    await this.canny.release();
  }

  /** Holds the control frame of a call (frames[1]), if it brings one; skipped frames bring them too. */
  take(frames: readonly Frame[]): void {
    const [frame, control] = frames;
    if (!frame || !control) return;
    if (control.width !== frame.width || control.height !== frame.height) {
      throw new SdliveError('SDL_ERR_PIPELINE', `the control frame is ${control.width}x${control.height}, the input ${frame.width}x${frame.height}`);
    }
    this.held = unitImage(control);
  }

  private image(source: ControlSource, frame: Frame, params: Readonly<StreamDiffusionParams>, time: StageTime): Promise<TensorF32 | undefined> | TensorF32 | undefined {
    if (source === 'input') return unitImage(frame);
    if (source === 'canny') return time('canny', () => this.cannyOf(frame, params));
    return this.held;
  }

  private cannyOf(frame: Frame, params: Readonly<StreamDiffusionParams>): Promise<TensorF32> {
    const size = 3 * frame.width * frame.height;
    if (this.edges?.data.length !== size) this.edges = { data: new Float32Array(size), dims: [1, 3, frame.height, frame.width] };
    return this.canny.edges(frame.data, { low: params.canny_low_threshold, high: params.canny_high_threshold }, this.edges);
  }
}
