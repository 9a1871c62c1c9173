import { FAKE_DIALECT, fakeTokenEmbedding, fakeTokenize, predictNoise } from './fake-sd-models.js';

/**
 * An independent transcription of StreamDiffusion's pipeline.py on plain float64 arrays, one array per slot,
 * driving the fake UNet element by element. It shares nothing with src/ but the fake models: the schedule is
 * recomputed here from its definition.
 *
 * Pinned to cumulo-autumn/StreamDiffusion, src/streamdiffusion/pipeline.py at commit
 * 4c5aaab2a30fb32e63b0039a659a9fc70c36b3c5 (the file's last change, blob 66c08c8f; unchanged at b623251d, Dec 2024),
 * with the LCMScheduler of diffusers==0.24.0 (pinned in that commit's setup.py). Line numbers below are that file's.
 * Transcribed: prepare() L124-252 (schedule and guidance set-up), unet_step() L298-371, scheduler_step_batch()
 * L276-296, encode_image()'s add_noise L380, predict_x0_batch() L389-414 (use_denoising_batch = True).
 * Not transcribed: the sequential branch L415-435 (fresh torch.randn per step) and txt2img's fresh noise per call
 * (L472-479): docs/streamdiffusion.md says how sdlive differs there. Precision: alphas_cumprod in float64 here
 * (diffusers: float32).
 */
type Vec = number[];

/** alphas_cumprod[t] for betas = linspace(sqrt(0.00085), sqrt(0.012), 1000)^2 ("scaled_linear"), as a sum of logs. */
export function alphaBar(t: number): number {
  const lo = Math.sqrt(0.00085);
  const hi = Math.sqrt(0.012);
  let logSum = 0;
  for (let i = 0; i <= t; i++) logSum += Math.log(1 - (lo + (i / 999) * (hi - lo)) ** 2);
  return Math.exp(logSum);
}

/** Plain prompt -> the fake encoder's [T*W] embedding. */
export function referenceEmbedding(text: string): Vec {
  const { maxTokens: T, textWidth: W, bosId, eosId, padId } = FAKE_DIALECT;
  const ids = [bosId, ...fakeTokenize(text), eosId];
  while (ids.length < T) ids.push(padId);
  return Array.from({ length: T * W }, (_, k) => Math.fround(fakeTokenEmbedding(ids[Math.floor(k / W)]!, Math.floor(k / W), k % W)));
}

/**
 * LCMScheduler.set_timesteps(steps) (diffusers 0.24): lcm_origin_timesteps = [1..50] * (1000 // 50) - 1,
 * skipping_step = 50 // steps, timesteps = lcm_origin_timesteps[::-skipping_step][:steps].
 */
export function lcmSetTimesteps(steps: number): number[] {
  const origin = Array.from({ length: 50 }, (_, i) => (i + 1) * 20 - 1);
  const skipping = Math.floor(origin.length / steps);
  const reversed: number[] = [];
  for (let i = origin.length - 1; i >= 0; i -= skipping) reversed.push(origin[i]!);
  return reversed.slice(0, steps);
}

const add = (a: Vec, b: Vec) => a.map((x, j) => x + b[j]!);
const sub = (a: Vec, b: Vec) => a.map((x, j) => x - b[j]!);
const mul = (s: number, a: Vec) => a.map((x) => s * x);

export interface ReferenceSettings {
  tIndexList: number[];
  numInferenceSteps: number;
  cfgType: 'none' | 'full' | 'self' | 'initialize';
  guidance: number;
  delta: number;
  doAddNoise: boolean;
}

export class ReferenceStream {
  readonly t: number[];
  readonly alpha: number[];
  readonly beta: number[];
  readonly cSkip: number[];
  readonly cOut: number[];
  buffer: Vec[];
  stock: Vec[];

