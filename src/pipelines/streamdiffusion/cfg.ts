import type { Conditioning, TensorF32, UnetInputs } from '../../models/sd-models.js';
import { concatConditioning, repeatConditioning } from './conditioning.js';
import { schedulerCoefficients, type SlotSchedule } from './schedule.js';
import { assertFinite, concatSlots, slotCount, slots, slotView, zeros } from './tensor.js';

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

/** What one UNet call receives besides the conditioning. */
export type UnetBatch = Omit<UnetInputs, 'conditioning'>;

/** The cfg type in effect: guidance applies only above 1, otherwise it is 'none'. */
export function guidedType(g: Guidance): CfgType {
  return g.scale > 1 ? g.cfgType : 'none';
}

/** Whether the stock noise is kept up to date (the reference does so for self/initialize even at scale <= 1). */
export function usesStockNoise(g: Guidance): boolean {
  return g.cfgType === 'self' || g.cfgType === 'initialize';
}

export function guidanceBatch(g: Guidance, x: TensorF32, timesteps: readonly number[]): UnetBatch {
  const timestep = batchTimesteps(g, timesteps);
  switch (guidedType(g)) {
    case 'full':
      return { sample: concatSlots([x, x]), timestep };
    case 'initialize':
      return { sample: concatSlots([slots(x, 0), x]), timestep };
    default:
      return { sample: x, timestep };
  }
}

/** The timestep of each UNet batch element guidanceBatch lays out. */
export function batchTimesteps(g: Guidance, timesteps: readonly number[]): number[] {
  switch (guidedType(g)) {
    case 'full':
      return [...timesteps, ...timesteps];
    case 'initialize':
      return [timesteps[0]!, ...timesteps];
    default:
      return [...timesteps];
  }
}

/** The conditioning matching guidanceBatch, every entry alike: cond and uncond hold one slot each. */
export function guidanceConditioning(g: Guidance, n: number, cond: Conditioning, uncond: Conditioning): Conditioning {
  switch (guidedType(g)) {
    case 'full':
      return concatConditioning([repeatConditioning(uncond, n), repeatConditioning(cond, n)]);
    case 'initialize':
      return concatConditioning([uncond, repeatConditioning(cond, n)]);
    default:
      return repeatConditioning(cond, n);
  }
}

/** eps = onUncond*uncond + onCond*cond per slot (guidanceWeights), and the stock noise (initialize refreshes slot 0). */
interface GuidanceTerms {
  uncond: TensorF32;
  cond: TensorF32;
  stock: TensorF32;
}

/** The UNet's output as guidance terms: eps_u + g*(eps_c - eps_u), eps_u the real negative (full) or delta*stock. */
function guidanceTerms(g: Guidance, pred: TensorF32, stock: TensorF32): GuidanceTerms {
  const type = guidedType(g);
  const n = slotCount(stock);
  if (type === 'none') return { uncond: pred, cond: pred, stock };
  const cond = type === 'initialize' ? slotView(pred, 1, n + 1) : type === 'full' ? slotView(pred, n, 2 * n) : pred;
  const nextStock = type === 'initialize' ? concatSlots([slotView(pred, 0), slotView(stock, 1, n)]) : stock;
  const uncond = type === 'full' ? slotView(pred, 0, n) : nextStock;
  return { uncond, cond, stock: nextStock };
}

/** eps = onUncond*uncond + onCond*cond: uncond is the real negative (full), delta*stock (self/initialize), unused (none). */
export function guidanceWeights(g: Guidance): { onUncond: number; onCond: number } {
  const type = guidedType(g);
  if (type === 'none') return { onUncond: 0, onCond: 1 };
  return { onUncond: (1 - g.scale) * (type === 'full' ? 1 : g.delta), onCond: g.scale };
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
 * One denoising step after the UNet, with no intermediate tensors (eps is never stored): the guided eps, the scheduler step
 * x0 = onX*x_t + onEps*eps (schedulerCoefficients), and, with `next`, the residual stock noise
 * D = step(eps, beta*stock) * alpha_next / beta_next; stock = noise_next + D, which makes the next slot's
 * virtual negative track what this slot removed. Without `next` the stock is returned as guidance left it.
 * Throws SDL_ERR_NONFINITE when x0 holds a NaN or an Inf.
 */
export function guidedStep(g: Guidance, pred: TensorF32, stock: TensorF32, x: TensorF32, s: SlotSchedule, next?: NextSlots): { x0: TensorF32; stock: TensorF32 } {
  const t = guidanceTerms(g, pred, stock);
  const n = slotCount(x);
  const len = x.data.length / n;
  for (const v of [t.uncond, t.cond, t.stock, ...(next ? [next.noise] : [])]) {
    if (v.data.length !== x.data.length) throw new RangeError(`step sizes differ: x [${x.dims}], [${v.dims}]`);
  }
  const x0 = zeros(x.dims);
  const residual = next ? zeros(x.dims) : undefined;
  let probe = 0;
  const factors = stepFactors(g, s, next);
  for (let i = 0; i < n; i++) {
    const k = factors[i]!;
    probe += stepSlot(k, i * len, (i + 1) * len, t.uncond.data, t.cond.data, x.data, x0.data);
    if (residual) residualSlot(k, i * len, (i + 1) * len, t.uncond.data, t.cond.data, t.stock.data, next!.noise.data, residual.data);
  }
  if (probe !== 0) assertFinite(x0, 'the denoised batch');
  return { x0, stock: residual ?? t.stock };
}

/** One slot's step as factors: x0 = onX*x + onEps*eps, eps = onUncond*uncond + onCond*cond; stock = noise + onStock*stock + onEpsNext*eps. */
export interface StepFactors {
  onUncond: number;
  onCond: number;
  onX: number;
  onEps: number;
  onStock: number;
  onEpsNext: number;
}

/** guidedStep's factors per slot (step-graph.ts feeds the same numbers to the device graph). */
export function stepFactors(g: Guidance, s: SlotSchedule, next?: Pick<NextSlots, 'alpha' | 'beta'>): StepFactors[] {
  const { onUncond, onCond } = guidanceWeights(g);
  const { onX, onEps } = schedulerCoefficients(s);
  return onX.map((x, i) => {
    const toNext = next ? next.alpha[i]! / next.beta[i]! : 0;
    return { onUncond, onCond, onX: x, onEps: onEps[i]!, onStock: toNext * x * s.beta[i]!, onEpsNext: toNext * onEps[i]! };
  });
}

/**
 * x0 = onX*x + onEps*eps over [from, to), eps = onUncond*U + onCond*C. Returns the sum of x0 - x0 over the
 * stored float32 values: 0 when all are finite, NaN otherwise (the NaN check without a second pass).
 */
function stepSlot(k: StepFactors, from: number, to: number, U: Float32Array, C: Float32Array, X: Float32Array, out: Float32Array): number {
  const { onUncond, onCond, onX, onEps } = k;
  let probe = 0;
  for (let j = from; j < to; j++) {
    out[j] = onX * X[j]! + onEps * (onUncond * U[j]! + onCond * C[j]!);
    probe += out[j]! - out[j]!;
  }
  return probe;
}

/** stock = noise + onStock*stock + onEpsNext*eps over [from, to). */
function residualSlot(k: StepFactors, from: number, to: number, U: Float32Array, C: Float32Array, S: Float32Array, N: Float32Array, out: Float32Array): void {
  const { onUncond, onCond, onStock, onEpsNext } = k;
  for (let j = from; j < to; j++) out[j] = N[j]! + onStock * S[j]! + onEpsNext * (onUncond * U[j]! + onCond * C[j]!);
}
