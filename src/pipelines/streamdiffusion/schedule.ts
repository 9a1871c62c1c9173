/**
 * The LCM schedule as diffusers 0.24's LCMScheduler computes it, in float64: scaled-linear betas, the 50-step
 * LCM origin schedule, and the per-slot scalars StreamDiffusion precomputes in prepare().
 */
export const TRAIN_TIMESTEPS = 1000;
export const ORIGINAL_INFERENCE_STEPS = 50;
const BETA_START = 0.00085;
const BETA_END = 0.012;
const SIGMA_DATA = 0.5;
const TIMESTEP_SCALING = 10;

/** betas = linspace(sqrt(start), sqrt(end), count)^2. */
export function scaledLinearBetas(count = TRAIN_TIMESTEPS): Float64Array {
  const lo = Math.sqrt(BETA_START);
  const hi = Math.sqrt(BETA_END);
  return Float64Array.from({ length: count }, (_, i) => (i === count - 1 ? hi : lo + (i * (hi - lo)) / (count - 1)) ** 2);
}

export function alphasCumprod(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let product = 1;
  betas.forEach((b, i) => (out[i] = product *= 1 - b));
  return out;
}

export const ALPHAS_CUMPROD: Readonly<Float64Array> = alphasCumprod(scaledLinearBetas());

/** [19, 39, ..., 999]: the timesteps LCM was distilled on (k = 1000 / 50). */
export function lcmOriginTimesteps(): number[] {
  const k = TRAIN_TIMESTEPS / ORIGINAL_INFERENCE_STEPS;
  return Array.from({ length: ORIGINAL_INFERENCE_STEPS }, (_, i) => (i + 1) * k - 1);
}

/** set_timesteps(steps): the origin schedule reversed, every (50 // steps)-th value, the first `steps`. */
export function lcmTimesteps(numInferenceSteps: number): number[] {
  const origin = lcmOriginTimesteps();
  if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > origin.length) {
    throw new RangeError(`num_inference_steps must be an integer in [1, ${origin.length}], got ${numInferenceSteps}`);
  }
  const skipping = Math.floor(origin.length / numInferenceSteps);
  return origin.reverse().filter((_, i) => i % skipping === 0).slice(0, numInferenceSteps);
}

/** LCM boundary condition: c_skip and c_out at sigma_data 0.5, timestep_scaling 10. */
export function boundaryScalings(timestep: number): { cSkip: number; cOut: number } {
  const s = timestep * TIMESTEP_SCALING;
  const sd2 = SIGMA_DATA ** 2;
  return { cSkip: sd2 / (s * s + sd2), cOut: s / Math.sqrt(s * s + sd2) };
}

/** Everything the denoising step needs per slot (one entry per t_index), derived once per schedule change. */
export interface SlotSchedule {
  readonly timesteps: readonly number[];
  /** sqrt(alphas_cumprod[t]) */
  readonly alpha: readonly number[];
  /** sqrt(1 - alphas_cumprod[t]) */
  readonly beta: readonly number[];
  readonly cSkip: readonly number[];
  readonly cOut: readonly number[];
}

export function slotSchedule(tIndexList: readonly number[], numInferenceSteps: number): SlotSchedule {
  const all = lcmTimesteps(numInferenceSteps);
  const timesteps = tIndexList.map((i) => {
    const t = all[i];
    if (t === undefined) throw new RangeError(`t_index ${i} is outside [0, ${all.length - 1}] for ${numInferenceSteps} steps`);
    return t;
  });
  const scalings = timesteps.map(boundaryScalings);
  return {
    timesteps,
    alpha: timesteps.map((t) => Math.sqrt(ALPHAS_CUMPROD[t]!)),
    beta: timesteps.map((t) => Math.sqrt(1 - ALPHAS_CUMPROD[t]!)),
    cSkip: scalings.map((s) => s.cSkip),
    cOut: scalings.map((s) => s.cOut),
  };
}

/** Slots [from, to) of a schedule: what the sequential variant runs one at a time. */
export function sliceSchedule(s: SlotSchedule, from: number, to: number): SlotSchedule {
  return {
    timesteps: s.timesteps.slice(from, to),
    alpha: s.alpha.slice(from, to),
    beta: s.beta.slice(from, to),
    cSkip: s.cSkip.slice(from, to),
    cOut: s.cOut.slice(from, to),
  };
}

/**
 * scheduler_step_batch as per-slot factors: x0 = c_out * (x_t - beta*eps)/alpha + c_skip * x_t
 * = (c_out/alpha + c_skip) * x_t - (c_out*beta/alpha) * eps (cfg.ts's guidedStep applies them).
 */
export function schedulerCoefficients(s: SlotSchedule): { onX: number[]; onEps: number[] } {
  return {
    onX: s.timesteps.map((_, i) => s.cOut[i]! / s.alpha[i]! + s.cSkip[i]!),
    onEps: s.timesteps.map((_, i) => (-s.cOut[i]! * s.beta[i]!) / s.alpha[i]!),
  };
}
