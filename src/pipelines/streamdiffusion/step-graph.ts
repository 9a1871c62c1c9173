import { GraphBuilder } from '../../models/onnx/graph-builder.js';
import { ONNX_DTYPE, type OnnxDtype } from '../../models/onnx/model-proto.js';
import { allFinite } from '../../models/processors/graphs.js';
import type { GeneratedGraph, TensorF32 } from '../../models/sd-models.js';
import { type Guidance, guidedType, stepFactors, usesStockNoise } from './cfg.js';
import type { SlotSchedule } from './schedule.js';

/**
 * The StreamDiffusion step as two small ONNX graphs the engine generates and runs on the model's provider, so on
 * webgpu the latents never visit JS. They compute what stream-batch.ts and cfg.ts compute in JS:
 *   stream-in  x = concat(alpha0*z + beta0*init_noise[0], latent_buffer) (with latent feedback + c*previous x0); the UNet batch for the cfg type;
 *              the stock noise shifted (Stream Batch) or seeded with init_noise[0] (sequential, first step)
 *   step       guidedStep: guided eps, scheduler step, residual stock noise; the next x_t / latent buffer
 *              (renoise); the last slot's x0 for the decoder; `finite` (no NaN/Inf in x0)
 * Every per-slot number (guidance, delta, schedule, do_add_noise) is a graph INPUT: a runtime parameter change
 * feeds other numbers to the same session. A graph changes only with its key: layout, slots, sizes, dtypes.
 */
export const STEP_GRAPH_OPSET = 17;

/** The UNet batch and stock handling of a cfg type; 'self' also serves initialize at scale <= 1 (same arithmetic). */
export type StepLayout = 'none' | 'self' | 'full' | 'initialize';

export function stepLayout(g: Guidance): StepLayout {
  const type = guidedType(g);
  if (type === 'full' || type === 'initialize') return type;
  return usesStockNoise(g) ? 'self' : 'none';
}

/** Layouts whose eps uses the stock noise and which carry it on to the next slot. */
export function tracksStock(layout: StepLayout): boolean {
  return layout === 'self' || layout === 'initialize';
}

export interface LatentShape {
  channels: number;
  height: number;
  width: number;
}

type FloatType = Extract<OnnxDtype, 'float32' | 'float16'>;

export interface StreamInSpec {
  layout: StepLayout;
  /** x's slots: n for Stream Batch (x_t + n-1 buffered latents), 1 for a sequential step. */
  slots: number;
  /** shift: concat(init_noise[0:1], stock[:-1]) (Stream Batch, n > 1); seed: init_noise[0:1] (first sequential step). */
  stock: 'shift' | 'seed' | 'none';
  /** z's dtype (the encoder's output); z may carry more channels (latent_parameters: the mean comes first). */
  latentType: FloatType;
  sampleType: FloatType;
  shape: LatentShape;
  /** Latent feedback: the previous frame's x0 as the step gave the decoder (this dtype) comes in as `previous`, times coefficients[2]. */
  feedback?: FloatType;
}

export interface StepSpec {
  layout: StepLayout;
  slots: number;
  /** Leading slots of the renoised x0 that come out: n-1 (the next latent buffer) or 1 (the next sequential x_t). */
  renoised: number;
  /** init_noise slot each slot re-noises with (and the residual's noise_next): [1..n-1, 0] for Stream Batch. */
  nextNoise: readonly number[];
  predType: FloatType;
  decoderType: FloatType;
  /** The decoder takes latents / vae scaling. */
  decoderScale: number;
  shape: LatentShape;
}

export const graphKey = (kind: string, spec: object) => `${kind}:${JSON.stringify(spec)}`;

const int64 = (...values: number[]) => BigInt64Array.from(values.map(BigInt));

function latentDims(slots: number | string, s: LatentShape): (number | string)[] {
  return [slots, s.channels, s.height, s.width];
}