  constructor(
    readonly s: ReferenceSettings,
    readonly noise: Vec[],
    public cond: Vec,
    public uncond: Vec,
  ) {
    // L182-188: sub_timesteps = [timesteps[t] for t in t_list]
    const timesteps = lcmSetTimesteps(s.numInferenceSteps);
    this.t = s.tIndexList.map((i) => timesteps[i]!);
    this.alpha = this.t.map((t) => Math.sqrt(alphaBar(t)));
    this.beta = this.t.map((t) => Math.sqrt(1 - alphaBar(t)));
    this.cSkip = this.t.map((t) => 0.25 / ((10 * t) ** 2 + 0.25));
    this.cOut = this.t.map((t) => (10 * t) / Math.sqrt((10 * t) ** 2 + 0.25));
    const zero = noise[0]!.map(() => 0);
    this.buffer = this.t.slice(1).map(() => zero);
    this.stock = this.t.map(() => zero);
  }

  /** encode_image's add_noise at slot 0 (L380, L264-274). */
  noisy(z: Vec): Vec {
    return add(mul(this.alpha[0]!, z), mul(this.beta[0]!, this.noise[0]!));
  }

  /** scheduler_step_batch, idx None (L283-287). */
  private step(eps: Vec[], x: Vec[]): Vec[] {
    return x.map((xi, i) => add(mul(this.cOut[i]!, mul(1 / this.alpha[i]!, sub(xi, mul(this.beta[i]!, eps[i]!)))), mul(this.cSkip[i]!, xi)));
  }

  /** predict_x0_batch with use_denoising_batch = True (L389-414), unet_step inlined (L298-365). */
  frame(xT: Vec): Vec {
    const { cfgType, delta } = this.s;
    // L151-154: cfg_type "none" sets guidance_scale = 1.0
    const g = cfgType === 'none' ? 1 : this.s.guidance;
    const n = this.t.length;
    // L394-398
    const x = n > 1 ? [xT, ...this.buffer] : [xT];
    if (n > 1) this.stock = [this.noise[0]!, ...this.stock.slice(0, -1)];
    // L304-318 (the uncond embeddings: prepare() L170-180)
    let xin = x;
    let tin = this.t;
    let emb = x.map(() => this.cond);
    if (g > 1 && cfgType === 'initialize') {
      xin = [x[0]!, ...x];
      tin = [this.t[0]!, ...this.t];
      emb = [this.uncond, ...emb];
    } else if (g > 1 && cfgType === 'full') {
      xin = [...x, ...x];
      tin = [...this.t, ...this.t];
      emb = [...x.map(() => this.uncond), ...emb];
    }
    const pred = xin.map((xi, i) => Array.from(predictNoise(Float32Array.from(xi), tin[i]!, Float32Array.from(emb[i]!))));
    // L320-338
    let text = pred;
    let unc: Vec[] = [];
    if (g > 1 && cfgType === 'initialize') {
      text = pred.slice(1);
      this.stock = [pred[0]!, ...this.stock.slice(1)];
    } else if (g > 1 && cfgType === 'full') {
      unc = pred.slice(0, n);
      text = pred.slice(n);
    }
    if (g > 1 && (cfgType === 'self' || cfgType === 'initialize')) unc = this.stock.map((s) => mul(delta, s));
    const eps = g > 1 && cfgType !== 'none' ? text.map((c, i) => add(unc[i]!, mul(g, sub(c, unc[i]!)))) : text;
    // L341-365
    const x0 = this.step(eps, x);
    if (cfgType === 'self' || cfgType === 'initialize') {
      const delta_x = this.step(eps, this.stock.map((s, i) => mul(this.beta[i]!, s)));
      const alphaNext = [...this.alpha.slice(1), 1];
      const betaNext = [...this.beta.slice(1), 1];
      const rolled = [...this.noise.slice(1), this.noise[0]!];
      this.stock = delta_x.map((d, i) => add(rolled[i]!, mul(alphaNext[i]! / betaNext[i]!, d)));
    }
    // L401-411
    if (n > 1) {
      this.buffer = x0.slice(0, -1).map((x0i, i) => add(mul(this.alpha[i + 1]!, x0i), this.s.doAddNoise ? mul(this.beta[i + 1]!, this.noise[i + 1]!) : x0i.map(() => 0)));
    }
    return x0[n - 1]!;
  }
}
