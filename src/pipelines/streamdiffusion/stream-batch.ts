import type { Conditioning, SdModels, TensorF32 } from '../../models/sd-models.js';
import { type Guidance, guidanceBatch, guidedStep, guidedType, type NextSlots, shiftStockNoise, usesStockNoise } from './cfg.js';
import { sliceSchedule, type SlotSchedule } from './schedule.js';
import { sliceConditioning } from './conditioning.js';
import { axpbySlots, concatSlots, slots, slotView, zeros } from './tensor.js';

/** The state that lives across frames (pipeline.py's init_noise, stock_noise, x_t_latent_buffer). */
export interface StreamState {
  /** [n, C, h, w], drawn from the seed(s); not redrawn per frame. */
  initNoise: TensorF32;
  /** [n, C, h, w], the residual-CFG virtual negative; zeros at start and after a change to other seeds (not a seed fade). */
  stockNoise: TensorF32;
  /** [n-1, C, h, w], latents partially denoised by earlier frames; zeros at start. */
  latentBuffer: TensorF32;
  /** Leading latentBuffer slots that hold real latents; the rest are zeros (start, reset, a longer t_index_list). */
  warmSlots: number;
}

/** Everything one denoising pass needs besides the state. */
export interface DenoiseStep {
  unet: SdModels['unet'];
  schedule: SlotSchedule;
  guidance: Guidance;
  /** The conditioning laid out for guidanceBatch over n slots (Stream Batch) or one slot (sequential). */
  conditioning: Conditioning;
  doAddNoise: boolean;
}

/** x_t at the next slot's timestep from x0: alpha*x0 + beta*noise, or alpha*x0 when noise is off. */
function renoise(x0: TensorF32, alpha: readonly number[], beta: readonly number[], noise: TensorF32, doAddNoise: boolean): TensorF32 {
  return axpbySlots(alpha, x0, doAddNoise ? beta : beta.map(() => 0), noise);
}

/** init_noise rotated by one slot ([1..n-1, 0]), made once per init_noise (tensors are never written). */
const rotatedNoise = new WeakMap<TensorF32, TensorF32>();

function rotated(initNoise: TensorF32): TensorF32 {
  const n = initNoise.dims[0]!;
  if (n === 1) return initNoise;
  let r = rotatedNoise.get(initNoise);
  if (!r) rotatedNoise.set(initNoise, (r = concatSlots([slotView(initNoise, 1, n), slotView(initNoise, 0)])));
  return r;
}

/** Each slot's successor's alpha and beta: slot i feeds slot i+1 next frame; the last wraps to (1, 1). */
export function successors(s: SlotSchedule): Pick<NextSlots, 'alpha' | 'beta'> {
  return { alpha: [...s.alpha.slice(1), 1], beta: [...s.beta.slice(1), 1] };
}

/** successors() with their noise: init_noise[i+1], the last slot init_noise[0]. */
function nextSlots(s: SlotSchedule, initNoise: TensorF32): NextSlots {
  return { ...successors(s), noise: rotated(initNoise) };
}

/**
 * Stream Batch: the new x_t and the n-1 buffered latents go through ONE UNet call, each slot at its own
 * timestep. Returns x0 of the last slot, i.e. the frame that entered n-1 calls earlier. Updates `state` only
 * after a successful, finite step (a failed call or a NaN leaves it as it was).
 */
export async function streamBatch(xT: TensorF32, state: StreamState, step: DenoiseStep): Promise<TensorF32> {
  const { schedule, guidance } = step;
  const n = schedule.timesteps.length;
  const x = n > 1 ? concatSlots([xT, state.latentBuffer]) : xT;
  const shifted = n > 1 ? shiftStockNoise(state.stockNoise, state.initNoise) : state.stockNoise;
  const batch = guidanceBatch(guidance, x, schedule.timesteps);
  const pred = await step.unet({ ...batch, conditioning: step.conditioning });
  const { x0, stock } = guidedStep(guidance, pred, shifted, x, schedule, usesStockNoise(guidance) ? nextSlots(schedule, state.initNoise) : undefined);
  state.stockNoise = stock;
  if (n > 1) {
    const rest = sliceSchedule(schedule, 1, n);
    state.latentBuffer = renoise(slotView(x0, 0, n - 1), rest.alpha, rest.beta, slotView(state.initNoise, 1, n), step.doAddNoise);
    state.warmSlots = Math.min(n - 1, state.warmSlots + 1);
  }
  return slotView(x0, n - 1);
}