/** Slots [from, to) along axis 0. */
function slotRange(g: GraphBuilder, x: string, from: number, to: number): string {
  return g.op('Slice', [x, g.constant([1], int64(from)), g.constant([1], int64(to)), g.constant([1], int64(0))]);
}

function concat(g: GraphBuilder, parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : g.op('Concat', parts, { axis: 0 });
}

function cast(g: GraphBuilder, x: string, from: FloatType, to: FloatType): string {
  return from === to ? x : g.op('Cast', [x], { to: ONNX_DTYPE[to] });
}

const ROWS = ['onUncond', 'onCond', 'onX', 'onEps', 'onStock', 'onEpsNext', 'renoiseAlpha', 'renoiseBeta'] as const;
type Row = (typeof ROWS)[number];

/** Row `name` of coefficients [rows, S, 1, 1, 1] as [S, 1, 1, 1]: one scalar per slot, broadcast over the latent. */
function row(g: GraphBuilder, coefficients: string, name: Row): string {
  return g.op('Gather', [coefficients, g.constant([], int64(ROWS.indexOf(name)))], { axis: 0 });
}

const axpby = (g: GraphBuilder, a: string, x: string, b: string, y: string) => g.op('Add', [g.op('Mul', [a, x]), g.op('Mul', [b, y])]);

export function streamInGraph(spec: StreamInSpec): GeneratedGraph {
  const { slots, shape } = spec;
  const g = new GraphBuilder('sdlive_stream_in', 0);
  const z = cast(g, g.input('latent', spec.latentType, ['zb', 'zc', shape.height, shape.width]), spec.latentType, 'float32');
  const noise = g.input('init_noise', 'float32', latentDims('n', shape));
  const coefficients = g.input('coefficients', 'float32', [spec.feedback ? 3 : 2]);
  const mean = g.op('Slice', [z, g.constant([2], int64(0, 0)), g.constant([2], int64(1, shape.channels)), g.constant([2], int64(0, 1))]);
  const at = (i: number) => g.op('Gather', [coefficients, g.constant([], int64(i))], { axis: 0 });
  const noised = axpby(g, at(0), mean, at(1), slotRange(g, noise, 0, 1));
  const previous = spec.feedback && cast(g, g.input('previous', spec.feedback, latentDims(1, shape)), spec.feedback, 'float32');
  const xT = previous ? g.op('Add', [noised, g.op('Mul', [at(2), previous])]) : noised;
  const x = slots > 1 ? concat(g, [xT, g.input('latent_buffer', 'float32', latentDims(slots - 1, shape))]) : xT;
  g.output(x, 'x', 'float32', latentDims(slots, shape));
  const batch = spec.layout === 'full' ? concat(g, [x, x]) : spec.layout === 'initialize' ? concat(g, [slotRange(g, x, 0, 1), x]) : x;
  if (batch !== x || spec.sampleType !== 'float32') g.output(cast(g, batch, 'float32', spec.sampleType), 'sample', spec.sampleType, latentDims('b', shape));
  if (spec.stock === 'seed') g.output(slotRange(g, noise, 0, 1), 'stock_noise', 'float32', latentDims(1, shape));
  if (spec.stock === 'shift') {
    const stock = g.input('stock_noise', 'float32', latentDims(slots, shape));
    g.output(concat(g, [slotRange(g, noise, 0, 1), slotRange(g, stock, 0, slots - 1)]), 'stock_noise_shifted', 'float32', latentDims(slots, shape));
  }
  return { key: graphKey('stream-in', spec), bytes: () => g.toBytes(STEP_GRAPH_OPSET), outputs: g.outputNames(), hostOutputs: [] };
}

