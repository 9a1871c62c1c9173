import type { TensorF32 } from '../../models/sd-models.js';
import { schedulerCoefficients, type SlotSchedule } from './schedule.js';
import { axpbySlots, axpbypczSlots, concatSlots, repeatSlots, slotCount, slots, slotView } from './tensor.js';

/**
 * Residual classifier-free guidance (StreamDiffusion's RCFG), exactly as pipeline.py's unet_step does it.
 *   none        no guidance (n UNet slots)
 *   full        real negative pass: batch [x, x] with embeddings [uncond..., cond...] (2n slots)
 *   initialize  one negative slot prepended: [x0, x] with [uncond, cond...]; its prediction seeds the stock noise (n+1)
 *   self        virtual negative delta * stock_noise, no extra slot (n)
 * The batch changes and the guidance formula applies only when guidance_scale > 1.
 */
export type CfgType = 'none' | 'full' | 'self' | 'initialize';

export interface Guidance {
  cfgType: CfgType;
  scale: number;
  delta: number;
}

/** What one UNet call receives. */
export interface UnetBatch {
  latents: TensorF32;
  timesteps: number[];
}

/** The cfg type in effect: guidance applies only above 1, otherwise it is 'none'. */
export function guidedType(g: Guidance): CfgType {
  return g.scale > 1 ? g.cfgType : 'none';
}

/** Whether the stock noise is kept up to date (the reference does so for self/initialize even at scale <= 1). */
export function usesStockNoise(g: Guidance): boolean {
  return g.cfgType === 'self' || g.cfgType === 'initialize';
}

export function guidanceBatch(g: Guidance, x: TensorF32, timesteps: readonly number[]): UnetBatch {
  switch (guidedType(g)) {
    case 'full':
      return { latents: concatSlots([x, x]), timesteps: [...timesteps, ...timesteps] };
    case 'initialize':
      return { latents: concatSlots([slots(x, 0), x]), timesteps: [timesteps[0]!, ...timesteps] };
    default:
      return { latents: x, timesteps: [...timesteps] };
  }
}

/** The embeddings matching guidanceBatch: cond and uncond are [1, T, W]. */
export function guidanceEmbeddings(g: Guidance, n: number, cond: TensorF32, uncond: TensorF32): TensorF32 {
  switch (guidedType(g)) {
    case 'full':
      return concatSlots([repeatSlots(uncond, n), repeatSlots(cond, n)]);
    case 'initialize':
      return concatSlots([uncond, repeatSlots(cond, n)]);
    default:
      return repeatSlots(cond, n);
  }
}

/** The UNet's output -> the guided noise prediction for the n slots, and the stock noise (initialize refreshes slot 0). */
export function applyGuidance(g: Guidance, pred: TensorF32, stock: TensorF32): { eps: TensorF32; stock: TensorF32 } {
  const type = guidedType(g);
  const n = slotCount(stock);
  if (type === 'none') return { eps: pred, stock };
  const epsCond = type === 'initialize' ? slotView(pred, 1, n + 1) : type === 'full' ? slotView(pred, n, 2 * n) : pred;
  const nextStock = type === 'initialize' ? concatSlots([slotView(pred, 0), slotView(stock, 1, n)]) : stock;
  // eps_u + g*(eps_c - eps_u), eps_u = the real negative (full) or delta * stock (self, initialize)
  const uncond = type === 'full' ? slotView(pred, 0, n) : nextStock;
  const onUncond = (1 - g.scale) * (type === 'full' ? 1 : g.delta);
  const eps = axpbySlots(Array(n).fill(onUncond), uncond, Array(n).fill(g.scale), epsCond);
  return { eps, stock: nextStock };
}

/** Before a Stream Batch call (n > 1): stock = concat(init_noise[0:1], stock[:-1]). */
export function shiftStockNoise(stock: TensorF32, initNoise: TensorF32): TensorF32 {
  return concatSlots([slotView(initNoise, 0), slotView(stock, 0, slotCount(stock) - 1)]);
}

/** Where each slot's latent goes next: its alpha/beta and noise (the last slot wraps to 1, 1, init_noise[0]). */
export interface NextSlots {
  alpha: readonly number[];
  beta: readonly number[];
  noise: TensorF32;
}

/**
 * After the step: D = step(eps, beta*stock) * alpha_next / beta_next; stock = noise_next + D.
 * This is the residual that makes the next slot's virtual negative track what this slot removed.
 * step(eps, x) = onX*x + onEps*eps (schedulerCoefficients), so the whole update is one three-term pass.
 */
export function residualStockNoise(eps: TensorF32, stock: TensorF32, s: SlotSchedule, next: NextSlots): TensorF32 {
  const { onX, onEps } = schedulerCoefficients(s);
  const toNext = next.alpha.map((a, i) => a / next.beta[i]!);
  return axpbypczSlots(next.alpha.map(() => 1), next.noise, toNext.map((k, i) => k * onX[i]! * s.beta[i]!), stock, toNext.map((k, i) => k * onEps[i]!), eps);
}