/** The conditioning without initialize's negative slot, made once per conditioning (it is never written). */
const condOnly = new WeakMap<Conditioning, Conditioning>();

/** Initialize's negative slot belongs to the first step; later steps follow the residual (self) chain. */
export function sequentialGuidance(step: Pick<DenoiseStep, 'guidance' | 'conditioning'>, i: number): { guidance: Guidance; conditioning: Conditioning } {
  if (i === 0 || guidedType(step.guidance) !== 'initialize') return step;
  let conditioning = condOnly.get(step.conditioning);
  if (!conditioning) condOnly.set(step.conditioning, (conditioning = sliceConditioning(step.conditioning, 1)));
  return { guidance: { ...step.guidance, cfgType: 'self' }, conditioning };
}

/**
 * The sequential variant (use_denoising_batch off): all n steps in this frame, one UNet call each, and the
 * same result Stream Batch gives n-1 frames later. Re-noising uses init_noise[i+1] (the reference draws fresh
 * noise; this keeps a fixed seed deterministic), and residual CFG chains the stock noise from step to step
 * exactly as Stream Batch chains it from frame to frame. Does not touch `state`.
 */
export async function sequentialDenoise(xT: TensorF32, state: StreamState, step: DenoiseStep): Promise<TensorF32> {
  const { schedule } = step;
  const n = schedule.timesteps.length;
  let x = xT;
  let stock = slots(state.initNoise, 0);
  let x0 = x;
  for (let i = 0; i < n; i++) {
    const s = sliceSchedule(schedule, i, i + 1);
    const { guidance, conditioning } = sequentialGuidance(step, i);
    const pred = await step.unet({ ...guidanceBatch(guidance, x, s.timesteps), conditioning });
    const next = i < n - 1 ? sliceSchedule(schedule, i + 1, i + 2) : undefined;
    const noise = slotView(state.initNoise, Math.min(i + 1, n - 1));
    const tracked = next && usesStockNoise(guidance) ? { alpha: next.alpha, beta: next.beta, noise } : undefined;
    const stepped = guidedStep(guidance, pred, stock, x, s, tracked);
    x0 = stepped.x0;
    if (!next) break;
    if (tracked) stock = stepped.stock;
    x = renoise(x0, next.alpha, next.beta, noise, step.doAddNoise);
  }
  return x0;
}

/**
 * The state for a new init_noise (seed or slot count changed): stock noise zeroed, the latent buffer kept
 * where the slot counts overlap (a longer t_index_list warms up its new slots from zeros). Without
 * `previous`: the stream from scratch (start, reset).
 */
export function stateFor(initNoise: TensorF32, previous?: StreamState): StreamState {
  const [n, ...shape] = initNoise.dims as [number, ...number[]];
  const latentBuffer = zeros([n - 1, ...shape]);
  const kept = previous && previous.latentBuffer.dims.slice(1).join() === shape.join() ? previous : undefined;
  if (kept) latentBuffer.data.set(kept.latentBuffer.data.subarray(0, latentBuffer.data.length));
  return { initNoise, stockNoise: zeros(initNoise.dims), latentBuffer, warmSlots: Math.min(kept?.warmSlots ?? 0, n - 1) };
}

/** Stream Batch output from a zeroed buffer slot: the frame that would come out is not a picture yet. */
export function isWarmingUp(state: StreamState): boolean {
  return state.warmSlots < state.latentBuffer.dims[0]!;
}