/** The guidance terms by layout: eps's uncond and cond, and the stock the residual continues (initialize refreshes slot 0). */
function guidanceTerms(g: GraphBuilder, spec: StepSpec, pred: string, stock: string | undefined): { uncond: string; cond: string; stock?: string } {
  const n = spec.slots;
  switch (spec.layout) {
    case 'full':
      return { uncond: slotRange(g, pred, 0, n), cond: slotRange(g, pred, n, 2 * n) };
    case 'initialize': {
      const refreshed = n > 1 ? concat(g, [slotRange(g, pred, 0, 1), slotRange(g, stock!, 1, n)]) : slotRange(g, pred, 0, 1);
      return { uncond: refreshed, cond: slotRange(g, pred, 1, n + 1), stock: refreshed };
    }
    case 'self':
      return { uncond: stock!, cond: pred, stock };
    default:
      return { uncond: pred, cond: pred };
  }
}

export function stepGraph(spec: StepSpec): GeneratedGraph {
  const { slots, shape } = spec;
  const g = new GraphBuilder('sdlive_step', 0);
  const pred = cast(g, g.input('pred', spec.predType, latentDims('p', shape)), spec.predType, 'float32');
  const x = g.input('x', 'float32', latentDims(slots, shape));
  const stockIn = tracksStock(spec.layout) ? g.input('stock_noise', 'float32', latentDims(slots, shape)) : undefined;
  const noise = g.input('init_noise', 'float32', latentDims('n', shape));
  const coefficients = g.input('coefficients', 'float32', [ROWS.length, slots, 1, 1, 1]);
  const k = (name: Row) => row(g, coefficients, name);
  const terms = guidanceTerms(g, spec, pred, stockIn);
  const eps = axpby(g, k('onUncond'), terms.uncond, k('onCond'), terms.cond);
  const x0 = axpby(g, k('onX'), x, k('onEps'), eps);
  const noiseNext = g.op('Gather', [noise, g.constant([slots], int64(...spec.nextNoise))], { axis: 0 });
  const last = g.op('Mul', [slotRange(g, x0, slots - 1, slots), g.scalar(spec.decoderScale)]);
  g.output(cast(g, last, 'float32', spec.decoderType), 'decoder_latent', spec.decoderType, latentDims(1, shape));
  if (spec.renoised > 0) {
    const renoised = axpby(g, k('renoiseAlpha'), x0, k('renoiseBeta'), noiseNext);
    g.output(slotRange(g, renoised, 0, spec.renoised), 'renoised', 'float32', latentDims(spec.renoised, shape));
  }
  if (terms.stock) {
    const residual = g.op('Add', [noiseNext, axpby(g, k('onStock'), terms.stock, k('onEpsNext'), eps)]);
    g.output(residual, 'next_stock_noise', 'float32', latentDims(slots, shape));
  }
  g.output(allFinite(g, x0), 'finite', 'bool', []);
  return { key: graphKey('step', spec), bytes: () => g.toBytes(STEP_GRAPH_OPSET), outputs: g.outputNames(), hostOutputs: ['finite'] };
}

/** Each slot's renoising: alpha*x0 + beta*noise toward the slot it feeds next (beta 0 without do_add_noise). */
export interface Renoise {
  alpha: readonly number[];
  beta: readonly number[];
}

/**
 * The step graph's coefficients [rows, S, 1, 1, 1]: guidedStep's factors (cfg.ts stepFactors, the same numbers
 * the JS step uses) and the renoising, for slots that have no successor zeros.
 */
export function stepCoefficients(g: Guidance, s: SlotSchedule, next: Renoise | undefined, renoise: Renoise, doAddNoise: boolean): TensorF32 {
  const factors = stepFactors(g, s, next);
  const n = factors.length;
  const data = new Float32Array(ROWS.length * n);
  factors.forEach((f, i) => {
    const values: Record<Row, number> = { ...f, renoiseAlpha: renoise.alpha[i] ?? 0, renoiseBeta: doAddNoise ? (renoise.beta[i] ?? 0) : 0 };
    ROWS.forEach((name, r) => (data[r * n + i] = values[name]));
  });
  return { data, dims: [ROWS.length, n, 1, 1, 1] };
}
